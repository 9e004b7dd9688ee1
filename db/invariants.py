"""What must always hold of stock and money, read from the database: each rule's breaches as
findings (an empty list is a healthy desk).

Run after every fault test and every checked story (scoped to what the test made, through
`since`), and by operators as `orderflow check` over everything. Set-based where the tables
grow with the orders, so a desk with 100,000 orders checks in seconds, not hours.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import ColumnElement, Subquery

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

ZERO = Decimal(0)
ENDED = [s.value for s in FINAL_STATUSES]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Finding:
    rule: str  # stock | reservation | goods | money | balance | workflow
    subject: str  # the sku@warehouse, order, invoice or customer it is about
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


async def stock_findings(session: AsyncSession, since: datetime = EPOCH) -> list[Finding]:
    """Per sku and warehouse: nothing negative, reserved within on hand and equal to what the
    orders' open reservations hold; no ended order holds stock or an open pick list; goods
    booked in (for skus whose receipts all came since `since`) are on hand, in transit, or
    gone out in parcels."""
    found: list[Finding] = []
    held = {
        (sku, warehouse): int(total)
        for sku, warehouse, total in await session.execute(
            select(Reservation.sku, Reservation.warehouse, func.sum(Reservation.quantity))
            .where(Reservation.status == RESERVED)
            .group_by(Reservation.sku, Reservation.warehouse)
        )
    }
    for row in await session.scalars(select(Stock)):
        place = f"{row.sku}@{row.warehouse}"
        if row.on_hand < 0 or not 0 <= row.reserved <= row.on_hand:
            found.append(Finding("stock", place, f"on hand {row.on_hand}, reserved {row.reserved}"))
        holds = held.pop((row.sku, row.warehouse), 0)
        if row.reserved != holds:
            found.append(
                Finding("stock", place, f"reserved {row.reserved}, open reservations {holds}")
            )
    for (sku, warehouse), holds in held.items():
        found.append(Finding("stock", f"{sku}@{warehouse}", f"{holds} reserved, no stock row"))
    for order_id, quantity in await session.execute(
        select(Reservation.order_id, func.sum(Reservation.quantity))
        .join(Order, Order.id == Reservation.order_id)
        .where(Order.status.in_(ENDED), Reservation.status == RESERVED)
        .group_by(Reservation.order_id)
    ):
        found.append(Finding("reservation", order_id, f"ended, still holds {quantity} units"))
    for order_id, lists in await session.execute(
        select(Shipment.order_id, func.count())
        .join(Order, Order.id == Shipment.order_id)
        .where(Order.status.in_(ENDED), Shipment.status.in_(UNBOOKED))
        .group_by(Shipment.order_id)
    ):
        found.append(Finding("reservation", order_id, f"ended, {lists} pick list(s) open"))
    found += await _goods_findings(session, since)
    return found


async def _goods_findings(session: AsyncSession, since: datetime) -> list[Finding]:
    """Goods are neither made nor lost by the books (skus stocked only through receipts)."""
    received_q = (
        select(StockReceipt.sku, func.sum(StockReceipt.quantity))
        .group_by(StockReceipt.sku)
        .having(func.min(StockReceipt.created_at) >= since)
    )
    queries = {
        "received": received_q,
        "on_hand": select(Stock.sku, func.sum(Stock.on_hand)).group_by(Stock.sku),
        "moving": select(StockTransfer.sku, func.sum(StockTransfer.quantity))
        .where(StockTransfer.status == "in_transit")
        .group_by(StockTransfer.sku),
        "gone": select(Reservation.sku, func.sum(Reservation.quantity))
        .where(Reservation.status.in_([SHIPPED, "lost"]))
        .group_by(Reservation.sku),
        # Returned goods in sellable condition came back on hand (damaged ones did not).
        "back": select(ReturnLine.sku, func.sum(ReturnLine.sellable)).group_by(ReturnLine.sku),
    }
    rows = {name: list(await session.execute(q)) for name, q in queries.items()}
    sums = {name: {sku: int(n or 0) for sku, n in found} for name, found in rows.items()}
    found: list[Finding] = []
    for sku, came_in in sums["received"].items():
        on_hand, moving = sums["on_hand"].get(sku, 0), sums["moving"].get(sku, 0)
        gone, back = sums["gone"].get(sku, 0), sums["back"].get(sku, 0)
        if came_in + back != on_hand + moving + gone:
            found.append(
                Finding(
                    "goods",
                    sku,
                    f"received {came_in}, returned {back}, on hand {on_hand}, "
                    f"in transit {moving}, shipped {gone}",
                )
            )
    return found


def _by_order(column: InstrumentedAttribute[Any], *where: ColumnElement[bool]) -> Subquery:
    """Sum of a document column per order, as a subquery to join on."""
    table = column.class_
    return (
        select(table.order_id.label("order_id"), func.sum(column).label("amount"))
        .where(*where)
        .group_by(table.order_id)
        .subquery()
    )


async def money_findings(session: AsyncSession, since: datetime = EPOCH) -> list[Finding]:
    """Per invoiced order: what the customer paid (payments less refunds) is, once the order
    ended, what its invoices less credit notes ask plus any excess not paid back (an
    overpayment open, written off or kept as credit), and never more while it runs; a
    completed order's invoices are all paid or credited."""
    invoiced = _by_order(Invoice.total)
    credited = _by_order(CreditNote.total)
    paid = _by_order(Payment.amount, Payment.kind.in_(["payment", "refund"]))
    kept = _by_order(
        ReconciliationCase.amount,
        ReconciliationCase.kind == "overpayment",
        ReconciliationCase.action.is_distinct_from("refund"),
    )
    rows = await session.execute(
        select(
            Order.id,
            Order.status,
            invoiced.c.amount,
            func.coalesce(credited.c.amount, 0),
            func.coalesce(paid.c.amount, 0),
            func.coalesce(kept.c.amount, 0),
        )
        .join(invoiced, invoiced.c.order_id == Order.id)
        .outerjoin(credited, credited.c.order_id == Order.id)
        .outerjoin(paid, paid.c.order_id == Order.id)
        .outerjoin(kept, kept.c.order_id == Order.id)
        .where(Order.created_at >= since)
    )
    found: list[Finding] = []
    for order_id, status, asked_gross, credit, money_in, excess in rows:
        asked = Decimal(asked_gross) - Decimal(credit)
        due = asked + Decimal(excess)
        ok = Decimal(money_in) == due if status in ENDED else Decimal(money_in) <= due
        if not ok:
            found.append(
                Finding(
                    "money",
                    order_id,
                    f"{status}: paid {money_in}, invoices less credit notes {asked}, "
                    f"excess not paid back {excess}",
                )
            )
    for order_id, number, status in await session.execute(
        select(Invoice.order_id, Invoice.number, Invoice.status)
        .join(Order, Order.id == Invoice.order_id)
        .where(
            Order.created_at >= since,
            Order.status == "COMPLETED",
            Invoice.status.not_in(["paid", "credited"]),
        )
    ):
        found.append(Finding("money", order_id, f"COMPLETED, invoice {number} is {status}"))
    return found


