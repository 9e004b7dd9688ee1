"""A return's steps: the goods received (sellable ones back in stock, serving waiting orders;
damaged ones written off), the refund of what came back, the exchange's goods held and put on
a pick list, and the return closed or expired. Each step is recorded once: a retried
activity finds its step done."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.adapters import PaymentGateway
from activities.refunds import refund_up_to
from db import stock
from db.audit import Who, audit
from db.documents import credit_goods
from db.engine import SessionFactory
from db.models import Order, Return, ReturnLine
from db.returns import delivered_quantities, hold_exchange, refunded_quantities
from db.status import change_status, lock_order, record_event
from domain.messages import ReceiptRecord, ReceiptResult, ReturnState
from domain.returns import Condition, ReturnStatus
from domain.status import OrderStatus


class ReturnActivities:
    def __init__(self, sessions: SessionFactory, gateway: PaymentGateway) -> None:
        self.sessions = sessions
        self.gateway = gateway

    @activity.defn(name="receive_return")
    async def receive_return(self, record: ReceiptRecord) -> ReceiptResult:
        r = record.receipt
        async with self.sessions.begin() as session:
            ret, order = await _lock(session, record.rma)
            if ret.status != ReturnStatus.AUTHORIZED:
                return ReceiptResult()
            lines = {x.sku: x for x in await _lines(session, ret.rma)}
            restocked: list[str] = []
            said = []
            for item in r.lines:
                line = lines[item.sku]
                if item.condition == Condition.SELLABLE:
                    line.sellable += item.quantity
                    await stock.add_on_hand(session, item.sku, r.warehouse, item.quantity)
                    restocked.append(item.sku)
                else:
                    line.damaged += item.quantity
                said.append(
                    f"{item.quantity} x {item.sku} "
                    + ("back in stock" if item.condition == Condition.SELLABLE else "written off")
                )
            ret.status, ret.warehouse = ReturnStatus.RECEIVED, r.warehouse
            ret.received_by, ret.received_at = r.actor, await session.scalar(select(func.now()))
            why = f"return {ret.rma} received at {r.warehouse}: " + ", ".join(said)
            await record_event(session, order, r.actor, why)
            who = Who(r.actor, r.role or "unknown", r.request_id, r.client_addr)
            audit(session, who, "return.receive", "received", order_id=order.id, detail=why)
            allocated = await stock.allocate_waiting(session, sorted(set(restocked)))
            return ReceiptResult(allocated_orders=allocated)

    @activity.defn(name="refund_return")
    async def refund_return(self, rma: str) -> ReturnState:
        """What came back, refunded through the gateway at what it was sold for (never more
        than the order was paid); an order all of whose goods came back is RETURNED."""
        async with self.sessions.begin() as session:
            ret, order = await _lock(session, rma)
            if ret.status == ReturnStatus.RECEIVED:
                came_back = {x.sku: x.sellable + x.damaged for x in await _lines(session, rma)}
                # Credited at what the invoices billed for those goods, then paid back.
                notes = await credit_goods(session, order, came_back, "return", rma, "system")
                value = sum((n.total for n in notes), Decimal(0))
                sent = await refund_up_to(session, self.gateway, order, value, rma)
                ret.refunded, ret.status = sent, ReturnStatus.REFUNDED
                ret.closed_at = await session.scalar(select(func.now()))
                credited = ", ".join(n.number for n in notes)
                await record_event(
                    session,
                    order,
                    "system",
                    f"return {rma} refunded: {sent} (credit note {credited}: {value})",
                )
                await _returned_in_full(session, order, rma)
            return _state(ret)

    @activity.defn(name="hold_exchange")
    async def hold_exchange(self, rma: str) -> ReturnState:
        """The goods that came back, sent again: held in one warehouse and put on a pick list
        (no exchange shipment yet: no warehouse has them all now)."""
        async with self.sessions.begin() as session:
            ret, order = await _lock(session, rma)
            if ret.exchange_shipment_id is None and ret.status == ReturnStatus.RECEIVED:
                items = {
                    x.sku: x.sellable + x.damaged
                    for x in await _lines(session, rma)
                    if x.sellable + x.damaged
                }
                shipment = await hold_exchange(session, order, rma, items)
                if shipment is not None:
                    ret.exchange_shipment_id = shipment.id
                    await record_event(
                        session,
                        order,
                        "system",
                        f"return {rma}: exchange shipment {shipment.id} from {shipment.warehouse}",
                    )
            return _state(ret)

    @activity.defn(name="close_exchange")
    async def close_exchange(self, rma: str) -> ReturnState:
        async with self.sessions.begin() as session:
            ret, order = await _lock(session, rma)
            if ret.status == ReturnStatus.RECEIVED:
                ret.status = ReturnStatus.EXCHANGED
                ret.closed_at = await session.scalar(select(func.now()))
                await record_event(session, order, "system", f"return {rma}: exchange shipped")
            return _state(ret)

    @activity.defn(name="expire_return")
    async def expire_return(self, rma: str) -> ReturnState:
        async with self.sessions.begin() as session:
            ret, order = await _lock(session, rma)
            if ret.status == ReturnStatus.AUTHORIZED:
                ret.status = ReturnStatus.EXPIRED
                ret.closed_at = await session.scalar(select(func.now()))
                await record_event(
                    session, order, "system", f"return {rma} expired: the goods never arrived"
                )
            return _state(ret)


async def _lock(session: AsyncSession, rma: str) -> tuple[Return, Order]:
    """The return and its order, the order locked first (the order's own steps lock it too)."""
    order_id = await session.scalar(select(Return.order_id).where(Return.rma == rma))
    assert order_id is not None  # the workflow exists only for a recorded return
    order = await lock_order(session, order_id)
    ret = await session.get_one(Return, rma, with_for_update=True)
    return ret, order


async def _lines(session: AsyncSession, rma: str) -> list[ReturnLine]:
    return list(
        await session.scalars(
            select(ReturnLine).where(ReturnLine.rma == rma).order_by(ReturnLine.sku)
        )
    )


async def _returned_in_full(session: AsyncSession, order: Order, rma: str) -> None:
    """A completed order whose every delivered item is claimed by a received return."""
    if order.status != OrderStatus.COMPLETED:
        return
    delivered = await delivered_quantities(session, order.id)
    back = await refunded_quantities(session, order.id)
    if all(back.get(sku, 0) >= q for sku, q in delivered.items()):
        await change_status(
            session, order, OrderStatus.RETURNED, "system", f"returned in full ({rma})"
        )


def _state(ret: Return) -> ReturnState:
    return ReturnState(
        rma=ret.rma,
        order_id=ret.order_id,
        status=ReturnStatus(ret.status),
        exchange_shipment_id=ret.exchange_shipment_id,
    )
