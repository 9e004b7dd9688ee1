"""Request and response bodies of the order routes."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.approvals.schemas import ApprovalOut
from api.customers.schemas import AddressIn, CustomerChoice
from api.fields import In, MoneyIn, Sku, WarehouseCode
from api.returns.schemas import ReturnOut
from domain.bulk import MAX_BATCHES
from domain.cancellation import CancelReason
from domain.carrier import ShippingMethod
from domain.installments import DEFAULT_INTERVAL_DAYS, MAX_COUNT, MIN_COUNT
from domain.messages import OrderState, ShipmentEventKind
from domain.money import ZERO
from domain.order_types import OrderType
from domain.pricing import PricedOrder
from domain.review import PaymentMethod
from domain.shortage import ShortageChoice


class Channel(StrEnum):
    WEB = "web"
    SALES = "sales"
    CSV = "csv"
    PHONE = "phone"
    EMAIL = "email"
    API = "api"
    # Entered at the counter of a shop (the console's order entry).
    STORE = "store"


class OrderLineIn(In):
    sku: Sku
    quantity: Annotated[int, Field(gt=0, le=100_000)]
    unit_price: MoneyIn | None = None
    discount_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal("0")


class ShippingIn(In):
    method: ShippingMethod


class SimpleTermsIn(In):
    method: Literal[PaymentMethod.PREPAID, PaymentMethod.COD, PaymentMethod.CREDIT]


class InstallmentTermsIn(In):
    """Paid in `count` equal parts, the first at invoicing, then every `interval_days`."""

    method: Literal[PaymentMethod.INSTALLMENTS]
    count: Annotated[int, Field(ge=MIN_COUNT, le=MAX_COUNT)]
    interval_days: Annotated[int, Field(ge=1, le=365)] = DEFAULT_INTERVAL_DAYS


def _terms_kind(value: Any) -> str:
    method = value.get("method") if isinstance(value, dict) else getattr(value, "method", None)
    return "installments" if method == PaymentMethod.INSTALLMENTS else "simple"


PaymentTermsIn = Annotated[
    Annotated[SimpleTermsIn, Tag("simple")] | Annotated[InstallmentTermsIn, Tag("installments")],
    Discriminator(_terms_kind),
]


class DeliveryLineIn(In):
    sku: Sku
    quantity: Annotated[int, Field(gt=0, le=100_000)]


class DeliveryIn(In):
    """One scheduled delivery of a bulk order: its date and what it carries."""

    date: date
    lines: Annotated[list[DeliveryLineIn], Field(min_length=1, max_length=200)]


AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class AttachmentIn(In):
    """A drawing, a photo, a sample sheet: by reference (a document store's id or URL)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reference: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class SpecificationIn(In):
    """What a custom order is made to: attributes (material, size, colour...) and
    attachments by reference; the customer signs it off before production starts."""

    attributes: Annotated[
        dict[AttributeName, Annotated[str, StringConstraints(min_length=1, max_length=500)]],
        Field(min_length=1, max_length=50),
    ]
    attachments: Annotated[list[AttachmentIn], Field(max_length=20, default_factory=list)]


class SetAsideIn(In):
    """A large bulk order's whole schedule held at its approval, from this warehouse only
    (each batch still ships on its date)."""

    warehouse: WarehouseCode


class OrderIn(In):
    external_ref: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    channel: Channel
    customer: CustomerChoice
    ship_to: AddressIn | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=200)]
    shipping: ShippingIn
    payment: PaymentTermsIn
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None
    # When the customer needs it; soon enough, it makes the order urgent (policy's rules).
    requested_delivery_date: date | None = None
    # What to do when stock is short.
    on_shortage: ShortageChoice = ShortageChoice.BACKORDER
    # The path the order takes: presale orders products not yet released (prepaid: a
    # deposit takes a place in the queue, the balance falls due at release).
    type: OrderType = OrderType.STANDARD
    # A bulk order's batches, by date; their lines add up, per sku, to the order's lines.
    deliveries: Annotated[list[DeliveryIn], Field(min_length=1, max_length=MAX_BATCHES)] | None = (
        None
    )

    set_aside: SetAsideIn | None = None
    # A custom order's specification (required for one, refused for others).
    specification: SpecificationIn | None = None

    @model_validator(mode="after")
    def _deliveries_are_for_bulk(self) -> Self:
        bulk = self.type == OrderType.BULK
        if bulk and self.deliveries is None:
            raise PydanticCustomError(
                "deliveries_missing", "a bulk order names its deliveries (deliveries)"
            )
        if not bulk and (self.deliveries is not None or self.set_aside is not None):
            raise PydanticCustomError(
                "deliveries_not_bulk",
                "deliveries and set_aside are for bulk orders (type bulk)",
            )
        custom = self.type == OrderType.CUSTOM
        if custom != (self.specification is not None):
            raise PydanticCustomError(
                "specification",
                "a custom order names its specification; other types name none (specification)",
            )
        return self


