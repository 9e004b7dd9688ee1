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
    CancelInput,
    CloseRequest,
    CloseResult,
    CompensationRequest,
    CompensationResult,
    CompensationStep,
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
from domain.shortage import ShortageChoice
from domain.status import OrderStatus
from tests.workflows.test_replay import RELEASE
from workflows.host import workflow_id
from workflows.order import OrderWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
TOTAL = Decimal("11.90")


class StandIns:
    """What the real activities answer, with hooks to hold one in flight."""

    def __init__(
        self,
        verdict: ReviewDecision = ReviewDecision.PASS,
        stock: list[ReserveResult] | None = None,
        hold_reservation: bool = False,
    ) -> None:
        self.status = OrderStatus.RECEIVED
        self.moves: list[OrderStatus] = []
        self.verdict = verdict
        # What each reservation attempt finds; the last one repeats.
        self.stock = stock or [ReserveResult(reserved=True)]
        self.reserving = asyncio.Event()
        self.release_reservation = asyncio.Event()
        if not hold_reservation:
            self.release_reservation.set()
        self.shipped = asyncio.Event()
        self.closed: list[CloseRequest] = []
        self.compensated: list[CompensationStep] = []
        self.queue = ""
        self.bookings: list[BookRequest] = []

    def _move(self, to: OrderStatus) -> None:
        self.status = to
        self.moves.append(to)

    @activity.defn(name="review_order")
    async def review_order(self, request: ReviewRequest) -> ReviewOutcome:
        self._move(request.to)
        if self.verdict == ReviewDecision.REJECT:
            self._move(request.on_reject)
        return ReviewOutcome(decision=self.verdict, reasons=["stand-in"], levels=[])

    @activity.defn(name="reserve_stock")
    async def reserve_stock(self, request: ReserveRequest) -> ReserveResult:
        self.reserving.set()
        await self.release_reservation.wait()
        result = self.stock.pop(0) if len(self.stock) > 1 else self.stock[0]
        self._move(request.on_success if result.reserved else request.on_short)
        return result

    @activity.defn(name="close_order")
    async def close_order(self, request: CloseRequest) -> CloseResult:
        self.closed.append(request)
        self._move(request.to)
        return CloseResult(refunded=Decimal(0), allocated_orders=[])

    @activity.defn(name="compensate")
    async def compensate(self, request: CompensationRequest) -> CompensationResult:
        self.compensated.append(request.step)
        return CompensationResult()

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
        self.bookings.append(request)
        if request.to is not None:
            self._move(request.to)
        self.shipped.set()
        return ShipmentInfo(
            carrier="sim",
            service="std",
            tracking_number=f"T-{len(self.bookings)}",
            invoice_number="INV-1",
        )

    @activity.defn(name="record_shipment_event")
    async def record_shipment_event(self, record: ShipmentEventRecord) -> ShipmentEventResult:
        if record.targets is None:  # a parcel, not the last one
            return ShipmentEventResult(new=True, status=self.status, paid_total=Decimal(0))
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
            self.close_order,
            self.compensate,
        ]


async def test_a_prepayment_during_the_reservation_still_ships(
    time_env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(hold_reservation=True)
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
            name = f"{RELEASE}-paid-during-reservation.json"
            (HISTORIES / name).write_text(history.to_json())


def _input(order_id: str, **fields: Any) -> OrderWorkflowInput:
    return OrderWorkflowInput(
        order_id=order_id,
        customer_id="c-1",
        channel="web",
        total=TOTAL,
        payment_method=PaymentMethod.COD,
        created_by="shop",
        timeouts=OrderTimeouts(auto_pack_after=timedelta(seconds=1)),
        **fields,
    )


async def _story(
    env: WorkflowEnvironment, stand_ins: StandIns, **fields: Any
) -> WorkflowHandle[OrderWorkflow, Any]:
    order_id = str(uuid.uuid4())
    return await env.client.start_workflow(
        OrderWorkflow.run,
        _input(order_id, **fields),
        id=workflow_id(order_id),
        task_queue=stand_ins.queue,
    )


def _worker(env: WorkflowEnvironment, stand_ins: StandIns) -> Worker:
    stand_ins.queue = f"stand-ins-{uuid.uuid4().hex[:8]}"
    return Worker(
        env.client,
        task_queue=stand_ins.queue,
        workflows=[OrderWorkflow],
        activities=stand_ins.all(),
    )


async def test_a_rejected_review_ends_the_story_before_any_stock(
    time_env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(verdict=ReviewDecision.REJECT)
    async with _worker(time_env, stand_ins):
        result = await (await _story(time_env, stand_ins)).result()
    assert result.status == OrderStatus.REJECTED
    assert stand_ins.moves == [OrderStatus.UNDER_REVIEW, OrderStatus.REJECTED]
    assert not stand_ins.reserving.is_set()


async def test_the_cancel_choice_closes_a_short_order_at_once(
    time_env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(stock=[ReserveResult(reserved=False, shortages={"A": 1})])
    async with _worker(time_env, stand_ins):
        handle = await _story(time_env, stand_ins, on_shortage=ShortageChoice.CANCEL)
        result = await handle.result()
    assert result.status == OrderStatus.CANCELLED
    assert [(c.to, c.reason) for c in stand_ins.closed] == [(OrderStatus.CANCELLED, "out_of_stock")]
    # Then undone step by step, in order.
    assert stand_ins.compensated == list(CompensationStep)


async def test_a_backordered_order_is_cancelled_by_a_person_while_it_waits(
    time_env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(stock=[ReserveResult(reserved=False, shortages={"A": 1})])
    async with _worker(time_env, stand_ins):
        handle = await _story(time_env, stand_ins)
        await stand_ins.reserving.wait()
        await handle.execute_update(
            "cancel", CancelInput(reason="changed mind", actor="service", role="customer_service")
        )
        result = await handle.result()
    assert result.status == OrderStatus.CANCELLED
    assert [(c.reason, c.actor, c.role) for c in stand_ins.closed] == [
        ("changed mind", "service", "customer_service")
    ]


async def test_a_partial_order_ships_twice_and_only_the_last_booking_says_shipped(
    time_env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(
        stock=[
            ReserveResult(reserved=True, shortages={"A": 1}),  # part of it now
            ReserveResult(reserved=True),  # the rest, later
        ]
    )
    async with _worker(time_env, stand_ins):
        handle = await _story(time_env, stand_ins, on_shortage=ShortageChoice.PARTIAL)
        await stand_ins.shipped.wait()
        for tracking in ("T-1", "T-2"):
            await _eventually_booked(stand_ins, tracking)
            await handle.execute_update(
                "shipment_event",
                ShipmentEventInput(event=ShipmentEventKind.DELIVERED, tracking_number=tracking),
            )
        result = await handle.result()
    assert [b.to for b in stand_ins.bookings] == [
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
    ]
    assert result.status == OrderStatus.COMPLETED


async def _eventually_booked(stand_ins: StandIns, tracking: str) -> None:
    for _ in range(200):
        if len(stand_ins.bookings) >= int(tracking.split("-")[1]):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{tracking} was never booked")
