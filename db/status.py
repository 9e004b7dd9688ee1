"""Status changes of an order, always with their history row in the same transaction."""

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.customer_messages import tell_of_status
from db.models import OPEN_STAY, Order, OrderHistory
from db.webhooks import emit
from domain.carrier import ShippingMethod, promised_ship_date
from domain.customer_messages import STATUS_MESSAGES
from domain.status import OrderStatus, can_transition
from domain.webhooks import WebhookEvent

# The statuses that confirm an order to its customer (with the date to expect it), and those
# its first parcel leaves in.
CONFIRMED_STATUSES = {s for s, kind in STATUS_MESSAGES.items() if kind == "order_confirmed"}
SHIPPED_STATUSES = {OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED}


class IllegalTransition(Exception):
    def __init__(self, order_id: str, current: str, target: str) -> None:
        super().__init__(f"order {order_id}: {current} -> {target} is not allowed")
        self.current = current


class OrderNotFound(Exception):
    pass


async def lock_order(session: AsyncSession, order_id: str) -> Order:
    order = await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def change_status(
    session: AsyncSession, order: Order, target: OrderStatus, actor: str, reason: str
) -> bool:
    """Move a locked order to target; a retried step that already moved it changes nothing."""
    current = OrderStatus(order.status)
    if current == target:
        return False
    if not can_transition(current, target):
        raise IllegalTransition(order.id, current, target)
    await session.execute(
        update(Order).where(Order.id == order.id).values(status=target, updated_at=func.now())
    )
    order.status = target
    # The stay in the status it leaves ends now (the same transaction time as `at` below).
    await session.execute(
        update(OrderHistory)
        .where(OrderHistory.order_id == order.id, text(OPEN_STAY))
        .values(left_at=func.now())
    )
    session.add(
        OrderHistory(
            order_id=order.id, actor=actor, from_status=current, to_status=target, reason=reason
        )
    )
    await keep_ship_promise(session, order, target)
    await tell_of_status(session, order, target)
    await emit(
        session,
        WebhookEvent.ORDER_STATUS_CHANGED,
        {"order_id": order.id, "from": current, "to": target, "external_ref": order.external_ref},
    )
    return True


async def keep_ship_promise(session: AsyncSession, order: Order, target: OrderStatus) -> None:
    """Confirmed: the day it is promised to leave by (once; a later confirmation, after a
    change, keeps the first promise). Its first parcel gone: whether it left by then."""
    confirming = target in CONFIRMED_STATUSES and order.promised_ship_date is None
    leaving = (
        target in SHIPPED_STATUSES
        and order.shipped_on_time is None
        and order.promised_ship_date is not None
    )
    if not (confirming or leaving):
        return
    today = await session.scalar(select(func.current_date()))
    assert today is not None
    if confirming:
        method = ShippingMethod(order.shipping_method)
        order.promised_ship_date = promised_ship_date(today, method, order.expected_stock_date)
    elif order.promised_ship_date is not None:
        order.shipped_on_time = today <= order.promised_ship_date


async def mark_workflow_started(session: AsyncSession, order_id: str) -> None:
    """The order's workflow exists (its first activity ran, or the sweeper started it)."""
    await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.workflow_started_at.is_(None))
        .values(workflow_started_at=func.now())
    )


async def record_event(session: AsyncSession, order: Order, actor: str, reason: str) -> None:
    """A history row that is not a status change (a decision, a payment, a carrier event)."""
    session.add(
        OrderHistory(
            order_id=order.id,
            actor=actor,
            from_status=order.status,
            to_status=order.status,
            reason=reason,
        )
    )