class QuoteIn(In):
    """What a price quote needs: the customer (or just where the goods go), lines, shipping."""

    customer: CustomerChoice | None = None
    ship_to: AddressIn | None = None
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=200)]
    shipping: ShippingIn


class ChangeLineIn(In):
    sku: Sku
    quantity: Annotated[int, Field(gt=0, le=100_000)]
    # Left out: the line keeps its agreed price (a new sku: the catalogue's) and discount.
    unit_price: MoneyIn | None = None
    discount_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = None


class ChangeIn(In):
    """A change of a running order; what is left out stays as it is."""

    # The full new set of lines, one per sku.
    lines: Annotated[list[ChangeLineIn], Field(min_length=1, max_length=200)] | None = None
    ship_to: AddressIn | None = None
    shipping: ShippingIn | None = None
    payment: PaymentTermsIn | None = None
    requested_delivery_date: date | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    # True: answer with the change's impact and change nothing.
    dry_run: bool = False

    @model_validator(mode="after")
    def _one_line_per_sku(self) -> Self:
        asked = (self.lines, self.ship_to, self.shipping, self.payment)
        if all(x is None for x in asked) and self.requested_delivery_date is None:
            raise PydanticCustomError(
                "nothing_changed",
                "a change names at least one of lines, ship_to, shipping, payment, "
                "requested_delivery_date",
            )
        seen: set[str] = set()
        for i, line in enumerate(self.lines or []):
            if line.sku in seen:
                raise PydanticCustomError(
                    "duplicate_sku", f"lines.{i}.sku: {line.sku} appears twice; one line per sku"
                )
            seen.add(line.sku)
        return self


class DiffOut(BaseModel):
    field: str
    before: str | None
    after: str | None


class StockMoveOut(BaseModel):
    sku: str
    reserve: int
    release: int


class ChangeImpact(BaseModel):
    """What a change would do (dry run): nothing is changed."""

    diff: list[DiffOut]
    totals_before: "TotalsOut"
    totals_after: "TotalsOut"
    # The levels the new version would need (address_change: a supervisor's confirmation).
    approvals_needed: list[str]
    review_decision: str
    review_reasons: list[str]
    stock: list[StockMoveOut]
    # When the goods could leave: today when the stock is there, else when it is expected
    # (None: not known).
    expected_ship_date: date | None


class ChangeOut(BaseModel):
    order_id: str
    version: int
    # The order's status; "change_requested" (202) while an address change waits for a
    # supervisor's confirmation.
    status: str


class VersionOut(BaseModel):
    version: int
    created_by: str
    created_at: datetime
    reason: str
    diff: list[DiffOut]


class OrderCreated(BaseModel):
    order_id: str
    workflow_id: str
    status: str


class RuleFields(BaseModel):
    """How the price rules priced a line: the unit price they entitle it to (None: the
    catalogue's), its source (catalogue, supplied, or a price list and its break), the
    promotions applied, its share of order promotions (part of its discount)."""

    list_price: Decimal | None = None
    price_source: str = "catalogue"
    promotions: list[str] = []
    promotion_discount: Decimal = ZERO


