"""Custom search attributes the Temporal UI filters orders by, registered in every
environment from this one list: the dev server's flags (`make run`, tests), the compose
file's registration job, and `orderflow search-attributes` for an existing cluster.

Ids and codes only: no names, addresses or other personal data.
"""

from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
CHANNEL = SearchAttributeKey.for_keyword("Channel")
# standard | presale (domain/order_types.py).
ORDER_TYPE = SearchAttributeKey.for_keyword("OrderType")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
PRIORITY = SearchAttributeKey.for_keyword("Priority")
# The approval levels an approver can act on now (empty once decided).
PENDING_APPROVAL_LEVEL = SearchAttributeKey.for_keyword_list("PendingApprovalLevel")
# When the order entered its current status.
STATUS_SINCE = SearchAttributeKey.for_datetime("StatusSince")
# The warehouses its shipments leave from.
WAREHOUSE = SearchAttributeKey.for_keyword_list("Warehouse")
LATE = SearchAttributeKey.for_bool("Late")
# The skus it waits for (a backorder, or the rest of a partial order).
SHORT_SKU = SearchAttributeKey.for_keyword_list("ShortSku")
# An activity that keeps failing (retried past a few attempts), by name; a keyword, not a
# list: the dev server's SQLite visibility holds at most three keyword lists.
FAILING_ACTIVITY = SearchAttributeKey.for_keyword("FailingActivity")


@dataclass(frozen=True)
class Registered:
    key: SearchAttributeKey[Any]
    # As the CLI and `temporal operator search-attribute create` spell the type.
    cli_type: str
    indexed: "IndexedValueType.ValueType"


ALL_REGISTERED = (
    Registered(ORDER_STATUS, "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD),
    Registered(CUSTOMER_ID, "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD),
    Registered(CHANNEL, "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD),
    Registered(ORDER_TOTAL, "Double", IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE),
    Registered(PRIORITY, "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD),
    Registered(
        PENDING_APPROVAL_LEVEL, "KeywordList", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST
    ),
    Registered(STATUS_SINCE, "Datetime", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME),
    Registered(WAREHOUSE, "KeywordList", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST),
    Registered(LATE, "Bool", IndexedValueType.INDEXED_VALUE_TYPE_BOOL),
    Registered(SHORT_SKU, "KeywordList", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST),
    Registered(FAILING_ACTIVITY, "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD),
    Registered(ORDER_TYPE, "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD),
)
ALL = tuple(r.key for r in ALL_REGISTERED)


def indexed_types() -> dict[str, "IndexedValueType.ValueType"]:
    """The attributes, for the operator service (servers started without the flags)."""
    return {r.key.name: r.indexed for r in ALL_REGISTERED}


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for r in ALL_REGISTERED:
        flags += ["--search-attribute", f"{r.key.name}={r.cli_type}"]
    return flags


def create_command(address: str = "temporal:7233", namespace: str = "default") -> str:
    """The `temporal operator search-attribute create` line for an existing cluster."""
    names = " ".join(f"--name {r.key.name} --type {r.cli_type}" for r in ALL_REGISTERED)
    return (
        f"temporal operator search-attribute create --address {address} "
        f"--namespace {namespace} {names}"
    )
