"""A parcel in trouble: customer service reships it (its goods held again, a new shipment) or
refunds it (its value credited, and paid money returned up to it); and an order flagged late
when its parcels are not delivered within the shipping method's promise."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.adapters import PaymentGateway
from activities.refunds import refund_up_to
from activities.shipping import settle_delivery
from db import stock
from db.documents import credit_goods
from db.engine import SessionFactory
from db.models import Order, Reservation, Shipment, ShipmentLine, User
from db.notify import tell_staff
from db.payments import paid_total
from db.status import change_status, lock_order, record_event
from domain.messages import ExceptionAction, TroubleRecord, TroubleResult
from domain.roles import Role
from domain.status import OrderStatus

LOST, REFUNDED = "lost", "refunded"


class TroubleActivities:
    def __init__(self, sessions: SessionFactory, gateway: PaymentGateway) -> None:
        self.sessions = sessions
        self.gateway = gateway

    @activity.defn(name="resolve_shipment_exception")
    async def resolve_shipment_exception(self, record: TroubleRecord) -> TroubleResult:
        r = record.resolution
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            shipment = await session.scalar(
                select(Shipment).where(
                    Shipment.order_id == order.id,
                    Shipment.tracking_number == record.tracking_number,
                )
            )
            if shipment is None:
                raise ApplicationError(
                    f"tracking number {record.tracking_number} is not this order's",
                    type="UnknownTrackingNumber",
                    non_retryable=True,
                )
            note = f": {r.comment}" if r.comment else ""
            if r.action == ExceptionAction.RESHIP:
                if shipment.status != LOST:
                    shipment.status = LOST
                    for held in await session.scalars(
                        select(Reservation).where(Reservation.shipment_id == shipment.id)
                    ):
                        held.status = LOST  # counts as needed again
                    await record_event(
                        session,
                        order,
                        r.actor,
                        f"parcel {shipment.tracking_number} reshipped{note}",
                    )
                short = await stock.try_reserve(session, order.id)
                if short:
                    await stock.enqueue_wait(session, order.id)
                await change_status(session, order, record.to, r.actor, "reship")
                return TroubleResult(
                    status=OrderStatus(order.status),
                    paid_total=await paid_total(session, order.id),
                    reserved=not short,
                )
            if shipment.status != REFUNDED:
                shipment.status = REFUNDED
                value = await self._refund(session, order, shipment, r.actor)
                await record_event(
                    session,
                    order,
                    r.actor,
                    f"parcel {shipment.tracking_number} refunded: value {value}{note}",
                )
            reason = f"parcel {shipment.tracking_number} refunded"
            if record.targets is not None:
                await change_status(session, order, record.targets.delivered, r.actor, reason)
                paid = await settle_delivery(session, order, shipment.id, record.targets)
            else:
                await change_status(session, order, record.to, r.actor, reason)
                paid = await paid_total(session, order.id)
            return TroubleResult(status=OrderStatus(order.status), paid_total=paid)

    async def _refund(
        self, session: AsyncSession, order: Order, shipment: Shipment, actor: str
    ) -> Decimal:
        """The parcel's goods are credited (a credit note against the invoice that billed
        them: the customer no longer owes them) and money paid goes back through the gateway
        up to that value. Returns the value."""
        items = {
            item.sku: item.quantity
            for item in await session.scalars(
                select(ShipmentLine).where(ShipmentLine.shipment_id == shipment.id)
            )
        }
        notes = await credit_goods(
            session, order, items, "cancellation", f"lost-{shipment.id}", actor
        )
        value = sum((n.total for n in notes), Decimal(0))
        await refund_up_to(session, self.gateway, order, value, shipment.id)
        return value

    @activity.defn(name="flag_late")
    async def flag_late(self, order_id: str) -> None:
        """Not delivered within the promise: flagged, and customer service told once."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            if order.late:
                return
            order.late = True
            await record_event(
                session, order, "system", "late: not delivered within the promised time"
            )
            for person in await session.scalars(
                select(User.username).where(
                    User.role == Role.CUSTOMER_SERVICE, User.active.is_(True)
                )
            ):
                await tell_staff(
                    session,
                    f"{order.id}:late:{person}",
                    order.id,
                    "late",
                    person,
                    {"order": order.id, "method": order.shipping_method},
                )
