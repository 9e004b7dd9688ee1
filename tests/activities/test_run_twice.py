"""Every activity is one transaction and safe to run twice: Temporal retries an activity whose
result was lost, so a second run must change nothing."""

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.adapters import SimulatedCarrier, SimulatedPaymentGateway
from activities.approvals import ApprovalActivities
from activities.inventory import InventoryActivities
from activities.orders import OrderActivities
from activities.review import ReviewActivities
from activities.settlement import SettlementActivities
from activities.shipping import ShippingActivities
from api.auth import Principal
from api.orders.intake import record_order
from api.orders.schemas import OrderIn
from config import Settings
from db.engine import SessionFactory
from db.models import AuditEntry, Customer, Invoice, OrderHistory, Payment, Product, Shipment, Stock
from domain.cancellation import CancelReason
from domain.documents import InvoiceTerms
from domain.messages import (
    ApprovalDecisionInput,
    CloseRequest,
    CompensationRequest,
    CompensationStep,
    DecisionRecord,
    PaymentInput,
    PaymentRecord,
    ReserveRequest,
    ShipmentEventInput,
    ShipmentEventKind,
    ShipmentEventRecord,
    Transition,
)
from domain.roles import Role
from domain.status import OrderStatus
from stack.seed import seed_all

twice = ActivityEnvironment()


async def new_order(
    sessions: SessionFactory, discount: str = "0", stock: int = 5, sku: str | None = None
) -> tuple[str, str]:
    """An order for 2 units, recorded as the API does; a new sku with `stock` units unless
    an existing sku is given."""
    await seed_all(sessions, demo=False)
    new_sku = sku is None
    sku = sku or f"ACT-{uuid.uuid4().hex[:8]}"
    customer = str(uuid.uuid4())
    async with sessions.begin() as session:
        if new_sku:
            session.add(
                Product(sku=sku, name="x", unit_price=Decimal("10.00"), weight_kg=Decimal(1))
            )
        session.add(
            Customer(
                id=customer,
                name="C",
                email="c@example.com",
                phone="+49 30 901820",
                line1="A 1",
                city="Berlin",
                postal_code="10115",
                country="DE",
                credit_limit=Decimal(0),
                tier="standard",
                on_credit_hold=False,
            )
        )
        await session.flush()
        if new_sku:
            session.add(Stock(sku=sku, warehouse="WH1", on_hand=stock, reserved=0))
        body = OrderIn.model_validate(
            {
                "channel": "web",
                "customer": {"id": customer},
                "lines": [{"sku": sku, "quantity": 2, "discount_pct": discount}],
                "shipping": {"method": "standard"},
                "payment": {"method": "prepaid"},
            }
        )
        order, _ = await record_order(
            session, body, Principal("shop", Role.UPSTREAM), None, Settings().process
        )
    return order.id, sku


async def count(sessions: SessionFactory, model: type, **where: str) -> int:
    async with sessions() as session:
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return int(await session.scalar(stmt) or 0)


async def reserved(sessions: SessionFactory, sku: str) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(select(func.sum(Stock.reserved)).where(Stock.sku == sku)) or 0
        )


async def test_review_reserve_pay_ship_twice(sessions: SessionFactory) -> None:
    order_id, sku = await new_order(sessions)
    review = ReviewActivities(sessions)
    for _ in range(2):
        await twice.run(review.review_order, order_id)
    inventory = InventoryActivities(sessions, Settings().link_signer())
    request = ReserveRequest(order_id=order_id, on_success=OrderStatus.AWAITING_PAYMENT)
    for _ in range(2):
        assert (await twice.run(inventory.reserve_stock, request)).reserved
    assert await reserved(sessions, sku) == 2
    settlement = SettlementActivities(sessions)
    payment = PaymentRecord(
        order_id=order_id,
        payment=PaymentInput(reference=f"p-{order_id}", amount=Decimal("23.80"), method="card"),
        # As the workflow decides it for an order waiting for its prepayment.
        when_paid=Transition(
            from_status=OrderStatus.AWAITING_PAYMENT, to=OrderStatus.READY_TO_SHIP
        ),
    )
    states = [await twice.run(settlement.record_payment, payment) for _ in range(2)]
    # Paying in full moves the order on, once.
    assert [(s.status, s.paid_total) for s in states] == [
        (OrderStatus.READY_TO_SHIP, Decimal("23.80"))
    ] * 2
    shipping = ShippingActivities(sessions, SimulatedCarrier(), "DE", InvoiceTerms(credit_days=30))
    first = await twice.run(shipping.ship_order, order_id)
    second = await twice.run(shipping.ship_order, order_id)
    assert first == second
    assert await count(sessions, Shipment, order_id=order_id) == 1
    assert await count(sessions, Invoice, order_id=order_id) == 1
    async with sessions() as session:
        stock = await session.scalar(select(Stock).where(Stock.sku == sku))
        assert stock is not None and (stock.on_hand, stock.reserved) == (3, 0)
    # received, under review, reserved, the payment, ready to ship, shipped: once each
    assert await count(sessions, OrderHistory, order_id=order_id) == 6
    delivered = ShipmentEventRecord(
        order_id=order_id,
        event=ShipmentEventInput(
            event=ShipmentEventKind.DELIVERED, tracking_number=first.tracking_number
        ),
    )
    results = [await twice.run(shipping.record_shipment_event, delivered) for _ in range(2)]
    assert [(r.new, r.status) for r in results] == [
        (True, OrderStatus.COMPLETED),
        (False, OrderStatus.COMPLETED),
    ]
    assert await count(sessions, OrderHistory, order_id=order_id) == 8


