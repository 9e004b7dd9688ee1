"""Field types every request schema shares: the base of request bodies (text the database can
store), instants, money, SKUs, names."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from domain.text import STORABLE_PATTERN, unstorable_char

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]

WarehouseCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,16}$")]


MoneyIn = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


def _state_storable(schema: dict[str, Any]) -> None:
    """Give every free-text property of a request model the storable-text pattern."""
    for prop in schema.get("properties", {}).values():
        for variant in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
            free = variant.get("type") == "string" and not variant.keys() & {
                "pattern",
                "format",
                "enum",
                "const",
            }
            if free:
                variant["pattern"] = STORABLE_PATTERN


class In(BaseModel):
    """A request body: unknown fields refused, text the database can store."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_state_storable)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # Nested request models check their own fields (and so name them); here strings and
        # lists of strings.
        for text in value if isinstance(value, list) else [value]:
            char = unstorable_char(text) if isinstance(text, str) else None
            if char is not None:
                raise ValueError(f"the character {char} is not allowed in text")
        return value


def _representable(value: datetime) -> datetime:
    try:
        in_range = MIN_INSTANT <= value.astimezone(UTC) <= MAX_INSTANT
    except OverflowError:  # before year 1 or after 9999 once in UTC
        in_range = False
    if not in_range:
        raise ValueError(f"must lie between the years {MIN_INSTANT:%Y} and {MAX_INSTANT:%Y}")
    return value


MIN_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)


MAX_INSTANT = datetime(9999, 1, 1, tzinfo=UTC)


# A moment with its time zone, within years the database and every client can hold.
Instant = Annotated[AwareDatetime, AfterValidator(_representable)]


Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]
