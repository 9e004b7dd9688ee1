"""Shipping stage: book the carrier, issue the invoice, record the parcel's scans."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.adapters import CarrierAdapter, book_parcel
from db import stock
from db.documents import issue_invoice
from db.engine import SessionFactory
from db.models import Order, OrderLine, Product, Shipment
from db.models import ShipmentEvent as ShipmentEventRow
from db.payments import add_payment, amount_due, open_shortfall_case, paid_total
from db.shipments import BOOKED
from db.status import change_status, lock_order, record_event
from domain.documents import InvoiceTerms
from domain.messages import (
    DeliveryTargets,
    ParcelScan,
    PaymentInput,
    ShipmentEventInput,
    ShipmentEventKind,
    ShipmentEventRecord,
    ShipmentEventResult,
    ShipmentInfo,
    ShipRequest,
    request_of,
)
from domain.review import PaymentMethod
from domain.status import OrderStatus


class ShippingActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        carrier: CarrierAdapter,
        home_country: str,
        terms: InvoiceTerms,
    ) -> None:
        self.sessions = sessions
        self.carrier = carrier
        self.home_country = home_country
        self.terms = terms

    @activity.defn(name="ship_order")
    async def ship_order(self, request: ShipRequest | str) -> ShipmentInfo:
        ship = request_of(ShipRequest, request)
        order_id = ship.order_id
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            existing = await session.get(Shipment, order_id)
            if existing is None:
                existing = await self._book(session, order)
            # Shipped as one parcel: it bills the whole order.
            ordered = await session.execute(
                select(OrderLine.sku, OrderLine.quantity).where(OrderLine.order_id == order_id)
            )
            shipped: dict[str, int] = {}
            for sku, quantity in ordered:
                shipped[sku] = shipped.get(sku, 0) + quantity
            invoice = await issue_invoice(session, order, existing.id, shipped, self.terms)
            assert invoice is not None
            await change_status(
                session,
                order,
                ship.to,
                "system",
                f"shipped with {existing.carrier} {existing.service}, "
                f"tracking {existing.tracking_number}",
            )
            return ShipmentInfo(
                carrier=existing.carrier,
                service=existing.service,
                tracking_number=existing.tracking_number,
                invoice_number=invoice.number,
            )

    async def _book(self, session: AsyncSession, order: Order) -> Shipment:
        total_weight = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity * Product.weight_kg), 0))
            .join(Product, Product.sku == OrderLine.sku)
            .where(OrderLine.order_id == order.id)
        )
        choice, tracking = await book_parcel(
            self.carrier,
            order.id,
            order.shipping_method,
            order.ship_to,
            self.home_country,
            Decimal(total_weight or 0),
        )
        shipment = Shipment(
            id=order.id,
            order_id=order.id,
            carrier=choice.carrier,
            service=choice.service,
            tracking_number=tracking,
            status=BOOKED,
            booked_at=func.now(),
        )
        session.add(shipment)
        await stock.mark_shipped(session, order.id)
        await session.flush()
        return shipment

    @activity.defn(name="record_shipment_event")
    async def record_shipment_event(self, record: ShipmentEventRecord) -> ShipmentEventResult:
        """A carrier scan on one of the order's parcels; the delivered scan of its last parcel
        also moves the order to the statuses the workflow handed over (`targets`)."""
        e = record.event
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            shipment = await session.scalar(
                select(Shipment).where(
                    Shipment.order_id == order.id, Shipment.tracking_number == e.tracking_number
                )
            )
            if shipment is None:
                raise ApplicationError(
                    f"tracking number {e.tracking_number} is not this order's",
                    type="UnknownTrackingNumber",
                    non_retryable=True,
                )
            result = await session.execute(
                insert(ShipmentEventRow)
                .values(tracking_number=e.tracking_number, event=e.event, detail=e.detail)
                .on_conflict_do_nothing()
                .returning(ShipmentEventRow.event)
            )
            new = result.first() is not None
            if new:
                shipment.status = e.event
            targets = record.targets
            trouble = e.event == ShipmentEventKind.EXCEPTION and record.on_exception is not None
            if new and trouble:
                assert record.on_exception is not None
                await change_status(session, order, record.on_exception, e.actor, _scan(e))
                paid = await paid_total(session, order.id)
            elif new and e.event == ShipmentEventKind.DELIVERED and targets is not None:
                await change_status(session, order, targets.delivered, e.actor, _scan(e))
                paid = await settle_delivery(
                    session, order, e.tracking_number, targets, e.cod_amount
                )
            else:
                if new:
                    await record_event(session, order, e.actor, _scan(e))
                paid = await paid_total(session, order.id)
            return ShipmentEventResult(new=new, status=OrderStatus(order.status), paid_total=paid)

    @activity.defn(name="poll_carrier")
    async def poll_carrier(self, order_id: str) -> list[ShipmentEventKind]:
        """Scans the carrier reports for the order's one parcel that are not recorded yet
        (orders shipped before pick and pack)."""
        return [scan.event for scan in await self.poll_parcels(order_id)]

    @activity.defn(name="poll_parcels")
    async def poll_parcels(self, order_id: str) -> list[ParcelScan]:
        """Scans the carrier reports for each of the order's parcels, not recorded yet."""
        async with self.sessions() as session:
            parcels = [
                (s.tracking_number, s.booked_at or s.created_at)
                for s in await session.scalars(
                    select(Shipment).where(
                        Shipment.order_id == order_id, Shipment.tracking_number.is_not(None)
                    )
                )
            ]
            rows = await session.execute(
                select(ShipmentEventRow.tracking_number, ShipmentEventRow.event).where(
                    ShipmentEventRow.tracking_number.in_([t for t, _ in parcels])
                )
            )
            seen = {(tracking, event) for tracking, event in rows}
        scans = []
        for tracking, booked_at in parcels:
            assert tracking is not None
            for event in await self.carrier.tracking_events(tracking, booked_at):
                if (tracking, event) not in seen:
                    scans.append(ParcelScan(tracking_number=tracking, event=event))
        return scans


def _scan(e: ShipmentEventInput) -> str:
    return f"carrier {e.event}" + (f": {e.detail}" if e.detail else "")


async def settle_delivery(
    session: AsyncSession,
    order: Order,
    tracking: str,
    targets: DeliveryTargets,
    collected: Decimal | None = None,
) -> Decimal:
    """In the delivery's transaction: the carrier's cash on delivery (what it collected, or
    else what was owed; short of it, an underpayment case), then done or waiting for the
    invoice to be paid. Returns what the order has been paid."""
    paid = await paid_total(session, order.id)
    due = await amount_due(session, order)
    if order.payment_method == PaymentMethod.COD and paid < due:
        amount = due - paid if collected is None else collected
        reference = f"cod-{tracking}"
        if amount > 0:
            cod = PaymentInput(reference=reference, amount=amount, method="cod", actor="carrier")
            paid = await add_payment(session, order, cod)
        if paid < due:
            await open_shortfall_case(session, order, reference, due - paid)
    await change_status(
        session,
        order,
        targets.after(paid, due),
        "system",
        "paid in full" if paid >= due else "invoice open",
    )
    return paid
