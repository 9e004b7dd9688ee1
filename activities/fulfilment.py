"""Pick, pack and ship: pick lists per warehouse, the warehouse's packing, the carrier booked
from the packages, one parcel per shipment."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.adapters import CarrierAdapter, SimulatedPacker, book_parcel
from db import stock
from db.documents import issue_invoice
from db.engine import SessionFactory
from db.models import Order, Product, Shipment
from db.shipments import BOOKED, PACKED, PICKING_LIST, issue_pick_lists, lines_of
from db.status import change_status, lock_order, record_event
from domain.documents import InvoiceTerms
from domain.messages import (
    BookRequest,
    Package,
    PackingInput,
    PackingRecord,
    PrepareShipments,
    ShipmentInfo,
    ShipmentPlan,
)


class FulfilmentActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        carrier: CarrierAdapter,
        home_country: str,
        terms: InvoiceTerms,
        packer: SimulatedPacker | None = None,
    ) -> None:
        self.sessions = sessions
        self.carrier = carrier
        self.home_country = home_country
        self.terms = terms
        self.packer = packer or SimulatedPacker()

    @activity.defn(name="prepare_shipments")
    async def prepare_shipments(self, request: PrepareShipments) -> list[ShipmentPlan]:
        """Pick lists for the order's reserved stock, one shipment per warehouse; the order
        moves to the status the workflow hands over (PICKING)."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            shipments = await issue_pick_lists(session, order.id, request.only)
            where = ", ".join(s.warehouse or "?" for s in shipments)
            await change_status(session, order, request.to, "system", f"pick lists for {where}")
            return [ShipmentPlan(shipment_id=s.id, warehouse=s.warehouse or "") for s in shipments]

    @activity.defn(name="record_packing")
    async def record_packing(self, record: PackingRecord) -> None:
        """The warehouse's packing: packages and packaging on the shipment, once."""
        p = record.packing
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            shipment = await self._shipment(session, order, p.shipment_id)
            if shipment.status != PICKING_LIST:
                return
            shipment.packages = [pkg.model_dump(mode="json") for pkg in p.packages]
            shipment.packaging = p.packaging
            shipment.packed_by = p.actor
            shipment.packed_at = await session.scalar(select(func.now()))
            shipment.status = PACKED
            weight = sum((pkg.weight_kg for pkg in p.packages), Decimal(0))
            await record_event(
                session,
                order,
                p.actor,
                f"shipment {shipment.id} from {shipment.warehouse} packed: "
                f"{len(p.packages)} package(s), {weight} kg, {p.packaging}",
            )

    @activity.defn(name="pack_as_simulated_packer")
    async def pack_as_simulated_packer(self, record: PackingRecord) -> PackingInput:
        """The demo's packer (auto mode): packs the shipment by its products' weights."""
        async with self.sessions() as session:
            weight = Decimal(0)
            for line in await lines_of(session, record.packing.shipment_id):
                product = await session.get(Product, line.sku)
                weight += (product.weight_kg if product else Decimal(0)) * line.quantity
        packing = PackingInput(
            shipment_id=record.packing.shipment_id,
            packages=self.packer.packages(weight),
            actor="simulated-packer",
        )
        await self.record_packing(PackingRecord(order_id=record.order_id, packing=packing))
        return packing

    @activity.defn(name="book_shipment")
    async def book_shipment(self, request: BookRequest) -> ShipmentInfo:
        """The carrier, booked from the packages; the shipment's stock leaves its warehouse
        and its invoice is issued (what it ships of the order's lines not billed yet; an
        exchange's goods bill nothing). The booking that completes the order moves it to
        `to`."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            shipment = await self._shipment(session, order, request.shipment_id)
            if shipment.tracking_number is None:
                await self._book(session, order, shipment)
            invoice = None
            if shipment.rma is None:
                shipped = {x.sku: x.quantity for x in await lines_of(session, shipment.id)}
                invoice = await issue_invoice(session, order, shipment.id, shipped, self.terms)
            invoice_number = invoice.number if invoice is not None else ""
            if request.to is not None:
                await change_status(session, order, request.to, "system", "all shipments booked")
            assert shipment.carrier and shipment.service and shipment.tracking_number
            return ShipmentInfo(
                carrier=shipment.carrier,
                service=shipment.service,
                tracking_number=shipment.tracking_number,
                invoice_number=invoice_number,
            )

    async def _book(self, session: AsyncSession, order: Order, shipment: Shipment) -> None:
        packages = [Package.model_validate(p) for p in shipment.packages or []]
        choice, tracking = await book_parcel(
            self.carrier,
            order.id,
            order.shipping_method,
            order.ship_to,
            self.home_country,
            sum((p.weight_kg for p in packages), Decimal(0)),
            reference=shipment.id,
            packages=tuple(packages),
        )
        shipment.carrier, shipment.service = choice.carrier, choice.service
        shipment.tracking_number, shipment.status = tracking, BOOKED
        shipment.booked_at = await session.scalar(select(func.now()))
        await stock.mark_shipped(session, order.id, shipment.id)
        await record_event(
            session,
            order,
            "system",
            f"shipment {shipment.id} from {shipment.warehouse} booked with {choice.carrier} "
            f"{choice.service}, tracking {tracking}",
        )

    @staticmethod
    async def _shipment(session: AsyncSession, order: Order, shipment_id: str) -> Shipment:
        shipment = await session.get(Shipment, shipment_id)
        if shipment is None or shipment.order_id != order.id:
            raise ApplicationError(
                f"shipment {shipment_id} is not this order's",
                type="UnknownShipment",
                non_retryable=True,
            )
        return shipment
