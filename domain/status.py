"""Order statuses and the transitions the process allows between them."""

from enum import StrEnum


class OrderStatus(StrEnum):
    RECEIVED = "RECEIVED"
    UNDER_REVIEW = "UNDER_REVIEW"
    AWAITING_STOCK = "AWAITING_STOCK"
    # A substitute for a short line is proposed; the customer's answer is awaited.
    AWAITING_CUSTOMER = "AWAITING_CUSTOMER"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    # A pre-sale order: its deposit is awaited, then it holds its place in the queue until
    # the release (domain/presale.py).
    AWAITING_DEPOSIT = "AWAITING_DEPOSIT"
    QUEUED = "QUEUED"
    # A bulk order approved and waiting for its first delivery's reservation day.
    SCHEDULED = "SCHEDULED"
    # A custom order signed off: the plant makes it (a production child workflow).
    IN_PRODUCTION = "IN_PRODUCTION"
    READY_TO_SHIP = "READY_TO_SHIP"
    # Pick lists issued; the warehouse picks and packs, then the carrier is booked.
    PICKING = "PICKING"
    # What was in stock has left; the rest ships when it arrives (the partial choice).
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    # The carrier reported trouble with a parcel; customer service reships or refunds it.
    SHIPMENT_EXCEPTION = "SHIPMENT_EXCEPTION"
    DELIVERED = "DELIVERED"
    AWAITING_SETTLEMENT = "AWAITING_SETTLEMENT"
    COMPLETED = "COMPLETED"
    # Every delivered item came back (a return); after a partial one it stays COMPLETED.
    RETURNED = "RETURNED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


S = OrderStatus

ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.RECEIVED: frozenset({S.UNDER_REVIEW, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset(
        {S.AWAITING_STOCK, S.AWAITING_APPROVAL, S.AWAITING_PAYMENT, S.READY_TO_SHIP}
        | {S.AWAITING_DEPOSIT, S.SCHEDULED, S.REJECTED, S.CANCELLED}
    ),
    S.AWAITING_STOCK: frozenset(
        {S.AWAITING_APPROVAL, S.AWAITING_PAYMENT, S.READY_TO_SHIP, S.AWAITING_CUSTOMER}
        | {S.REJECTED, S.CANCELLED}
    ),
    S.AWAITING_CUSTOMER: frozenset(
        {S.AWAITING_STOCK, S.AWAITING_APPROVAL, S.AWAITING_PAYMENT, S.READY_TO_SHIP}
        | {S.REJECTED, S.CANCELLED}
    ),
    # A changed order is reviewed again and goes back to wherever its new version waits (the
    # REJECTED and AWAITING_* edges back from an approved status are a change's).
    S.AWAITING_APPROVAL: frozenset(
        {S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.READY_TO_SHIP, S.REJECTED, S.CANCELLED}
        | {S.AWAITING_DEPOSIT, S.SCHEDULED, S.IN_PRODUCTION}
    ),
    S.AWAITING_DEPOSIT: frozenset({S.QUEUED, S.REJECTED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.AWAITING_STOCK, S.READY_TO_SHIP, S.CANCELLED}),
    # Made: on from its stock (held for it), or cancelled when production failed for good.
    S.IN_PRODUCTION: frozenset({S.AWAITING_PAYMENT, S.READY_TO_SHIP, S.CANCELLED}),
    # Released: on like any order whose review passed, from its stock.
    S.QUEUED: frozenset(
        {S.AWAITING_STOCK, S.AWAITING_APPROVAL, S.AWAITING_PAYMENT, S.READY_TO_SHIP}
        | {S.AWAITING_CUSTOMER, S.REJECTED, S.CANCELLED}
    ),
    S.AWAITING_PAYMENT: frozenset(
        {S.AWAITING_STOCK, S.AWAITING_APPROVAL, S.READY_TO_SHIP, S.REJECTED, S.CANCELLED}
    ),
    S.READY_TO_SHIP: frozenset(
        {S.PICKING, S.SHIPPED, S.CANCELLED}
        | {S.AWAITING_STOCK, S.AWAITING_APPROVAL, S.AWAITING_PAYMENT, S.REJECTED}
    ),
    S.PICKING: frozenset({S.SHIPPED, S.PARTIALLY_SHIPPED, S.SHIPMENT_EXCEPTION, S.CANCELLED}),
    # Cancelled after booking: withdrawn from the carrier before it picked the parcels up.
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.SHIPMENT_EXCEPTION, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.SHIPMENT_EXCEPTION, S.CANCELLED}),
    S.SHIPMENT_EXCEPTION: frozenset(
        {S.PICKING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.CANCELLED}
    ),
    S.DELIVERED: frozenset({S.AWAITING_SETTLEMENT, S.COMPLETED}),
    S.AWAITING_SETTLEMENT: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

