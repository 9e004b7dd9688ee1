"""Wire models between the API, the order workflow and its activities.

Class and field names are part of the wire format of running workflows: add optional fields,
never rename.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, Field

from domain.cancellation import CancelReason
from domain.carrier import PROMISED_DELIVERY, ShippingMethod
from domain.changes import DiffEntry, OrderChange
from domain.custom import ProductionEventKind, ProductionStatus, ServiceDecision
from domain.order_types import OrderType
from domain.payment import PaymentMethod
from domain.policy import Mode
from domain.priority import Priority
from domain.returns import Condition, Resolution, ReturnStatus
from domain.review import ReviewDecision
from domain.roles import ApprovalLevel, Role
from domain.shortage import ShortageChoice
from domain.status import OrderStatus


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class ShipmentEventKind(StrEnum):
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class OrderTimeouts(BaseModel):
    """Waits of the process; passed in as input because the workflow may read no settings."""

    backorder_wait: timedelta = timedelta(days=14)
    stock_recheck: timedelta = timedelta(hours=1)
    approval_wait: timedelta = timedelta(days=3)
    payment_wait: timedelta = timedelta(days=7)
    credit_days: int = 30
    # None: rely on carrier webhooks only; otherwise poll the carrier's tracking this often.
    carrier_poll: timedelta | None = None
    # None: the warehouse confirms packing (manual); otherwise a simulated packer confirms a
    # shipment this long after its pick list was issued (the demo's auto mode).
    auto_pack_after: timedelta | None = None
    # How long a proposed substitute waits for the customer's answer (then: backorder).
    substitution_wait: timedelta = timedelta(days=2)
    # What the desk promises per shipping method, where it differs from the built-in
    # domain/carrier.PROMISED_DELIVERY (later than this, the order is flagged late).
    promised_delivery: dict[ShippingMethod, timedelta] = Field(default_factory=dict)

    def promise(self, method: ShippingMethod) -> timedelta:
        return self.promised_delivery.get(method, PROMISED_DELIVERY[method])


class OrderWorkflowInput(BaseModel):
    order_id: str
    customer_id: str
    channel: str
    total: Decimal
    payment_method: PaymentMethod
    created_by: str
    timeouts: OrderTimeouts = Field(default_factory=OrderTimeouts)
    # The sales rep who owns the customer: four-eyes keeps them from approving it.
    customer_owner: str | None = None
    priority: Priority = Priority.NORMAL
    on_shortage: ShortageChoice = ShortageChoice.BACKORDER
    # Sets the promised delivery time (domain/carrier.py).
    shipping_method: ShippingMethod = ShippingMethod.STANDARD
    # Everyone who changed the order since (four-eyes keeps them from approving it).
    changed_by: list[str] = Field(default_factory=list)
    # The path it takes (domain/order_types.py); a pre-sale order's deposit and release day.
    order_type: OrderType = OrderType.STANDARD
    deposit: Decimal | None = None
    release_date: date | None = None


class ApprovalStep(BaseModel):
    """One level an order needs, with its clock; from the policy version that judged it."""

    level: ApprovalLevel
    approvers: int = 1
    mode: Mode = Mode.SEQUENTIAL
    reasons: list[str] = Field(default_factory=list)
    remind_after: timedelta
    escalate_after: timedelta | None = None
    expire_after: timedelta
    escalate_to: ApprovalLevel | None = None


class CreditStepKind(StrEnum):
    """The dunning of an unpaid credit-terms invoice, in order."""

    REMIND_BEFORE = "remind_before"
    OVERDUE = "overdue"
    REMIND_AFTER = "remind_after"
    CREDIT_HOLD = "credit_hold"


class Dunning(BaseModel):
    """When each dunning step comes, relative to the due date (from the reviewing policy)."""

    remind_before: timedelta
    remind_after: timedelta
    hold_after: timedelta

    def schedule(self, due: datetime) -> list[tuple[datetime, CreditStepKind]]:
        return [
            (due - self.remind_before, CreditStepKind.REMIND_BEFORE),
            (due, CreditStepKind.OVERDUE),
            (due + self.remind_after, CreditStepKind.REMIND_AFTER),
            (due + self.hold_after, CreditStepKind.CREDIT_HOLD),
        ]


# A dunning item naming an installment: "installment:2"; any other item is an invoice number.
INSTALLMENT_ITEM = "installment:"


class DueItem(BaseModel):
    """Something the customer owes by a moment: an invoice (credit terms: N days from each
    invoice) or an installment."""

    # The invoice number or "installment:N" (None: the order's invoices, not known apart).
    item: str | None
    due_at: datetime


class InstallmentTerms(BaseModel):
    count: int
    interval_days: int


class CreditStep(BaseModel):
    order_id: str
    step: CreditStepKind
    # The invoice number or installment dunned (None: the order's open invoices, as before).
    item: str | None = None


class ReviewOutcome(BaseModel):
    decision: ReviewDecision
    reasons: list[str]
    levels: list[ApprovalLevel]
    steps: list[ApprovalStep] = Field(default_factory=list)
    policy_version: int | None = None
    # The policy's threshold above which an approved order's cancellation needs confirming.
    cancel_confirm_above: Decimal | None = None
    # The policy's dunning of unpaid credit-terms invoices (None: reviewed before it).
    dunning: Dunning | None = None


class ReviewRequest(BaseModel):
    """The review of an order, with the statuses the workflow gives its outcomes."""

    order_id: str
    to: OrderStatus = OrderStatus.UNDER_REVIEW
    on_reject: OrderStatus = OrderStatus.REJECTED
    # Reviewed again because its lines changed (an accepted substitute).
    again: bool = False
    # Reviewed again because a person changed it: the version now in force.
    revision: int | None = None


class ReserveRequest(BaseModel):
    order_id: str
    on_success: OrderStatus
    on_short: OrderStatus = OrderStatus.AWAITING_STOCK
    # Reserve what there is now (the partial choice); the rest waits in the stock queue.
    partial: bool = False


class ShipRequest(BaseModel):
    order_id: str
    to: OrderStatus = OrderStatus.SHIPPED


OrderRequest = TypeVar("OrderRequest", ReviewRequest, ShipRequest)


def request_of(model: type[OrderRequest], value: OrderRequest | str) -> OrderRequest:
    """The request, from a bare order id too: tasks scheduled before the workflow handed over
    its statuses carry only the id (the model's defaults are the statuses it hands now)."""
    return model(order_id=value) if isinstance(value, str) else value


class ReserveResult(BaseModel):
    """reserved: the order holds stock and moved on; shortages: what it still lacks (with
    reserved, the rest of a partial reservation)."""

    reserved: bool
    shortages: dict[str, int] = Field(default_factory=dict)


class ShortageChoiceInput(BaseModel):
    on_shortage: ShortageChoice
    actor: str


class ShortageChoiceRecord(BaseModel):
    order_id: str
    choice: ShortageChoiceInput


class SubstituteLine(BaseModel):
    line_no: int
    sku: str
    substitute: str
    quantity: int


class SubstitutionProposal(BaseModel):
    """Substitutes for short lines, proposed to the customer; empty when none fits."""

    lines: list[SubstituteLine] = Field(default_factory=list)


class SubstitutionRequest(BaseModel):
    order_id: str
    # Until when the customer's link answers (the workflow's wait for the answer).
    expires_at: datetime
    to: OrderStatus = OrderStatus.AWAITING_CUSTOMER


class SubstitutionAnswer(BaseModel):
    accept: bool
    actor: str
    # Set for the workflow's own timeout.
    expired: bool = False


class SubstitutionRecord(BaseModel):
    order_id: str
    answer: SubstitutionAnswer
    # Where the order goes meanwhile (declined or expired: back to waiting for stock).
    to: OrderStatus = OrderStatus.AWAITING_STOCK


class StatusChange(BaseModel):
    order_id: str
    to: OrderStatus
    reason: str
    actor: str = "system"


class CloseRequest(BaseModel):
    """Ends an order that will not ship: stock released, payments refunded."""

    order_id: str
    to: OrderStatus
    reason: str
    actor: str = "system"
    # Why a cancellation happened (None: a rejection).
    reason_code: CancelReason | None = None
    # The workflow undoes the order's effects as separate compensation steps after this; False
    # (orders started before): this closing undoes them all in its own transaction.
    compensate_separately: bool = False
    # Set when a person asked for it (a cancellation): audited with the change.
    role: str = ""
    request_id: str = ""
    client_addr: str = ""


class CompensationStep(StrEnum):
    """What closing an order undoes, one step at a time, in this order."""

    WITHDRAW_SHIPMENTS = "withdraw_shipments"
    RELEASE_STOCK = "release_stock"
    VOID_INVOICE = "void_invoice"
    REFUND_PAYMENTS = "refund_payments"


class CompensationRequest(BaseModel):
    order_id: str
    step: CompensationStep
    # Why the order closes: a customer's cancellation of a pre-sale place keeps what the
    # policy keeps of the deposit.
    reason_code: CancelReason | None = None


class PresaleRelease(BaseModel):
    """The release of a pre-sale order's products, on the workflow's day."""

    order_id: str
    day: date


class PresaleReleaseResult(BaseModel):
    # Orders the released places and the stock on hand served (to nudge).
    allocated_orders: list[str] = Field(default_factory=list)


class BatchPlan(BaseModel):
    """One scheduled delivery of a bulk order, as the workflow times it."""

    batch_no: int
    delivery_date: date
    reserve_on: date
    # sku -> quantity: what ships on the date.
    lines: dict[str, int]


class BulkPlan(BaseModel):
    batches: list[BatchPlan]
    # The whole schedule held at approval (from one warehouse), each batch still shipped
    # on its date.
    set_aside: bool = False


class ProductionStart(BaseModel):
    """The production order the plant makes a custom order to, and its rework limit."""

    order_id: str
    production_order_id: str
    plant_ref: str
    max_reworks: int


class ProductionEventInput(BaseModel):
    """One of the plant's events (POST /production-orders/{id}/events)."""

    event: ProductionEventKind
    detail: str | None = None
    actor: str


class ServiceDecisionInput(BaseModel):
    """Customer service's decision on a production order held past its reworks."""

    decision: ServiceDecision
    comment: str
    actor: str


class ProductionEventRecord(BaseModel):
    production_order_id: str
    order_id: str
    # One of the plant's events, or customer service's decision (`service_rework`...).
    event: str
    detail: str | None
    actor: str
    # The production order's state once the event is taken.
    status: ProductionStatus
    reworks: int


class ProductionOutcome(BaseModel):
    status: ProductionStatus
    reworks: int


class BatchStep(BaseModel):
    order_id: str
    batch_no: int


class CompensationResult(BaseModel):
    # Orders that were waiting for stock and got what the step released.
    allocated_orders: list[str] = Field(default_factory=list)
    refunded: Decimal = Decimal("0")


class CloseResult(BaseModel):
    refunded: Decimal
    # Orders that were waiting for stock and got what this order released.
    allocated_orders: list[str]


class ApprovalDecisionInput(BaseModel):
    level: ApprovalLevel
    decision: Decision
    decided_by: str
    # None for the customer, who answers through a signed link rather than as a user.
    role: Role | None
    comment: str = ""
    decision_id: str = ""
    # A stand-in decides in the name of the approver who delegated to them.
    on_behalf_of: str | None = None
    request_id: str = ""
    client_addr: str = ""


class ApprovalState(BaseModel):
    status: OrderStatus
    pending_levels: list[ApprovalLevel]
    approved_levels: list[ApprovalLevel]
    rejected: bool
    decision_id: str = ""
    open_levels: list[ApprovalLevel] = Field(default_factory=list)


class ConfirmationInput(BaseModel):
    """The customer's answer through the signed link."""

    confirm: bool
    decision_id: str
    comment: str = ""
    request_id: str = ""
    client_addr: str = ""


class StepOpening(BaseModel):
    order_id: str
    level: ApprovalLevel
    current_level: ApprovalLevel
    opened_at: datetime
    remind_at: datetime
    escalate_at: datetime | None
    deadline: datetime


class StepEventKind(StrEnum):
    REMIND = "remind"
    ESCALATE = "escalate"


class StepEvent(BaseModel):
    order_id: str
    level: ApprovalLevel
    kind: StepEventKind
    at: datetime
    current_level: ApprovalLevel
    deadline: datetime


class PaymentInput(BaseModel):
    reference: str
    amount: Decimal
    method: str
    actor: str = "system"


class Transition(BaseModel):
    """A status change the workflow decided, for an activity to make in its transaction, and
    only from the status the workflow expects (else it changes nothing)."""

    from_status: OrderStatus
    to: OrderStatus


class PaymentRecord(BaseModel):
    order_id: str
    payment: PaymentInput
    # Where paying in full moves the order, decided by the workflow; None: nowhere.
    when_paid: Transition | None = None


class PaymentState(BaseModel):
    status: OrderStatus
    paid_total: Decimal
    order_total: Decimal


class WriteOffInput(BaseModel):
    """Finance writes off what a reconciliation case says the customer still owes (a cash on
    delivery scan short of the invoice)."""

    case_id: int
    comment: str = ""
    actor: str
    role: str = ""
    request_id: str = ""
    client_addr: str = ""


class WriteOffRecord(BaseModel):
    order_id: str
    write_off: WriteOffInput
    # Where nothing left to ask moves the order, decided by the workflow; None: nowhere.
    when_settled: Transition | None = None


class ShipmentInfo(BaseModel):
    carrier: str
    service: str
    tracking_number: str
    invoice_number: str


class ShipmentEventInput(BaseModel):
    event: ShipmentEventKind
    tracking_number: str
    detail: str = ""
    actor: str = "system"
    # Cash on delivery: what the carrier collected with the delivered scan (None: what was
    # owed). Less than owed opens an underpayment case instead of completing the order.
    cod_amount: Decimal | None = None


class DeliveryTargets(BaseModel):
    """Where the delivered scan moves the order: delivered, then settled if paid in full
    (cash on delivery included), else waiting for the invoice to be paid."""

    delivered: OrderStatus = OrderStatus.DELIVERED
    settled: OrderStatus = OrderStatus.COMPLETED
    open: OrderStatus = OrderStatus.AWAITING_SETTLEMENT

    def after(self, paid: Decimal, total: Decimal) -> OrderStatus:
        return self.settled if paid >= total else self.open


class ShipmentEventRecord(BaseModel):
    order_id: str
    event: ShipmentEventInput
    # Given when a delivered scan completes the order's last parcel; None: the scan is
    # recorded on its shipment only.
    targets: DeliveryTargets | None = Field(default_factory=DeliveryTargets)
    # Where an exception scan moves the order (None: recorded only, as before trouble handling).
    on_exception: OrderStatus | None = None


class ExceptionAction(StrEnum):
    RESHIP = "reship"
    REFUND = "refund"


class ExceptionResolution(BaseModel):
    action: ExceptionAction
    comment: str
    actor: str


class TroubleRecord(BaseModel):
    """Customer service's answer to a parcel's exception, for the activity that carries it
    out; the workflow hands over where the order goes."""

    order_id: str
    tracking_number: str
    resolution: ExceptionResolution
    # reship: the status while the new parcel is prepared. refund: the status after it; with
    # targets, the other parcels were all delivered and the delivery completes now.
    to: OrderStatus
    targets: DeliveryTargets | None = None
    # Set by workflows of earlier releases; no longer read: a refunded parcel is credited by
    # a credit note whether other parcels go on or not.
    credit: bool = False


class TroubleResult(BaseModel):
    status: OrderStatus
    paid_total: Decimal
    # reship: the lost parcel's goods are held again (False: waiting for stock).
    reserved: bool = False


class Packaging(StrEnum):
    STANDARD = "standard"
    FRAGILE = "fragile"
    GIFT = "gift"


class Package(BaseModel):
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


class ShipmentPlan(BaseModel):
    """A shipment the order's pick lists created: one per warehouse holding its stock."""

    shipment_id: str
    warehouse: str


class PrepareShipments(BaseModel):
    order_id: str
    to: OrderStatus = OrderStatus.PICKING
    # At most this much per sku (a bulk order's batch); None: all it holds.
    only: dict[str, int] | None = None


class PackingInput(BaseModel):
    shipment_id: str
    packages: list[Package]
    packaging: Packaging = Packaging.STANDARD
    actor: str = "warehouse"


class PackingRecord(BaseModel):
    order_id: str
    packing: PackingInput


class BookRequest(BaseModel):
    order_id: str
    shipment_id: str
    # Given to the booking that completes the order's shipments (and issues the invoice).
    to: OrderStatus | None = None


class ParcelScan(BaseModel):
    tracking_number: str
    event: ShipmentEventKind


class ShipmentEventResult(BaseModel):
    new: bool
    status: OrderStatus
    paid_total: Decimal


class CancelInput(BaseModel):
    reason: str
    actor: str
    # Requests before reason codes carry none.
    reason_code: CancelReason = CancelReason.OTHER
    role: str = ""
    request_id: str = ""
    client_addr: str = ""


class OrderState(BaseModel):
    status: OrderStatus
    pending_levels: list[ApprovalLevel]
    paid_total: Decimal
    tracking_number: str | None
    # The levels that may decide now (after escalation: the level they moved to).
    open_levels: list[ApprovalLevel] = Field(default_factory=list)
    # A costly cancellation waits for the cancellation level's confirmation.
    cancellation_requested: bool = False
    # The version of the order in force (1 until its first change).
    version: int = 1
    # An address change waits for a supervisor's confirmation (level address_change).
    change_requested: bool = False


class DecisionRecord(BaseModel):
    order_id: str
    decision: ApprovalDecisionInput
    # Set by the approval desk: the level that decides now (after any escalation).
    current_level: ApprovalLevel | None = None


class CancellationRequest(BaseModel):
    """A costly cancellation, waiting for the cancellation level to confirm it."""

    order_id: str
    request: CancelInput


class DeskRequest(BaseModel):
    """A person's request that waits for a supervisor on the approval desk at `level`."""

    order_id: str
    level: ApprovalLevel
    why: str
    actor: str
    role: str = ""
    request_id: str = ""
    client_addr: str = ""


class DeskRequestDecision(BaseModel):
    order_id: str
    level: ApprovalLevel
    decision: "ApprovalDecisionInput"


class CancellationDecision(BaseModel):
    order_id: str
    decision: ApprovalDecisionInput


class ChangeInput(BaseModel):
    """A person's change of a running order (POST /orders/{id}/changes)."""

    change: OrderChange
    actor: str
    role: str = ""
    request_id: str = ""
    client_addr: str = ""


class ChangeRecord(BaseModel):
    order_id: str
    change: ChangeInput
    # The version the change makes: a retried activity finds it made and changes nothing.
    version: int


class ChangeResult(BaseModel):
    version: int
    total: Decimal
    payment_method: PaymentMethod
    shipping_method: ShippingMethod
    diff: list[DiffEntry] = Field(default_factory=list)
    # Orders waiting for stock that got what the change released.
    allocated_orders: list[str] = Field(default_factory=list)


class ReturnInput(BaseModel):
    """A return's workflow (`return-{rma}`): what it awaits and how it is resolved."""

    rma: str
    order_id: str
    resolution: Resolution
    # The goods are awaited this long; then the return expires.
    goods_wait: timedelta = timedelta(days=30)
    # None: the warehouse confirms packing of an exchange; otherwise the simulated packer.
    auto_pack_after: timedelta | None = None
    stock_recheck: timedelta = timedelta(hours=1)


class ReturnedItem(BaseModel):
    sku: str
    quantity: int
    condition: Condition


class ReturnReceipt(BaseModel):
    """The goods as the warehouse received them."""

    warehouse: str
    lines: list[ReturnedItem]
    actor: str
    role: str = ""
    request_id: str = ""
    client_addr: str = ""


class ReceiptRecord(BaseModel):
    rma: str
    receipt: ReturnReceipt


class ReceiptResult(BaseModel):
    # Orders waiting for stock that got what the return put back.
    allocated_orders: list[str] = Field(default_factory=list)


class ReturnState(BaseModel):
    rma: str
    order_id: str
    status: ReturnStatus
    exchange_shipment_id: str | None = None


class RefundRequest(BaseModel):
    """Finance's refund of (part of) what an order was paid, once per reference."""

    order_id: str
    amount: Decimal
    reference: str
    reason: str
    actor: str
    role: str = ""
    request_id: str = ""
    client_addr: str = ""
    # The reconciliation case this refund resolves, if any.
    case_id: int | None = None


class RefundResult(BaseModel):
    refunded: Decimal
    paid_total: Decimal
