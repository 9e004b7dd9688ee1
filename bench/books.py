"""What a fault, or a second worker, must not do to the books: nothing happened twice
(reservation, shipment, invoice, charge, refund), then `orderflow check`'s rules over the
database and Temporal. The fault tests assert there is nothing to report; `make bench` reports
what it finds after a run with several workers."""

from collections import Counter
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from bench.cluster import Cluster
from db.models import Invoice, Order, OrderLine, Payment, Reservation, Shipment
from db.stock import SHIPPED
from stack.check import check


async def assert_each_done_once(cluster: Cluster, order_ids: list[str], since: datetime) -> None:
    found = await books_findings(cluster, order_ids, since)
    assert not found, "\n".join(found)


async def books_findings(
    cluster: Cluster, order_ids: list[str], since: datetime, parcels_each: int | None = 1
) -> list[str]:
    """What went wrong with these orders, ended as they should have (none when all is well).
    parcels_each: the parcels every order ships in (None: any, each with its own invoice)."""
    async with cluster.sessions() as session:
        ordered = dict(
            (
                await session.execute(
                    select(OrderLine.order_id, func.sum(OrderLine.quantity))
                    .where(OrderLine.order_id.in_(order_ids))
                    .group_by(OrderLine.order_id)
                )
            ).all()
        )
        shipped = dict(
            (
                await session.execute(
                    select(Reservation.order_id, func.sum(Reservation.quantity))
                    .where(Reservation.order_id.in_(order_ids), Reservation.status == SHIPPED)
                    .group_by(Reservation.order_id)
                )
            ).all()
        )
        parcels = Counter(
            await session.scalars(select(Shipment.order_id).where(Shipment.order_id.in_(order_ids)))
        )
        invoices = Counter(
            await session.scalars(select(Invoice.order_id).where(Invoice.order_id.in_(order_ids)))
        )
        rows = await session.execute(select(Order.id, Order.total).where(Order.id.in_(order_ids)))
        totals: dict[str, Decimal] = {order_id: total for order_id, total in rows}
        charged: dict[str, Decimal] = dict(
            (
                await session.execute(
                    select(Payment.order_id, func.sum(Payment.amount))
                    .where(Payment.order_id.in_(order_ids), Payment.kind == "payment")
                    .group_by(Payment.order_id)
                )
            ).all()
        )
        refunds = await session.scalar(
            select(func.count())
            .select_from(Payment)
            .where(Payment.order_id.in_(order_ids), Payment.kind == "refund")
        )
    found = []
    for order_id in order_ids:
        if shipped.get(order_id) != ordered[order_id]:
            found.append(f"{order_id}: shipped {shipped.get(order_id)} of {ordered[order_id]}")
        expected = parcels_each or max(parcels[order_id], 1)
        if parcels[order_id] != expected:
            found.append(f"{order_id}: {parcels[order_id]} shipments")
        if invoices[order_id] != expected:
            found.append(f"{order_id}: {invoices[order_id]} invoices")
        if charged.get(order_id) != totals[order_id]:
            found.append(f"{order_id}: charged {charged.get(order_id)} for {totals[order_id]}")
    if refunds:
        found.append(f"{refunds} refunds")
    checked = await check(await cluster.client(), cluster.sessions, cluster.settings, since)
    return found + [str(finding) for finding in checked]