class LineOut(RuleFields):
    line_no: int
    sku: str
    quantity: int
    catalogue_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    net: Decimal
    tax_rate: Decimal


class Priced(Protocol):
    """An order or one of its versions: what its totals are read from."""

    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    shipping_charge: Decimal
    shipping_tax_rate: Decimal
    reverse_charge: bool


class TotalsOut(BaseModel):
    subtotal: Decimal
    discount: Decimal
    # The shipping charge line (net), taxed at shipping_tax_rate; its tax is in tax.
    shipping: Decimal = ZERO
    shipping_tax_rate: Decimal = ZERO
    tax: Decimal
    total: Decimal
    currency: str
    # No tax charged: a business customer in another EU member state accounts for it.
    reverse_charge: bool = False

    @classmethod
    def of(cls, x: Priced, currency: str) -> "TotalsOut":
        return cls(
            subtotal=x.subtotal,
            discount=x.discount,
            shipping=x.shipping_charge,
            shipping_tax_rate=x.shipping_tax_rate,
            tax=x.tax,
            total=x.total,
            currency=currency,
            reverse_charge=x.reverse_charge,
        )

    @classmethod
    def quoted(cls, x: PricedOrder, currency: str) -> "TotalsOut":
        return cls(
            subtotal=x.totals.subtotal,
            discount=x.totals.discount,
            shipping=x.charge.net,
            shipping_tax_rate=x.charge.tax_rate,
            tax=x.totals.tax,
            total=x.totals.total,
            currency=currency,
            reverse_charge=x.reverse_charge,
        )


class QuotedLineOut(RuleFields):
    sku: str
    quantity: int
    catalogue_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal


class QuoteOut(BaseModel):
    """The price the order would be taken at now (nothing is written or held)."""

    lines: list[QuotedLineOut]
    totals: TotalsOut


class ReservationOut(BaseModel):
    sku: str
    warehouse: str
    quantity: int
    status: str


class PackageOut(BaseModel):
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


class ShipmentOut(BaseModel):
    """One parcel of the order, from one warehouse (None: shipped before pick and pack)."""

    id: str
    warehouse: str | None
    # picking | packed | booked | the carrier's last scan | cancelled
    status: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    packages: list[PackageOut] | None
    packaging: str | None


class InvoiceOut(BaseModel):
    number: str
    # The shipment it bills (invoices from before invoices per shipment: the whole order).
    shipment_id: str | None
    issued_at: datetime
    due_date: date
    total: Decimal
    # What it still asks: its total less credit notes and what payments cover of it (they
    # pay the oldest invoice first).
    open_amount: Decimal = ZERO
    # issued | overdue | paid | credited
    status: str


class CreditNoteSummary(BaseModel):
    number: str
    invoice_number: str
    # cancellation | return | correction | write_off
    reason: str
    reference: str
    total: Decimal
    issued_at: datetime


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
    priority: str
    requested_delivery_date: date | None
    # Not delivered within the shipping method's promise.
    late: bool
    # The day it was promised to leave by (set when confirmed), and whether its first parcel
    # left by then (None: not yet, or never promised).
    promised_ship_date: date | None = None
    shipped_on_time: bool | None = None
    # standard | presale (the path its workflow takes; OrderType in the Temporal UI).
    type: OrderType = OrderType.STANDARD


class PresalePlaceOut(BaseModel):
    """A pre-sale order's release and its place among the pre-sale orders waiting for any of
    its products (1: served first; None once served or ended)."""

    release_date: date
    queue_place: int | None


class DeliveryOut(BaseModel):
    """One scheduled delivery of a bulk order: its date, the day its stock is reserved, and
    how far it got (scheduled, due: reserved or waiting for stock, shipped)."""

    batch_no: int
    reserve_on: date
    date: date
    status: Literal["scheduled", "due", "shipped"]
    lines: list[DeliveryLineIn]


class OrderSummary(WarehouseOrderSummary):
    total: Decimal


class PickLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int


class WarehouseOrderDetail(WarehouseOrderSummary):
    workflow_id: str
    version: int
    returns: list[ReturnOut]
    shipping_method: str
    notes: str | None
    ship_to: dict[str, Any]
    lines: list[PickLineOut]
    reservations: list[ReservationOut]
    shipments: list[ShipmentOut]
    presale: PresalePlaceOut | None = None
    deliveries: list[DeliveryOut] = []


class WarehouseOrderPage(BaseModel):
    items: list[WarehouseOrderSummary]
    next_cursor: str | None


class SubstitutionLineOut(BaseModel):
    sku: str
    substitute: str
    quantity: int


class SubstitutionOut(BaseModel):
    lines: list[SubstitutionLineOut]
    # proposed | accepted | declined | expired
    status: str


class ShortageChoiceIn(In):
    on_shortage: ShortageChoice


class SubstitutionDecision(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class SubstitutionIn(In):
    decision: SubstitutionDecision
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class InstallmentOut(BaseModel):
    no: int
    amount: Decimal
    # From the first invoice on (None: not invoiced yet).
    due_date: date | None
    paid: Decimal
    open: Decimal
    # scheduled | open | overdue | paid
    status: str


class InstallmentsOut(BaseModel):
    count: int
    interval_days: int
    # Fixed when the order is approved (empty before); payments go to the oldest first.
    schedule: list[InstallmentOut]


class OrderDetail(OrderSummary):
    workflow_id: str
    returns: list[ReturnOut]
    # The version shown (the one in force unless ?version= asked for an earlier one).
    version: int
    ship_to: dict[str, Any]
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
    # The first invoice (kept for clients of the single-invoice API; see invoices).
    invoice: InvoiceOut | None
    invoices: list[InvoiceOut]
    credit_notes: list[CreditNoteSummary]
    payments: list[PaymentOut]
    on_shortage: str
    cancel_reason_code: str | None
    # When the stock a waiting order lacks is expected (a transfer on its way), if known.
    expected_stock_date: date | None
    substitution: SubstitutionOut | None
    paid_total: Decimal
    overpaid: Decimal = Field(description="paid beyond the total, to refund or credit")
    installments: InstallmentsOut | None = None
    presale: PresalePlaceOut | None = None
    deliveries: list[DeliveryOut] = []
    # A custom order: what it is made to, when it should be ready, its production order
    # (GET /production-orders/{id}).
    specification: dict[str, Any] | None = None
    estimated_ready: date | None = None
    production_order_id: str | None = None
    # A pre-sale order's deposit (its balance, total less deposit, falls due at release).
    deposit: Decimal | None = None


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None


class WarehouseHistoryEntry(BaseModel):
    """The warehouse's view of the history: who moved the order where, no reasons (they name
    prices, totals and credit)."""

    model_config = ConfigDict(extra="forbid")
    # history: a status change or an event within a status; audit: a person's call;
    # scan: the carrier's event for a parcel (action the event, result its tracking number);
    # payment: a payment or refund (action which, result its reference; not the warehouse's).
    kind: Literal["history", "audit", "scan", "payment"] = "history"
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
    # A payment's amount (a refund's is negative).
    amount: Decimal | None = None


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
    # Cash on delivery, with the delivered scan: what the carrier collected (left out: what
    # was owed). Less than owed opens an underpayment case for finance.
    cod_amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None


class CancelIn(In):
    reason_code: CancelReason
    comment: Annotated[str, StringConstraints(max_length=500)] = ""


class OrderStateOut(BaseModel):
    order_id: str
    # The order's status; "cancellation_requested" (202) while a costly cancellation waits for
    # the cancellation level's confirmation.
    status: str
    paid_total: Decimal
    tracking_number: str | None

    @classmethod
    def of(cls, order_id: str, state: OrderState) -> "OrderStateOut":
        """The answer to a message a running order took, from its state."""
        return cls(order_id=order_id, **state.model_dump(exclude={"pending_levels"}))
