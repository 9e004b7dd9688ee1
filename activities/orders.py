"""Status moves that have no other writes, and the closing of orders that will not ship."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.adapters import CarrierAdapter, PaymentGateway, SimulatedCarrier
from db import stock
from db.audit import Who, audit
from db.documents import credit
from db.engine import SessionFactory
from db.models import Approval, Invoice, Order, Payment, Reservation, Shipment
from db.policies import current_policy
from db.shipments import BOOKED, CANCELLED_SHIPMENT, UNBOOKED, WITHDRAWN
from db.status import change_status, lock_order, record_event
from domain.cancellation import CancelReason
from domain.messages import (
    CloseRequest,
    CloseResult,
    CompensationRequest,
    CompensationResult,
    CompensationStep,
    StatusChange,
)
from domain.money import HUNDRED
from domain.order_types import OrderType
from domain.presale import refund_on_cancel
from domain.status import PRESALE_WAITS


class OrderActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        gateway: PaymentGateway,
        carrier: CarrierAdapter | None = None,
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway
        self.carrier = carrier or SimulatedCarrier()

    @activity.defn(name="change_status")
    async def change_status(self, change: StatusChange) -> None:
        async with self.sessions.begin() as session:
            order = await lock_order(session, change.order_id)
            await change_status(session, order, change.to, change.actor, change.reason)

    @activity.defn(name="close_order")
    async def close_order(self, request: CloseRequest) -> CloseResult:
        """The final status (with its reason code and audit), open approvals expired, the
        order out of the stock queue; and, for orders started before compensation steps,
        stock released, pick lists withdrawn, invoice voided and payments refunded too."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            refunded, freed = Decimal("0.00"), []
            if not request.compensate_separately:
                refunded = await self._refund(session, order)
                await _credit_all(session, order)
                await _withdraw(session, order)
                freed = await stock.release(session, order.id)
            await session.execute(
                update(Approval)
                .where(Approval.order_id == order.id, Approval.status == "pending")
                .values(status="expired")
            )
            await stock.drop_wait(session, order.id)
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

    @activity.defn(name="compensate")
    async def compensate(self, request: CompensationRequest) -> CompensationResult:
        """One compensation step of a closed order, in its own transaction and recorded in the
        history; run again, it finds nothing left to undo."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            result = CompensationResult()
            step = request.step
            if step == CompensationStep.WITHDRAW_SHIPMENTS:
                withdrawn = await self._withdraw_booked(session, order)
                result.allocated_orders = await stock.allocate_waiting(session, withdrawn.skus)
                n = await _withdraw(session, order)
                done = "; ".join(
                    [
                        *([f"{n} pick list(s) withdrawn"] if n else []),
                        *withdrawn.said,
                    ]
                )
            elif step == CompensationStep.RELEASE_STOCK:
                await stock.drop_wait(session, order.id)  # what it frees goes to others
                freed = await stock.release(session, order.id)
                result.allocated_orders = await stock.allocate_waiting(session, freed)
                done = f"stock released: {', '.join(freed)}" if freed else ""
            elif step == CompensationStep.VOID_INVOICE:
                # Issued invoices are never voided: each is credited in full.
                notes = await _credit_all(session, order)
                done = "credit note(s) " + ", ".join(notes) if notes else ""
            else:
                share = await _refund_share(session, order, request.reason_code)
                result.refunded = await self._refund(session, order, share)
                done = f"refunded {result.refunded}" if result.refunded else ""
            if done:
                await record_event(session, order, "system", f"compensation: {done}")
            return result

    async def _withdraw_booked(self, session: AsyncSession, order: Order) -> "Withdrawn":
        """Parcels booked but not yet with the carrier: the booking withdrawn through the
        carrier adapter, the goods back on hand where they were packed."""
        withdrawn = Withdrawn()
        booked = await session.scalars(
            select(Shipment).where(
                Shipment.order_id == order.id,
                Shipment.status == BOOKED,
                Shipment.rma.is_(None),
            )
        )
        for shipment in booked:
            assert shipment.tracking_number and shipment.booked_at and shipment.warehouse
            if not await self.carrier.cancel_shipment(shipment.tracking_number, shipment.booked_at):
                withdrawn.said.append(f"parcel {shipment.tracking_number} already with the carrier")
                continue
            shipment.status = WITHDRAWN
            for held in await session.scalars(
                select(Reservation).where(
                    Reservation.shipment_id == shipment.id, Reservation.status == stock.SHIPPED
                )
            ):
                held.status = WITHDRAWN
                await stock.add_on_hand(session, held.sku, shipment.warehouse, held.quantity)
                withdrawn.skus.append(held.sku)
            withdrawn.said.append(
                f"parcel {shipment.tracking_number} withdrawn from {shipment.carrier}, "
                f"goods back at {shipment.warehouse}"
            )
        return withdrawn

    async def _refund(
        self, session: AsyncSession, order: Order, share: Decimal = HUNDRED
    ) -> Decimal:
        """Every payment back through the gateway (`share` percent of each), once (keyed by
        the payment it refunds)."""
        payments = list(
            await session.scalars(
                select(Payment).where(Payment.order_id == order.id, Payment.kind == "payment")
            )
        )
        refunded = Decimal("0.00")
        for payment in payments:
            amount = refund_on_cancel(payment.amount, share)
            if amount <= 0:
                continue
            # The gateway call is idempotent by reference, so a retried activity is safe.
            gateway_ref = await self.gateway.refund(order.id, payment.reference, amount)
            # Keyed by this order and the payment it refunds: never another order's key.
            result = await session.execute(
                insert(Payment)
                .values(
                    reference=payment.reference,
                    order_id=order.id,
                    amount=-amount,
                    method=payment.method,
                    kind="refund",
                    gateway_ref=gateway_ref,
                )
                .on_conflict_do_nothing()
                .returning(Payment.reference)
            )
            if result.first() is not None:
                refunded += amount
        return refunded


async def _refund_share(
    session: AsyncSession, order: Order, reason: CancelReason | None
) -> Decimal:
    """What percentage of its payments a closing order gets back: all of them, except that a
    customer giving up a pre-sale place before the release gets the policy's share of it."""
    if (
        order.order_type != OrderType.PRESALE
        or order.status not in PRESALE_WAITS
        or reason != CancelReason.CUSTOMER_REQUEST
    ):
        return HUNDRED
    return (await current_policy(session))[1].cancellation.presale_deposit_refund_pct


@dataclass
class Withdrawn:
    skus: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)


async def _credit_all(session: AsyncSession, order: Order) -> list[str]:
    """A credit note for what each invoice of the order still bills (a cancellation)."""
    notes = []
    for invoice in await session.scalars(
        select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.issued_at)
    ):
        note = await credit(session, invoice, "cancellation", order.id, "system")
        if note is not None:
            notes.append(note.number)
    return notes


async def _withdraw(session: AsyncSession, order: Order) -> int:
    """Pick lists not yet handed to a carrier are withdrawn (their stock is released apart)."""
    withdrawn = await session.execute(
        update(Shipment)
        .where(Shipment.order_id == order.id, Shipment.status.in_(UNBOOKED))
        .values(status=CANCELLED_SHIPMENT)
        .returning(Shipment.id)
    )
    return len(withdrawn.all())
