"""Request and response bodies of the product and inventory routes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.fields import In, MoneyIn, Sku, Text, WarehouseCode
from domain.gtin import PATTERN as GTIN_PATTERN
from domain.gtin import canonical, is_gtin
from domain.tax import TaxClass


def _checked_gtin(code: str | None) -> str | None:
    if code is None:
        return None
    if not is_gtin(code):
        raise ValueError("the check digit does not match: not a GTIN")
    return canonical(code)


class PresaleIn(In):
    """A product sold before its release: a deposit (a percentage of the line or an amount
    per unit: exactly one) takes a place in the queue; at most `cap` units, if set."""

    release_date: date
    deposit_pct: Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)] | None = None
    deposit_amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)] | None = None
    cap: Annotated[int, Field(ge=1, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _one_deposit(self) -> Self:
        if (self.deposit_pct is None) == (self.deposit_amount is None):
            raise PydanticCustomError(
                "one_deposit", "deposit_pct or deposit_amount: exactly one of the two"
            )
        return self

    def columns(self) -> dict[str, Any]:
        return {
            "presale_release_date": self.release_date,
            "presale_deposit_pct": self.deposit_pct,
            "presale_deposit_amount": self.deposit_amount,
            "presale_cap": self.cap,
        }


NOT_PRESALE: dict[str, Any] = {
    "presale_release_date": None,
    "presale_deposit_pct": None,
    "presale_deposit_amount": None,
    "presale_cap": None,
}


class PresaleOut(BaseModel):
    release_date: date
    deposit_pct: Decimal | None = None
    deposit_amount: Decimal | None = None
    cap: int | None = None


class ProductIn(In):
    sku: Sku
    name: Text
    # The barcode on the goods (EAN-8, UPC-A, EAN-13 or GTIN-14), check digit verified; kept
    # as GTIN-14.
    gtin: Annotated[
        str | None,
        Field(pattern=GTIN_PATTERN, examples=["4006381333931"]),
        AfterValidator(_checked_gtin),
    ] = None
    unit_price: MoneyIn
    weight_kg: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]
    # Approval rules can match on it (say, hazardous goods need a manager).
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")] = "general"
    # Available stock below it (all warehouses) puts the sku on the low-stock list; 0: never.
    reorder_point: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    # Skus that may stand in when this one is short (the substitute choice), best first.
    substitutes: Annotated[list[Sku], Field(max_length=10, default_factory=list)]
    # Where pickers find it; printed on pick lists, which list lines in bin order.
    bin_location: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-/]{0,31}$")] | None
    ) = None
    # Which of the destination's rates it is taxed at (the policy's tax table).
    tax_class: TaxClass = TaxClass.STANDARD
    # Sold before its release (left out: an ordinary product; sent again without it, the
    # product is no longer pre-sold).
    presale: PresaleIn | None = None
    # Made to order (custom orders): the plant's production time in days; left out: kept in
    # stock as usual.
    production_days: Annotated[int, Field(ge=1, le=365)] | None = None

    def columns(self) -> dict[str, Any]:
        """The product's row."""
        values = self.model_dump(exclude={"presale"})
        return {**values, **(self.presale.columns() if self.presale else NOT_PRESALE)}


class ProductOut(BaseModel):
    sku: str
    name: str
    gtin: str | None = None
    unit_price: Decimal
    weight_kg: Decimal
    category: str
    bin_location: str | None = None
    reorder_point: int = 0
    substitutes: list[str] = Field(default_factory=list)
    tax_class: str = TaxClass.STANDARD
    presale: PresaleOut | None = None
    production_days: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _presale_of_row(cls, data: Any) -> Any:
        """From a products row: its presale columns as the presale object."""
        if isinstance(data, dict) or not hasattr(data, "presale_release_date"):
            return data
        released = data.presale_release_date
        fields = {k: getattr(data, k) for k in cls.model_fields if k != "presale"}
        if released is not None:
            fields["presale"] = PresaleOut(
                release_date=released,
                deposit_pct=data.presale_deposit_pct,
                deposit_amount=data.presale_deposit_amount,
                cap=data.presale_cap,
            )
        return fields


class ReceiptIn(In):
    sku: Sku
    warehouse: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    quantity: Annotated[int, Field(gt=0, le=1_000_000)]
    # The announced receipt these goods are (it is then no longer expected).
    expected_receipt_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class ExpectedReceiptIn(In):
    sku: Sku
    warehouse: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    quantity: Annotated[int, Field(gt=0, le=1_000_000)]
    expected_on: date


class ExpectedReceiptOut(BaseModel):
    expected_receipt_id: int
    sku: str
    warehouse: str
    quantity: int
    expected_on: date
    status: str


class WarehouseStock(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    # On its way here from another warehouse.
    incoming: int = 0


class InventoryOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    # Dispatched by one warehouse, not yet received by another: in no warehouse's on hand.
    in_transit: int = 0
    reorder_point: int = 0
    warehouses: list[WarehouseStock]
    # Announced by suppliers, not yet booked in.
    expected: list[ExpectedReceiptOut] = Field(default_factory=list)


class ZoneIn(In):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    # "" covers the whole country; the longest matching prefix decides.
    postal_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{0,12}$")] = ""
    zone: Annotated[int, Field(ge=0, le=1000)]


class ZonesIn(In):
    zones: Annotated[list[ZoneIn], Field(max_length=500)]


class WarehouseOut(BaseModel):
    code: str
    name: str
    # How near it is to destinations: the allocation rule's distances (lower is nearer).
    zones: list[ZoneIn]


class TransferIn(In):
    sku: Sku
    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    quantity: Annotated[int, Field(gt=0, le=1_000_000)]
    # When it should arrive: orders waiting for the sku show it as their expected date.
    expected_on: date | None = None


class TransferOut(BaseModel):
    transfer_id: int
    sku: str
    from_warehouse: str
    to_warehouse: str
    quantity: int
    status: str
    expected_on: date | None
    created_at: datetime
    received_at: datetime | None


class LowStockOut(BaseModel):
    sku: str
    name: str
    available: int
    reorder_point: int
    in_transit: int
    since: datetime
