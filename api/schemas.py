"""Request and response models. Requests forbid unknown fields (no mass assignment)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    EmailStr,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from domain.carrier import ShippingMethod
from domain.contact import is_valid_country, is_valid_phone, is_valid_postal_code
from domain.messages import Decision, ShipmentEventKind
from domain.review import PaymentMethod
from domain.text import STORABLE_PATTERN, unstorable_char

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]
MoneyIn = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class Channel(StrEnum):
    WEB = "web"
    SALES = "sales"
    CSV = "csv"
    PHONE = "phone"
    EMAIL = "email"
    API = "api"


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


class ProductIn(In):
    sku: Sku
    name: Text
    unit_price: MoneyIn
    weight_kg: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]
    # Approval rules can match on it (say, hazardous goods need a manager).
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")] = "general"


class ProductOut(BaseModel):
    sku: str
    name: str
    unit_price: Decimal
    weight_kg: Decimal
    category: str


class AddressIn(In):
    line1: Text
    line2: Text | None = None
    city: Text
    region: Text | None = None
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12)
    ]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]

    @model_validator(mode="after")
    def _postal_code_fits_country(self) -> Self:
        if not is_valid_country(self.country):
            raise ValueError(f"country: {self.country} is not an ISO 3166 alpha-2 code")
        if not is_valid_postal_code(self.postal_code, self.country):
            raise ValueError(f"postal_code: {self.postal_code} is not valid in {self.country}")
        return self


class CustomerIn(In):
    name: Text
    email: EmailStr
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
    address: AddressIn
    # Finance and admin only; others leave it out and the policy's default limit applies.
    credit_limit: MoneyIn | None = None
    tier: Literal["standard", "vip"] = "standard"

    @model_validator(mode="after")
    def _phone_fits_country(self) -> Self:
        if not is_valid_phone(self.phone, self.address.country):
            raise ValueError(
                f"phone: {self.phone} is not a valid number for {self.address.country}"
            )
        return self


class CustomerContactOut(BaseModel):
    """What the warehouse sees of a customer: no credit data."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    email: str
    phone: str
    address: AddressIn


class CustomerOut(CustomerContactOut):
    credit_limit: Decimal
    tier: str
    on_credit_hold: bool
    owner: str | None


class CreditIn(In):
    """A customer's credit terms, as finance sets them."""

    credit_limit: MoneyIn
    on_credit_hold: bool = False


class CustomerRef(In):
    id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


def _customer_kind(value: Any) -> str:
    # A reference carries only the id; anything else is a new customer given inline. Chosen
    # up front, so errors name the fields of the one meant (customer.new.address.city).
    if isinstance(value, CustomerRef) or (isinstance(value, dict) and set(value) == {"id"}):
        return "ref"
    return "new"


CustomerChoice = Annotated[
    Annotated[CustomerRef, Tag("ref")] | Annotated[CustomerIn, Tag("new")],
    Discriminator(_customer_kind),
]


class ReceiptIn(In):
    sku: Sku
    warehouse: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    quantity: Annotated[int, Field(gt=0, le=1_000_000)]


class WarehouseStock(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class InventoryOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    warehouses: list[WarehouseStock]


class OrderLineIn(In):
    sku: Sku
    quantity: Annotated[int, Field(gt=0, le=100_000)]
    unit_price: MoneyIn | None = None
    discount_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal("0")


class ShippingIn(In):
    method: ShippingMethod


class PaymentTermsIn(In):
    method: PaymentMethod


class OrderIn(In):
    external_ref: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    channel: Channel
    customer: CustomerChoice
    ship_to: AddressIn | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=200)]
    shipping: ShippingIn
    payment: PaymentTermsIn
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None


class OrderCreated(BaseModel):
    order_id: str
    workflow_id: str
    status: str


class LineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    catalogue_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    net: Decimal


class TotalsOut(BaseModel):
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    currency: str


class ApprovalOut(BaseModel):
    level: str
    current_level: str | None
    status: str
    mode: str
    approvers_needed: int
    approvers_given: int
    reasons: list[str]
    rule_ids: list[str]
    decided_by: str | None
    comment: str | None
    decided_at: datetime | None
    opened_at: datetime | None
    deadline: datetime | None


class ReservationOut(BaseModel):
    sku: str
    warehouse: str
    quantity: int
    status: str


class ShipmentOut(BaseModel):
    carrier: str
    service: str
    tracking_number: str
    status: str


class InvoiceOut(BaseModel):
    number: str
    due_date: date
    total: Decimal
    status: str


class PaymentOut(BaseModel):
    reference: str
    amount: Decimal
    method: str
    kind: str


class WarehouseOrderSummary(BaseModel):
    """What the warehouse sees of an order: no prices, totals or credit data."""

    # Forbidding extras keeps a full order from ever passing as this narrower model.
    model_config = ConfigDict(extra="forbid")

    order_id: str
    status: str
    customer_id: str
    channel: str
    external_ref: str | None
    created_at: datetime


class OrderSummary(WarehouseOrderSummary):
    total: Decimal


class PickLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int


class WarehouseOrderDetail(WarehouseOrderSummary):
    workflow_id: str
    shipping_method: str
    notes: str | None
    ship_to: dict[str, Any]
    lines: list[PickLineOut]
    reservations: list["ReservationOut"]
    shipments: list["ShipmentOut"]


class WarehouseOrderPage(BaseModel):
    items: list[WarehouseOrderSummary]
    next_cursor: str | None


class OrderDetail(OrderSummary):
    workflow_id: str
    payment_method: str
    shipping_method: str
    notes: str | None
    created_by: str
    review_reasons: list[str]
    policy_version: int | None
    lines: list[LineOut]
    totals: TotalsOut
    approvals: list[ApprovalOut]
    reservations: list[ReservationOut]
    shipments: list[ShipmentOut]
    invoice: InvoiceOut | None
    payments: list[PaymentOut]
    paid_total: Decimal
    overpaid: Decimal = Field(description="paid beyond the total, to refund or credit")


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None


class WarehouseHistoryEntry(BaseModel):
    """The warehouse's view of the history: who moved the order where, no reasons (they name
    prices, totals and credit)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["history", "audit"] = "history"
    at: datetime
    actor: str
    from_status: str | None = None
    to_status: str | None = None
    action: str | None = None
    result: str | None = None


class HistoryEntry(WarehouseHistoryEntry):
    """A status change or event of the order ("history"), or its audit row ("audit")."""

    reason: str
    decision_id: str | None = None


class DecisionIn(In):
    decision: Decision
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""
    decision_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class DecisionOut(BaseModel):
    order_id: str
    level: str
    decision: Decision
    decision_id: str
    status: str
    pending_levels: list[str]


class PendingApproval(BaseModel):
    order_id: str
    level: str
    reasons: list[str]
    total: Decimal
    customer_id: str
    created_by: str
    requested_at: datetime


class PaymentIn(In):
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    method: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class PaymentResult(BaseModel):
    order_id: str
    status: str
    paid_total: Decimal
    order_total: Decimal


class ShipmentEventIn(In):
    event: ShipmentEventKind
    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    detail: Annotated[str, StringConstraints(max_length=500)] = ""


class CancelIn(In):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class OrderStateOut(BaseModel):
    order_id: str
    status: str
    paid_total: Decimal
    tracking_number: str | None


WarehouseOrderDetail.model_rebuild()
