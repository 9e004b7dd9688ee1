"""Custom search attributes the Temporal UI filters orders by; registered at server start."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
CHANNEL = SearchAttributeKey.for_keyword("Channel")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
PRIORITY = SearchAttributeKey.for_keyword("Priority")

ALL = (ORDER_STATUS, CUSTOMER_ID, CHANNEL, ORDER_TOTAL, PRIORITY)


def indexed_types() -> dict[str, "IndexedValueType.ValueType"]:
    """The same attributes, for the operator service (servers started without the flags)."""
    return {
        key.name: (
            IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE
            if key is ORDER_TOTAL
            else IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        )
        for key in ALL
    }


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        kind = "Double" if key is ORDER_TOTAL else "Keyword"
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags
