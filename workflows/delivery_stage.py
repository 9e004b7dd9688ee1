"""Goods going out for one order: pick lists per warehouse, the warehouse's packing (or the demo's
simulated packer), one carrier booking per shipment, and the carrier's events (by webhook, or
by polling when the carrier has none) until every parcel's delivered scan.

Orders started before pick and pack (no `pick-and-pack-v1` marker) ship as one parcel, booked
at once, as they did.
"""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.fulfilment import FulfilmentActivities
from activities.shipment_trouble import TroubleActivities
from activities.shipping import ShippingActivities
from domain.messages import (
    BookRequest,
    DeliveryTargets,
    ExceptionAction,
    ExceptionResolution,
    PackingInput,
    PackingRecord,
    PrepareShipments,
    ShipmentEventInput,
    ShipmentEventKind,
    ShipmentEventRecord,
    ShipmentInfo,
    ShipmentPlan,
    ShipRequest,
    TroubleRecord,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.status import OrderStatus
from workflows.host import OrderHost
from workflows.settlement_stage import Settlement

PICK_AND_PACK_PATCH = "pick-and-pack-v1"
# Exception scans stop the order for customer service (reship or refund); a late delivery is
# flagged. Before it, an exception scan was only recorded.
TROUBLE_PATCH = "shipment-trouble-v1"
# Booked parcels the carrier has not picked up yet may be withdrawn: the order stays
# cancellable until the carrier's first scan (before it, until the first booking).
WITHDRAW_PATCH = "withdraw-booked-v1"


class Delivery:
    def __init__(self, host: OrderHost, settlement: Settlement) -> None:
        self.host = host
        # Delivery settles cash on delivery in the same transaction as the last scan.
        self.settlement = settlement
        # The goods are on their way (the first booking started): no cancelling any more.
        self.started = False
        self.plans: list[ShipmentPlan] = []
        self.packed: set[str] = set()
        # Tracking number -> delivered, in booking order.
        self.parcels: dict[str, bool] = {}
        # How many parcels the order ships in, once known.
        self.expected: int | None = None
        # Invoice number -> when its booking issued it (workflow time): credit terms run
        # from each invoice.
        self.invoiced: dict[str, datetime] = {}
        self.delivered = False
        # Known at the first shipment: whether trouble is handled (orders started before, not).
        self.trouble: bool | None = None
        # Parcels with an exception scan that customer service has not resolved yet.
        self.exceptions: list[str] = []
        self.resolution: ExceptionResolution | None = None
        self.late = False
        # Every parcel refunded, none delivered: the order ended (CANCELLED).
        self.closed = False
        # Known at the first shipment: bookings may be withdrawn until the carrier's first scan.
        self.withdrawable: bool | None = None
        # A carrier scanned one of the parcels: the goods have left for good.
        self.handed_over = False

    def with_carrier(self) -> bool:
        """The goods are out of reach: scanned by the carrier (before withdrawals: booked)."""
        return self.handed_over if self.withdrawable else self.started

    @property
    def tracking(self) -> str | None:
        return next(iter(self.parcels), None)

    async def ship(self, final: bool = True, only: dict[str, int] | None = None) -> None:
        """Ships what the order holds (or only this much per sku: a bulk order's batch); not
        final: more follows (a partial order's rest, a bulk order's next batch)."""
        if self.trouble is None:
            self.trouble = workflow.patched(TROUBLE_PATCH)
        if self.withdrawable is None:
            self.withdrawable = workflow.patched(WITHDRAW_PATCH)
        if workflow.patched(PICK_AND_PACK_PATCH):
            await self._pick_pack_ship(final, only)
        else:
            await self._ship_as_one_parcel()
        self.host.set_status(OrderStatus.SHIPPED if final else OrderStatus.PARTIALLY_SHIPPED)

    async def _ship_as_one_parcel(self) -> None:
        host = self.host
        await host.cancellation_settled()
        self.started, self.expected = True, 1
        shipment = await host.run_activity(
            ShippingActivities.ship_order,
            ShipRequest(order_id=host.order.order_id, to=OrderStatus.SHIPPED),
        )
        self._booked(shipment)

    async def _pick_pack_ship(self, final: bool, only: dict[str, int] | None) -> None:
        host = self.host
        order_id = host.order.order_id
        self.plans = await host.run_activity(
            FulfilmentActivities.prepare_shipments,
            PrepareShipments(order_id=order_id, to=self._picking_status(), only=only),
        )
        host.set_status(self._picking_status())
        host.ops.shipped_from([p.warehouse for p in self.plans])
        booked: set[str] = set()
        while len(booked) < len(self.plans):
            # Booked in the order they are packed.
            ready = [p for p in self.plans if p.shipment_id in self.packed - booked]
            if not ready:
                await self._await_packing(booked)
                continue
            if not self.started:
                await host.cancellation_settled()
                self.started = True
            last = len(booked) == len(self.plans) - 1
            done = OrderStatus.SHIPPED if final else OrderStatus.PARTIALLY_SHIPPED
            shipment = await host.run_activity(
                FulfilmentActivities.book_shipment,
                BookRequest(
                    order_id=order_id,
                    shipment_id=ready[0].shipment_id,
                    to=done if last else None,
                ),
            )
            booked.add(ready[0].shipment_id)
            self._booked(shipment)
        if final:
            self.expected = len(self.parcels)

    def _booked(self, shipment: ShipmentInfo) -> None:
        self.parcels[shipment.tracking_number] = False
        if shipment.invoice_number:
            self.invoiced.setdefault(shipment.invoice_number, workflow.now())

    async def _await_packing(self, booked: set[str]) -> None:
        """Until the warehouse packs a shipment; in auto mode the simulated packer packs the
        rest after a while. A cancellation accepted before the first booking ends the wait."""
        host = self.host

        def packed_unbooked() -> bool:
            return any(p.shipment_id in self.packed - booked for p in self.plans)

        if await host.wait(packed_unbooked, host.order.timeouts.auto_pack_after):
            return
        for plan in self.plans:
            if plan.shipment_id not in self.packed:
                await host.run_activity(
                    FulfilmentActivities.pack_as_simulated_packer,
                    PackingRecord(
                        order_id=host.order.order_id,
                        packing=PackingInput(shipment_id=plan.shipment_id, packages=[]),
                    ),
                )
                self.packed.add(plan.shipment_id)

    def validate_packing(self, packing: PackingInput) -> None:
        if packing.shipment_id not in {p.shipment_id for p in self.plans}:
            raise ApplicationError("no such pick list on this order", type=NOT_ALLOWED_NOW)
        if packing.shipment_id in self.packed:
            raise ApplicationError("shipment is already packed", type=NOT_ALLOWED_NOW)
        if not packing.packages:
            raise ApplicationError("a packed shipment has packages", type=NOT_ALLOWED_NOW)

    async def on_packed(self, packing: PackingInput) -> None:
        host = self.host
        async with host.lock:
            if packing.shipment_id in self.packed:
                return
            await host.run_activity(
                FulfilmentActivities.record_packing,
                PackingRecord(order_id=host.order.order_id, packing=packing),
            )
            self.packed.add(packing.shipment_id)

    def _picking_status(self) -> OrderStatus:
        """PICKING for the first pick lists and a reship; a partial order's rest is picked
        while it shows PARTIALLY_SHIPPED."""
        status = self.host.status
        if not self.started or status == OrderStatus.SHIPMENT_EXCEPTION:
            return OrderStatus.PICKING
        return status

    async def await_delivered(self, shipped_at: datetime) -> None:
        """Until every parcel is delivered (or, all refunded, the order ended): polls a carrier
        without webhooks, flags the order late past the shipping method's promise, and waits
        for customer service to resolve each parcel's exception."""
        host = self.host
        poll = host.order.timeouts.carrier_poll
        promise = (
            shipped_at + host.order.timeouts.promise(host.order.shipping_method)
            if self.trouble
            else None
        )
        while not (self.delivered or self.closed):
            if self.exceptions:
                await self._resolve(self.exceptions[0])
                continue
            late_in = None
            if promise is not None and not self.late:
                late_in = max(promise - workflow.now(), timedelta(seconds=1))
            timeout = min((t for t in (poll, late_in) if t is not None), default=None)
            try:
                await workflow.wait_condition(
                    lambda: (
                        self.delivered or self.closed or bool(self.exceptions) or host.cancelling()
                    ),
                    timeout=timeout,
                )
                host.check_cancel()  # withdrawn before the carrier picked them up
            except TimeoutError:
                if promise is not None and not self.late and workflow.now() >= promise:
                    await host.run_activity(TroubleActivities.flag_late, host.order.order_id)
                    self.late = True
                    host.ops.flagged_late()
                if poll is not None:
                    await self._poll()

    def validate_resolution(self, resolution: ExceptionResolution) -> None:
        if not self.exceptions or self.resolution is not None:
            raise ApplicationError(
                "no parcel of this order awaits a decision", type=NOT_ALLOWED_NOW
            )

    async def on_resolution(self, resolution: ExceptionResolution) -> None:
        self.resolution = resolution
        await workflow.wait_condition(lambda: self.resolution is None)

    async def _resolve(self, tracking: str) -> None:
        """Customer service's decision on a parcel in trouble: reship it (its goods held
        again, packed and booked anew) or refund it (the order ends if it was all)."""
        host = self.host
        await workflow.wait_condition(lambda: self.resolution is not None)
        assert self.resolution is not None
        resolution = self.resolution
        self.exceptions.remove(tracking)
        self.parcels.pop(tracking, None)
        record = TroubleRecord(
            order_id=host.order.order_id,
            tracking_number=tracking,
            resolution=resolution,
            to=host.status,
        )
        if resolution.action == ExceptionAction.RESHIP:
            result = await host.run_activity(TroubleActivities.resolve_shipment_exception, record)
            self.resolution = None
            if not result.reserved:
                await host.reserve_outstanding()
            await self.ship()
            return
        others = dict(self.parcels)
        if not others:
            record.to = OrderStatus.CANCELLED
        elif all(others.values()):
            record.to, record.targets = OrderStatus.DELIVERED, DeliveryTargets()
        else:
            record.to = OrderStatus.SHIPPED
        record.credit = bool(others)
        result = await host.run_activity(TroubleActivities.resolve_shipment_exception, record)
        self.resolution = None
        self.settlement.paid = result.paid_total
        host.set_status(result.status)
        self.expected = len(self.parcels)
        self.closed = not others
        self.delivered = bool(others) and record.targets is not None

    async def _poll(self) -> None:
        order_id = self.host.order.order_id
        if not self.plans:
            # One parcel, as shipped before pick and pack (its recorded activity).
            kinds = await self.host.run_activity(ShippingActivities.poll_carrier, order_id)
            scans = [(self.tracking, kind) for kind in kinds]
        else:
            found = await self.host.run_activity(ShippingActivities.poll_parcels, order_id)
            scans = [(s.tracking_number, s.event) for s in found]
        for tracking, kind in scans:
            assert tracking is not None
            await self._apply(
                ShipmentEventInput(event=kind, tracking_number=tracking, actor="carrier")
            )

    def _all_booked(self) -> bool:
        return self.expected is not None and len(self.parcels) >= self.expected

    def validate(self, event: ShipmentEventInput) -> None:
        if not self.started:
            raise ApplicationError("order has not shipped", type=NOT_ALLOWED_NOW)
        if self._all_booked() and event.tracking_number not in self.parcels:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)

    async def on_event(self, event: ShipmentEventInput) -> None:
        # A fast carrier's webhook can overtake the booking's result: wait for it.
        await workflow.wait_condition(
            lambda: event.tracking_number in self.parcels or self._all_booked()
        )
        if event.tracking_number not in self.parcels:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)
        await self._apply(event)

    async def _apply(self, event: ShipmentEventInput) -> None:
        host = self.host
        async with host.lock:
            delivered = event.event == ShipmentEventKind.DELIVERED
            others = [t for t, done in self.parcels.items() if t != event.tracking_number]
            # The last parcel's delivered scan moves the order (and settles it) in the same
            # transaction: DELIVERED, then COMPLETED or AWAITING_SETTLEMENT.
            completes = delivered and self._all_booked() and all(self.parcels[t] for t in others)
            trouble = bool(self.trouble) and event.event == ShipmentEventKind.EXCEPTION
            result = await host.run_activity(
                ShippingActivities.record_shipment_event,
                ShipmentEventRecord(
                    order_id=host.order.order_id,
                    event=event,
                    targets=DeliveryTargets() if completes else None,
                    on_exception=OrderStatus.SHIPMENT_EXCEPTION if trouble else None,
                ),
            )
            self.settlement.paid = result.paid_total
            host.set_status(result.status)
            self.handed_over = True
            if trouble and result.new and not self.parcels.get(event.tracking_number, True):
                self.exceptions.append(event.tracking_number)
            if delivered:
                self.parcels[event.tracking_number] = True
                self.delivered = completes or self.delivered
