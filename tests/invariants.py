"""What must hold of stock and money after any story, checked against the database itself."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from db.accounts import account_of
from db.engine import SessionFactory
from db.models import (
    CreditNote,
    Customer,
    Invoice,
    Order,
    Payment,
    ReconciliationCase,
    Reservation,
    ReturnLine,
    Shipment,
    Stock,
    StockReceipt,
    StockTransfer,
)
from db.shipments import UNBOOKED
from db.stock import RESERVED, SHIPPED
from domain.status import FINAL_STATUSES


async def assert_stock_invariants(sessions: SessionFactory, since: datetime) -> None:
    """For every sku and warehouse: nothing negative, reserved within on hand and equal to what
    orders hold there; every ended order holds no stock and no open pick list."""
    async with sessions() as session:
        for row in await session.scalars(select(Stock)):
            assert row.on_hand >= 0 and 0 <= row.reserved <= row.on_hand, row.__dict__
        held = {
            (sku, warehouse): int(total)
            for sku, warehouse, total in await session.execute(
                select(Reservation.sku, Reservation.warehouse, func.sum(Reservation.quantity))
                .where(Reservation.status == RESERVED)
                .group_by(Reservation.sku, Reservation.warehouse)
            )
        }
        for row in await session.scalars(select(Stock)):
            assert row.reserved == held.get((row.sku, row.warehouse), 0), (
                f"{row.sku}@{row.warehouse}: reserved {row.reserved}, orders hold "
                f"{held.get((row.sku, row.warehouse), 0)}"
            )
        ended = [s.value for s in FINAL_STATUSES]
        holding = await session.scalar(
            select(func.count())
            .select_from(Reservation)
            .join(Order, Order.id == Reservation.order_id)
            .where(Order.status.in_(ended), Reservation.status == RESERVED)
        )
        assert holding == 0, f"{holding} reservations held by ended orders"
        open_lists = await session.scalar(
            select(func.count())
            .select_from(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(Order.status.in_(ended), Shipment.status.in_(UNBOOKED))
        )
        assert open_lists == 0, f"{open_lists} pick lists open on ended orders"
        # Goods are neither made nor lost by the books: for every sku the story booked in
        # through receipts (since it began), what came in is on hand, on its way between
        # warehouses, or gone out in parcels (lost ones included).
        received = dict(
            (
                await session.execute(
                    select(StockReceipt.sku, func.sum(StockReceipt.quantity))
                    .group_by(StockReceipt.sku)
                    .having(func.min(StockReceipt.created_at) >= since)
                )
            ).all()
        )
        for sku, came_in in received.items():
            on_hand = await session.scalar(
                select(func.coalesce(func.sum(Stock.on_hand), 0)).where(Stock.sku == sku)
            )
            moving = await session.scalar(
                select(func.coalesce(func.sum(StockTransfer.quantity), 0)).where(
                    StockTransfer.sku == sku, StockTransfer.status == "in_transit"
                )
            )
            gone = await session.scalar(
                select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                    Reservation.sku == sku, Reservation.status.in_([SHIPPED, "lost"])
                )
            )
            # Returned goods in sellable condition came back on hand (damaged ones did not).
            back = await session.scalar(
                select(func.coalesce(func.sum(ReturnLine.sellable), 0)).where(ReturnLine.sku == sku)
            )
            assert came_in + int(back or 0) == int(on_hand or 0) + int(moving or 0) + int(
                gone or 0
            ), (
                f"{sku}: received {came_in}, returned {back}, on hand {on_hand}, "
                f"in transit {moving}, shipped {gone}"
            )


async def database_now(sessions: SessionFactory) -> datetime:
    async with sessions() as session:
        now: datetime | None = await session.scalar(select(func.now()))
    assert now is not None
    return now


async def assert_money_invariants(sessions: SessionFactory, since: datetime) -> None:
    """For every invoiced order the story made: what the customer paid (payments less
    refunds) is, once the order ended, what its invoices less credit notes ask plus any excess
    not paid back (an overpayment open, written off or kept as credit), and never more while
    it runs; a completed order's invoices are all paid or credited."""
    ended = {s.value for s in FINAL_STATUSES}
    async with sessions() as session:
        orders = list(await session.scalars(select(Order).where(Order.created_at >= since)))
        for order in orders:
            invoiced = await session.scalar(
                select(func.coalesce(func.sum(Invoice.total), 0)).where(
                    Invoice.order_id == order.id
                )
            )
            if not invoiced:
                continue
            credited = await session.scalar(
                select(func.coalesce(func.sum(CreditNote.total), 0)).where(
                    CreditNote.order_id == order.id
                )
            )
            paid = await session.scalar(
                select(func.coalesce(func.sum(Payment.amount), 0)).where(
                    Payment.order_id == order.id, Payment.kind.in_(["payment", "refund"])
                )
            )
            kept = await session.scalar(
                select(func.coalesce(func.sum(ReconciliationCase.amount), 0)).where(
                    ReconciliationCase.order_id == order.id,
                    ReconciliationCase.kind == "overpayment",
                    ReconciliationCase.action.is_distinct_from("refund"),
                )
            )
            asked = Decimal(invoiced) - Decimal(credited or 0)
            settled = Decimal(paid or 0) == asked + Decimal(kept or 0)
            within = Decimal(paid or 0) <= asked + Decimal(kept or 0)
            assert settled if order.status in ended else within, (
                f"order {order.id} ({order.status}): paid {paid}, invoices less credit notes "
                f"{asked}, excess not paid back {kept}"
            )
            if order.status == "COMPLETED":
                for invoice in await session.scalars(
                    select(Invoice).where(Invoice.order_id == order.id)
                ):
                    assert invoice.status in ("paid", "credited"), (order.id, invoice.number)
    await assert_open_balances(sessions, since)


