"""The order's life story with stand-in activities registered under the real names: branches
that need a precise interleaving (a message while an activity is in flight), in milliseconds.

The stand-ins only answer as the real activities would; the real ones run against PostgreSQL
in the other workflow tests."""

import asyncio
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.messages import (
    BookRequest,
    OrderTimeouts,
    OrderWorkflowInput,
    PackingInput,
    PackingRecord,
    PaymentInput,
    PaymentRecord,
    PaymentState,
    PrepareShipments,
    ReserveRequest,
    ReserveResult,
    ReviewOutcome,
    ReviewRequest,
    ShipmentEventInput,
    ShipmentEventKind,
    ShipmentEventRecord,
    ShipmentEventResult,
    ShipmentInfo,
    ShipmentPlan,
    ShipRequest,
    StatusChange,
)
from domain.review import PaymentMethod, ReviewDecision
from domain.status import OrderStatus
from workflows.host import workflow_id
from workflows.order import OrderWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
TOTAL = Decimal("11.90")


class StandIns:
    """What the real activities answer, with hooks to hold one in flight."""

    def __init__(self) -> None:
        self.status = OrderStatus.RECEIVED
        self.moves: list[OrderStatus] = []
        self.reserving = asyncio.Event()
        self.release_reservation = asyncio.Event()
        self.shipped = asyncio.Event()

    def _move(self, to: OrderStatus) -> None:
        self.status = to
        self.moves.append(to)

    @activity.defn(name="review_order")
    async def review_order(self, request: ReviewRequest) -> ReviewOutcome:
        self._move(request.to)
        return ReviewOutcome(decision=ReviewDecision.PASS, reasons=[], levels=[])

    @activity.defn(name="reserve_stock")
    async def reserve_stock(self, request: ReserveRequest) -> ReserveResult:
        self.reserving.set()
        await self.release_reservation.wait()
        self._move(request.on_success)
        return ReserveResult(reserved=True)

    @activity.defn(name="record_payment")
    async def record_payment(self, record: PaymentRecord) -> PaymentState:
        # The real one moves AWAITING_PAYMENT on when paid in full; here it is not there yet.
        return PaymentState(status=self.status, paid_total=record.payment.amount, order_total=TOTAL)

    @activity.defn(name="change_status")
    async def change_status(self, change: StatusChange) -> None:
        self._move(change.to)

    @activity.defn(name="ship_order")
    async def ship_order(self, request: ShipRequest) -> ShipmentInfo:
        self._move(request.to)
        self.shipped.set()
        return ShipmentInfo(
            carrier="sim", service="std", tracking_number="T-1", invoice_number="INV-1"
        )

    @activity.defn(name="prepare_shipments")
    async def prepare_shipments(self, request: PrepareShipments) -> list[ShipmentPlan]:
        self._move(request.to)
        return [ShipmentPlan(shipment_id="S-1", warehouse="WH1")]

    @activity.defn(name="pack_as_simulated_packer")
    async def pack_as_simulated_packer(self, record: PackingRecord) -> PackingInput:
        return record.packing

    @activity.defn(name="book_shipment")
    async def book_shipment(self, request: BookRequest) -> ShipmentInfo:
        if request.to is not None:
            self._move(request.to)
        self.shipped.set()
        return ShipmentInfo(
            carrier="sim", service="std", tracking_number="T-1", invoice_number="INV-1"
        )

    @activity.defn(name="record_shipment_event")
    async def record_shipment_event(self, record: ShipmentEventRecord) -> ShipmentEventResult:
        assert record.targets is not None, "the only parcel's delivery completes the order"
        settled = record.targets.after(TOTAL, TOTAL)
        self._move(settled)
        return ShipmentEventResult(new=True, status=settled, paid_total=TOTAL)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.review_order,
            self.reserve_stock,
            self.record_payment,
            self.change_status,
            self.ship_order,
            self.prepare_shipments,
            self.pack_as_simulated_packer,
            self.book_shipment,
            self.record_shipment_event,
        ]


async def test_a_prepayment_during_the_reservation_still_ships(
    time_env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns()
    queue = f"stand-ins-{uuid.uuid4().hex[:8]}"
    order_id = str(uuid.uuid4())
    async with Worker(
        time_env.client, task_queue=queue, workflows=[OrderWorkflow], activities=stand_ins.all()
    ):
        handle: WorkflowHandle[OrderWorkflow, object] = await time_env.client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(
                order_id=order_id,
                customer_id="c-1",
                channel="web",
                total=TOTAL,
                payment_method=PaymentMethod.PREPAID,
                created_by="shop",
                timeouts=OrderTimeouts(auto_pack_after=timedelta(seconds=1)),
            ),
            id=workflow_id(order_id),
            task_queue=queue,
        )
        await stand_ins.reserving.wait()
        # Paid in full while the reservation is still in flight.
        await handle.execute_update(
            "record_payment", PaymentInput(reference="p-1", amount=TOTAL, method="card")
        )
        stand_ins.release_reservation.set()
        await stand_ins.shipped.wait()
        await handle.execute_update(
            "shipment_event",
            ShipmentEventInput(event=ShipmentEventKind.DELIVERED, tracking_number="T-1"),
        )
        await handle.result()
        assert stand_ins.moves == [
            OrderStatus.UNDER_REVIEW,
            OrderStatus.AWAITING_PAYMENT,  # the target chosen before the payment landed
            OrderStatus.READY_TO_SHIP,  # moved on: it was paid
            OrderStatus.PICKING,
            OrderStatus.SHIPPED,
            OrderStatus.COMPLETED,
        ]
        if os.environ.get("RECORD_HISTORIES"):
            history = await handle.fetch_history()
            (HISTORIES / "pick-pack-paid-during-reservation.json").write_text(history.to_json())