FINAL_STATUSES = frozenset({S.COMPLETED, S.RETURNED, S.REJECTED, S.CANCELLED})
# The goods have left (or the order ended): finance may refund; before, cancelling or changing
# the order is the way.
REFUNDABLE_STATUSES = frozenset(
    {
        S.PARTIALLY_SHIPPED,
        S.SHIPPED,
        S.SHIPMENT_EXCEPTION,
        S.DELIVERED,
        S.AWAITING_SETTLEMENT,
        S.COMPLETED,
        S.RETURNED,
        S.REJECTED,
        S.CANCELLED,
    }
)
# Goods delivered: a return may be authorized (within the policy's window).
RETURNABLE_STATUSES = frozenset({S.AWAITING_SETTLEMENT, S.COMPLETED})
# Past review and every approval: an order that counts as the customer's track record.
APPROVED_STATUSES = frozenset(
    {
        S.AWAITING_PAYMENT,
        S.READY_TO_SHIP,
        S.PICKING,
        S.PARTIALLY_SHIPPED,
        S.SHIPPED,
        S.SHIPMENT_EXCEPTION,
        S.DELIVERED,
        S.AWAITING_SETTLEMENT,
        S.COMPLETED,
    }
)

# Cancellation is allowed until the goods leave the warehouse.
CANCELLABLE_STATUSES = frozenset(
    {
        S.RECEIVED,
        S.UNDER_REVIEW,
        S.AWAITING_STOCK,
        S.AWAITING_CUSTOMER,
        S.AWAITING_APPROVAL,
        S.AWAITING_PAYMENT,
        S.AWAITING_DEPOSIT,
        S.QUEUED,
        S.SCHEDULED,
        S.READY_TO_SHIP,
        S.PICKING,
    }
)


# Booked but, as long as the carrier has not picked a parcel up, still cancellable: the
# bookings are withdrawn (orders started with `withdraw-booked-v1`).
WITHDRAWABLE_STATUSES = frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED})


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """A status may move to itself (a retried step) or along an allowed edge."""
    return current == target or target in ALLOWED_TRANSITIONS[current]


def status_after_stock(approval_pending: bool, payment_due: bool) -> OrderStatus:
    """Where an order goes once its stock is held: approvals first, then payment."""
    if approval_pending:
        return OrderStatus.AWAITING_APPROVAL
    if payment_due:
        return OrderStatus.AWAITING_PAYMENT
    return OrderStatus.READY_TO_SHIP


# Where payment in full moves an order that waits for money.
SETTLED_BY_PAYMENT: dict[OrderStatus, OrderStatus] = {
    OrderStatus.AWAITING_PAYMENT: OrderStatus.READY_TO_SHIP,
    OrderStatus.AWAITING_SETTLEMENT: OrderStatus.COMPLETED,
}

# A pre-sale order's waits before its release: no change of lines (they fix its deposit and
# place); cancelling gives the deposit back as the policy says.
PRESALE_WAITS = frozenset({S.AWAITING_DEPOSIT, S.QUEUED})


# Where every order starts: recorded by intake, before its workflow takes over.
INTAKE_STATUS = OrderStatus.RECEIVED
# The status in which an order's open approval levels wait for an approver's decision.
DECIDING_STATUS = OrderStatus.AWAITING_APPROVAL
# Statuses an order passes through without waiting for a person, a payment or a stock
# receipt (SHIPPED waits only for the carrier's scans).
IN_MOTION_STATUSES = frozenset(
    {S.RECEIVED, S.UNDER_REVIEW, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED}
)
# Where an order's goods can wait or stall: the fulfilment KPIs count orders in each.
FULFILMENT_STAGES = (
    S.AWAITING_STOCK,
    S.AWAITING_CUSTOMER,
    S.PICKING,
    S.PARTIALLY_SHIPPED,
    S.SHIPMENT_EXCEPTION,
)
# An order stopped by a parcel's trouble, waiting for customer service.
EXCEPTION_STATUS = S.SHIPMENT_EXCEPTION
# Every parcel delivered.
DELIVERED_STATUS = S.DELIVERED
