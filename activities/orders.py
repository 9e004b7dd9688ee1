"""Status moves that have no other writes, and the closing of orders that will not ship."""

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity

from activities.adapters import PaymentGateway
from db import stock
from db.audit import Who, audit
from db.engine import SessionFactory
from db.models import Approval, Invoice, Payment, Shipment
from db.shipments import CANCELLED_SHIPMENT, UNBOOKED
from db.status import change_status, lock_order
from domain.messages import CloseRequest, CloseResult, StatusChange


class OrderActivities:
    def __init__(self, sessions: SessionFactory, gateway: PaymentGateway) -> None:
        self.sessions = sessions
        self.gateway = gateway

    @activity.defn(name="change_status")
    async def change_status(self, change: StatusChange) -> None:
        async with self.sessions.begin() as session:
            order = await lock_order(session, change.order_id)
            await change_status(session, order, change.to, change.actor, change.reason)

    @activity.defn(name="close_order")
    async def close_order(self, request: CloseRequest) -> CloseResult:
        """Release stock, refund payments, expire open approvals, set the final status."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            payments = list(
                await session.scalars(
                    select(Payment).where(Payment.order_id == order.id, Payment.kind == "payment")
                )
            )
            refunded = Decimal("0.00")
            for payment in payments:
                # The gateway call is idempotent by reference, so a retried activity is safe.
                gateway_ref = await self.gateway.refund(order.id, payment.reference, payment.amount)
                # Keyed by this order and the payment it refunds: never another order's key.
                result = await session.execute(
                    insert(Payment)
                    .values(
                        reference=payment.reference,
                        order_id=order.id,
                        amount=-payment.amount,
                        method=payment.method,
                        kind="refund",
                        gateway_ref=gateway_ref,
                    )
                    .on_conflict_do_nothing()
                    .returning(Payment.reference)
                )
                if result.first() is not None:
                    refunded += payment.amount
            await session.execute(
                update(Approval)
                .where(Approval.order_id == order.id, Approval.status == "pending")
                .values(status="expired")
            )
            await session.execute(
                update(Invoice).where(Invoice.order_id == order.id).values(status="void")
            )
            await stock.drop_wait(session, order.id)
            # Pick lists not yet handed to a carrier are withdrawn with the stock they held.
            await session.execute(
                update(Shipment)
                .where(Shipment.order_id == order.id, Shipment.status.in_(UNBOOKED))
                .values(status=CANCELLED_SHIPMENT)
            )
            freed = await stock.release(session, order.id)
            reason = request.reason + (f"; refunded {refunded}" if refunded else "")
            if request.reason_code is not None:
                order.cancel_reason_code = request.reason_code
                if not reason.startswith(request.reason_code):
                    reason = f"{request.reason_code}: {reason}"
            await change_status(session, order, request.to, request.actor, reason)
            if request.role:
                who = Who(request.actor, request.role, request.request_id, request.client_addr)
                audit(
                    session, who, "order.cancel", str(request.to), order_id=order.id, detail=reason
                )
            allocated = await stock.allocate_waiting(session, freed)
            return CloseResult(refunded=refunded, allocated_orders=allocated)
