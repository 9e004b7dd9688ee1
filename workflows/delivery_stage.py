"""Goods going out for one order: the shipment's booking, the carrier's events (by webhook, or
by polling when the carrier has none) until the delivered scan."""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.shipping import ShippingActivities
from domain.messages import (
    DeliveryTargets,
    ShipmentEventInput,
    ShipmentEventKind,
    ShipmentEventRecord,
    ShipRequest,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.status import OrderStatus
from workflows.host import OrderHost
from workflows.settlement_stage import Settlement


class Delivery:
    def __init__(self, host: OrderHost, settlement: Settlement) -> None:
        self.host = host
        # Delivery settles cash on delivery in the same transaction as the scan.
        self.settlement = settlement
        self.started = False
        self.tracking: str | None = None
        self.delivered = False

    async def ship(self) -> None:
        host = self.host
        self.started = True
        shipment = await host.run_activity(
            ShippingActivities.ship_order,
            ShipRequest(order_id=host.order.order_id, to=OrderStatus.SHIPPED),
        )
        self.tracking = shipment.tracking_number
        host.set_status(OrderStatus.SHIPPED)

    async def await_delivered(self) -> None:
        poll = self.host.order.timeouts.carrier_poll
        while not self.delivered:
            if poll is None:
                await workflow.wait_condition(lambda: self.delivered)
                continue
            try:
                await workflow.wait_condition(lambda: self.delivered, timeout=poll)
            except TimeoutError:
                for kind in await self.host.run_activity(
                    ShippingActivities.poll_carrier, self.host.order.order_id
                ):
                    assert self.tracking is not None
                    await self._apply(
                        ShipmentEventInput(
                            event=kind, tracking_number=self.tracking, actor="carrier"
                        )
                    )

    def validate(self, event: ShipmentEventInput) -> None:
        if not self.started:
            raise ApplicationError("order has not shipped", type=NOT_ALLOWED_NOW)
        if self.tracking is not None and event.tracking_number != self.tracking:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)

    async def on_event(self, event: ShipmentEventInput) -> None:
        # A fast carrier's webhook can overtake the booking's result: wait for it.
        await workflow.wait_condition(lambda: self.tracking is not None)
        if event.tracking_number != self.tracking:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)
        await self._apply(event)

    async def _apply(self, event: ShipmentEventInput) -> None:
        host = self.host
        async with host.lock:
            result = await host.run_activity(
                ShippingActivities.record_shipment_event,
                ShipmentEventRecord(
                    order_id=host.order.order_id, event=event, targets=DeliveryTargets()
                ),
            )
            # Delivery also settles in the same transaction: DELIVERED, then COMPLETED or
            # AWAITING_SETTLEMENT, both in the order's history.
            self.settlement.paid = result.paid_total
            host.set_status(result.status)
            if event.event == ShipmentEventKind.DELIVERED:
                self.delivered = True