async def assert_open_balances(sessions: SessionFactory, since: datetime) -> None:
    """Every open balance is the sum of its unpaid documents: for each customer the story
    touched, the account's open balance equals what its invoices still ask (totals less credit
    notes, less payments covering the oldest invoice first), and each invoice's status says
    whether it asks anything (issued or overdue) or not (paid or credited). Read in one
    snapshot, so a payment landing meanwhile cannot split the picture."""
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        customers = set(
            await session.scalars(select(Order.customer_id).where(Order.created_at >= since))
        )
        for customer_id in customers:
            unpaid = Decimal(0)
            for order in await session.scalars(
                select(Order).where(Order.customer_id == customer_id)
            ):
                paid = Decimal(
                    await session.scalar(
                        select(func.coalesce(func.sum(Payment.amount), 0)).where(
                            Payment.order_id == order.id
                        )
                    )
                    or 0
                )
                invoices = await session.scalars(
                    select(Invoice)
                    .where(Invoice.order_id == order.id, Invoice.status != "void")
                    .order_by(Invoice.issued_at, Invoice.number)
                )
                for invoice in invoices:
                    credited = await session.scalar(
                        select(func.coalesce(func.sum(CreditNote.total), 0)).where(
                            CreditNote.invoice_number == invoice.number
                        )
                    )
                    owed = invoice.total - Decimal(credited or 0)
                    covered = min(max(paid, Decimal(0)), max(owed, Decimal(0)))
                    paid -= covered
                    left = max(owed, Decimal(0)) - covered
                    unpaid += left
                    expected = ("issued", "overdue") if left > 0 else ("paid", "credited")
                    assert invoice.status in expected, (
                        f"invoice {invoice.number} of {order.id} is {invoice.status} "
                        f"but asks {left} more"
                    )
            account = await account_of(session, await session.get_one(Customer, customer_id))
            assert account.open_balance == unpaid, (
                f"customer {customer_id}: open balance {account.open_balance}, "
                f"unpaid documents {unpaid}"
            )