async def balance_findings(session: AsyncSession, since: datetime = EPOCH) -> list[Finding]:
    """Every open balance is the sum of its unpaid documents: for each customer with orders
    since `since`, the account's open balance equals what its invoices still ask (totals less
    credit notes, less payments covering the oldest invoice first), and each invoice's status
    says whether it asks anything (issued or overdue) or not (paid or credited). Run it in one
    snapshot (REPEATABLE READ), so a payment landing meanwhile cannot split the picture."""
    customers = select(Order.customer_id).where(Order.created_at >= since).distinct()
    mine = select(Order.id).where(Order.customer_id.in_(customers))
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for order_id, amount in await session.execute(
        select(Payment.order_id, func.sum(Payment.amount))
        .where(Payment.order_id.in_(mine))
        .group_by(Payment.order_id)
    ):
        paid[order_id] = Decimal(amount)
    credited = (
        select(CreditNote.invoice_number, func.sum(CreditNote.total).label("amount"))
        .group_by(CreditNote.invoice_number)
        .subquery()
    )
    unpaid: dict[str, Decimal] = defaultdict(Decimal)
    found: list[Finding] = []
    for customer_id, order_id, number, status, total, credit in await session.execute(
        select(
            Order.customer_id,
            Invoice.order_id,
            Invoice.number,
            Invoice.status,
            Invoice.total,
            func.coalesce(credited.c.amount, 0),
        )
        .join(Order, Order.id == Invoice.order_id)
        .outerjoin(credited, credited.c.invoice_number == Invoice.number)
        .where(Invoice.order_id.in_(mine), Invoice.status != "void")
        .order_by(Invoice.order_id, Invoice.issued_at, Invoice.number)
    ):
        owed = max(total - Decimal(credit), ZERO)
        covered = min(max(paid[order_id], ZERO), owed)
        paid[order_id] -= covered
        left = owed - covered
        unpaid[customer_id] += left
        expected = ("issued", "overdue") if left > 0 else ("paid", "credited")
        if status not in expected:
            found.append(Finding("balance", number, f"of {order_id} is {status}, asks {left}"))
    for customer in await session.scalars(select(Customer).where(Customer.id.in_(customers))):
        account = await account_of(session, customer)
        if account.open_balance != unpaid[customer.id]:
            found.append(
                Finding(
                    "balance",
                    customer.id,
                    f"open balance {account.open_balance}, unpaid documents {unpaid[customer.id]}",
                )
            )
    return found


async def database_findings(session: AsyncSession, since: datetime = EPOCH) -> list[Finding]:
    """Every database rule, read in one snapshot."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return (
        await stock_findings(session, since)
        + await money_findings(session, since)
        + await balance_findings(session, since)
    )


async def database_now(sessions: SessionFactory) -> datetime:
    """The database's clock: where a check that covers only what comes after should start."""
    async with sessions() as session:
        now: datetime | None = await session.scalar(select(func.now()))
    assert now is not None
    return now