async def test_decision_and_close_twice(sessions: SessionFactory) -> None:
    order_id, sku = await new_order(sessions, discount="30")
    await twice.run(ReviewActivities(sessions).review_order, order_id)
    await twice.run(
        InventoryActivities(sessions, Settings().link_signer()).reserve_stock,
        ReserveRequest(order_id=order_id, on_success=OrderStatus.AWAITING_APPROVAL),
    )
    await twice.run(
        SettlementActivities(sessions).record_payment,
        PaymentRecord(
            order_id=order_id,
            payment=PaymentInput(reference=f"d-{order_id}", amount=Decimal(5), method="card"),
        ),
    )
    decision = DecisionRecord(
        order_id=order_id,
        decision=ApprovalDecisionInput(
            level="sales_supervisor",
            decision="reject",
            decided_by="supervisor",
            role="sales_supervisor",
            decision_id="d1",
        ),
    )
    approvals = ApprovalActivities(sessions, Settings().link_signer())
    before = await count(sessions, OrderHistory, order_id=order_id)
    audited = await count(sessions, AuditEntry, order_id=order_id)
    for _ in range(2):
        await twice.run(approvals.record_approval_decision, decision)
    assert await count(sessions, OrderHistory, order_id=order_id) == before + 1
    assert await count(sessions, AuditEntry, order_id=order_id) == audited + 1
    orders = OrderActivities(sessions, SimulatedPaymentGateway())
    close = CloseRequest(order_id=order_id, to=OrderStatus.REJECTED, reason="rejected")
    results = [await twice.run(orders.close_order, close) for _ in range(2)]
    assert [r.refunded for r in results] == [Decimal(5), Decimal(0)]
    assert await count(sessions, Payment, order_id=order_id) == 2  # the payment and one refund
    assert await reserved(sessions, sku) == 0


async def test_each_compensation_step_undoes_once(sessions: SessionFactory) -> None:
    order_id, sku = await new_order(sessions)
    inventory = InventoryActivities(sessions, Settings().link_signer())
    reserve = ReserveRequest(order_id=order_id, on_success=OrderStatus.READY_TO_SHIP)
    await twice.run(ReviewActivities(sessions).review_order, order_id)
    assert (await twice.run(inventory.reserve_stock, reserve)).reserved
    held = await reserved(sessions, sku)
    assert held > 0
    orders = OrderActivities(sessions, SimulatedPaymentGateway())
    close = CloseRequest(
        order_id=order_id,
        to=OrderStatus.CANCELLED,
        reason="test",
        reason_code=CancelReason.OTHER,
        compensate_separately=True,
    )
    await twice.run(orders.close_order, close)
    assert await reserved(sessions, sku) == held  # the closing itself undoes nothing
    for step in CompensationStep:
        await twice.run(orders.compensate, CompensationRequest(order_id=order_id, step=step))
    assert await reserved(sessions, sku) == 0
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(OrderHistory.reason).where(
                    OrderHistory.order_id == order_id, OrderHistory.reason.like("compensation:%")
                )
            )
        )
    assert rows == [f"compensation: stock released: {sku}"]  # once, though run twice
