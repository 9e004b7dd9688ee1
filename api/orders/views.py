"""What a caller may see of an order: summaries, details (the warehouse's without money), pages
and its history."""

import base64
import binascii
from dataclasses import asdict
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.approvals.schemas import ApprovalOut
from api.auth import Principal
from api.errors import Forbidden, InvalidFields, NotFound
from api.orders.schemas import (
    CreditNoteSummary,
    DeliveryLineIn,
    DeliveryOut,
    HistoryEntry,
    InstallmentOut,
    InstallmentsOut,
    InvoiceOut,
    LineOut,
    OrderDetail,
    OrderPage,
    OrderSummary,
    PaymentOut,
    PickLineOut,
    PresalePlaceOut,
    ReservationOut,
    ShipmentOut,
    SubstitutionLineOut,
    SubstitutionOut,
    TotalsOut,
    WarehouseHistoryEntry,
    WarehouseOrderDetail,
    WarehouseOrderPage,
    WarehouseOrderSummary,
)
from api.orders.search import OrderQuery, OrderSort, conditions, cursor_key, sorted_after
from api.returns.views import returns_of
from api.scope import orders_visible_to, sees_prices
from db import stock
from db.installments import schedule_of
from db.models import (
    Approval,
    AuditEntry,
    CreditNote,
    Invoice,
    Order,
    OrderBatch,
    OrderHistory,
    OrderLine,
    Payment,
    ProductionOrder,
    Reservation,
    Shipment,
    ShipmentEvent,
    Substitution,
)
from db.payments import open_amounts
from db.versions import versions_of
from domain.changes import OrderVersion
from domain.money import ZERO
from domain.order_types import OrderType
from temporal_client import workflow_id

RowT = TypeVar("RowT", bound=BaseModel)


async def load_order(session: AsyncSession, order_id: str, user: Principal | None) -> Order:
    """The order if it exists and is in the user's scope (None: a system-internal read)."""
    stmt = select(Order).where(Order.id == order_id)
    if user is not None:
        stmt = stmt.where(orders_visible_to(user))
    order = await session.scalar(stmt)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def summary(o: Order) -> OrderSummary:
    return OrderSummary(
        order_id=o.id,
        status=o.status,
        customer_id=o.customer_id,
        channel=o.channel,
        external_ref=o.external_ref,
        total=o.total,
        created_at=o.created_at,
        priority=o.priority,
        requested_delivery_date=o.requested_delivery_date,
        late=o.late,
        promised_ship_date=o.promised_ship_date,
        shipped_on_time=o.shipped_on_time,
        type=OrderType(o.order_type),
    )


def warehouse_summary(o: Order) -> WarehouseOrderSummary:
    return WarehouseOrderSummary.model_validate(summary(o).model_dump(exclude={"total"}))


async def order_detail(
    session: AsyncSession, order_id: str, user: Principal, version: int | None = None
) -> OrderDetail | WarehouseOrderDetail:
    """The order as it is; with version, its lines, totals and terms as that version had them
    (approvals, stock, shipments and payments are always as they are now)."""
    detail = await _detail_now(session, order_id, user)
    if version is None or version == detail.version:
        return detail
    o = await load_order(session, order_id, user)
    found = [v for v in await versions_of(session, o) if v.version == version]
    if not found:
        raise NotFound(f"order {order_id} has no version {version}")
    then = OrderVersion.model_validate(found[0].snapshot)
    lines = [{"line_no": no, **asdict(line)} for no, line in enumerate(then.lines, start=1)]
    as_then: dict[str, Any] = {
        "version": version,
        "ship_to": then.ship_to,
        "shipping_method": then.shipping_method,
        "requested_delivery_date": then.requested_delivery_date,
    }
    line_out = LineOut if isinstance(detail, OrderDetail) else PickLineOut
    as_then["lines"] = [line_out.model_validate(x) for x in lines]
    if isinstance(detail, OrderDetail):
        as_then["payment_method"] = then.payment_method
        as_then["total"] = then.total
        as_then["totals"] = TotalsOut.of(then, o.currency)
    return detail.model_copy(update=as_then)


async def _detail_now(
    session: AsyncSession, order_id: str, user: Principal
) -> OrderDetail | WarehouseOrderDetail:
    o = await load_order(session, order_id, user)

    async def listed(schema: type[RowT], model: Any, *order_by: Any) -> list[RowT]:
        stmt = select(model).where(model.order_id == order_id).order_by(*order_by)
        return [schema.model_validate(x, from_attributes=True) for x in await session.scalars(stmt)]

    # What both views show: where the goods are and how they travel.
    goods: dict[str, Any] = {
        "workflow_id": workflow_id(o.id),
        "version": o.version,
        "ship_to": o.ship_to,
        "shipping_method": o.shipping_method,
        "notes": o.notes,
        "reservations": await listed(
            ReservationOut, Reservation, Reservation.sku, Reservation.warehouse
        ),
        "shipments": await listed(ShipmentOut, Shipment, Shipment.created_at),
        "returns": await returns_of(session, order_id),
        "presale": await _presale_place(session, o),
        "deliveries": await _deliveries(session, o.id),
    }
    if not sees_prices(user):
        return WarehouseOrderDetail(
            **warehouse_summary(o).model_dump(),
            **goods,
            lines=await listed(PickLineOut, OrderLine, OrderLine.line_no),
        )
    opens = await open_amounts(session, o)
    invoices = [
        x.model_copy(update={"open_amount": opens.get(x.number, ZERO)})
        for x in await listed(InvoiceOut, Invoice, Invoice.issued_at, Invoice.number)
    ]
    payments = await listed(PaymentOut, Payment, Payment.created_at)
    paid = sum((x.amount for x in payments), ZERO)
    return OrderDetail(
        **summary(o).model_dump(),
        **goods,
        payment_method=o.payment_method,
        created_by=o.created_by,
        review_reasons=o.review_reasons,
        policy_version=o.policy_version,
        lines=await listed(LineOut, OrderLine, OrderLine.line_no),
        totals=TotalsOut.of(o, o.currency),
        approvals=await listed(ApprovalOut, Approval, Approval.level),
        invoice=invoices[0] if invoices else None,
        invoices=invoices,
        credit_notes=await listed(
            CreditNoteSummary, CreditNote, CreditNote.issued_at, CreditNote.number
        ),
        payments=payments,
        paid_total=paid,
        on_shortage=o.on_shortage,
        cancel_reason_code=o.cancel_reason_code,
        expected_stock_date=o.expected_stock_date,
        substitution=await _substitution(session, order_id),
        # Never absorbed silently: what was paid beyond the total, until settled back.
        overpaid=max(paid - o.total, ZERO),
        installments=await _installments(session, o),
        deposit=o.deposit,
        specification=o.specification,
        estimated_ready=o.estimated_ready,
        production_order_id=await session.scalar(
            select(ProductionOrder.id).where(ProductionOrder.order_id == o.id)
        ),
    )


async def _presale_place(session: AsyncSession, o: Order) -> PresalePlaceOut | None:
    if o.release_date is None:
        return None
    return PresalePlaceOut(
        release_date=o.release_date, queue_place=await stock.queue_place(session, o.id)
    )


async def _deliveries(session: AsyncSession, order_id: str) -> list[DeliveryOut]:
    rows = await session.scalars(
        select(OrderBatch).where(OrderBatch.order_id == order_id).order_by(OrderBatch.batch_no)
    )
    return [
        DeliveryOut(
            batch_no=b.batch_no,
            date=b.delivery_date,
            reserve_on=b.reserve_on,
            status=b.status,
            lines=[DeliveryLineIn(sku=sku, quantity=q) for sku, q in b.lines],
        )
        for b in rows
    ]


async def _installments(session: AsyncSession, o: Order) -> InstallmentsOut | None:
    if o.installment_count is None or o.installment_interval_days is None:
        return None
    return InstallmentsOut(
        count=o.installment_count,
        interval_days=o.installment_interval_days,
        schedule=[
            InstallmentOut(
                no=x.no,
                amount=x.amount,
                due_date=x.due_date,
                paid=x.paid,
                open=x.open,
                status=x.status,
            )
            for x in await schedule_of(session, o)
        ],
    )


async def _substitution(session: AsyncSession, order_id: str) -> SubstitutionOut | None:
    rows = list(
        await session.scalars(
            select(Substitution)
            .where(Substitution.order_id == order_id)
            .order_by(Substitution.line_no)
        )
    )
    if not rows:
        return None
    return SubstitutionOut(
        lines=[
            SubstitutionLineOut(sku=r.sku, substitute=r.substitute, quantity=r.quantity)
            for r in rows
        ],
        status=rows[0].status,
    )


def encode_cursor(key: str, order_id: str) -> str:
    return base64.urlsafe_b64encode(f"{key}|{order_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        key, order_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidFields([(("cursor",), "malformed cursor")], where="query") from exc
    return key, order_id


async def order_page(
    session: AsyncSession, user: Principal, query: OrderQuery
) -> OrderPage | WarehouseOrderPage:
    """Keyset-paginated in the query's sort, so pages stay stable while orders arrive."""
    stmt = select(Order).where(orders_visible_to(user), *conditions(query))
    after = decode_cursor(query.cursor) if query.cursor else None
    try:
        stmt = sorted_after(stmt, query.sort, after)
    except (ValueError, ArithmeticError) as exc:
        raise InvalidFields([(("cursor",), "not a cursor of this sort")], where="query") from exc
    found = list(await session.scalars(stmt.limit(query.limit + 1)))
    more = len(found) > query.limit
    items = found[: query.limit]
    last = items[-1] if more and items else None
    next_cursor = encode_cursor(cursor_key(last, query.sort), last.id) if last else None
    if not sees_prices(user):
        if query.sort in (OrderSort.TOTAL_ASC, OrderSort.TOTAL_DESC) or (
            query.min_total is not None or query.max_total is not None
        ):
            # Sorting or filtering by amount would tell the warehouse what it may not see.
            raise Forbidden("the warehouse's order list has no amounts to sort or filter by")
        return WarehouseOrderPage(
            items=[warehouse_summary(o) for o in items], next_cursor=next_cursor
        )
    return OrderPage(items=[summary(o) for o in items], next_cursor=next_cursor)


async def history_of(
    session: AsyncSession, order_id: str, user: Principal
) -> list[HistoryEntry] | list[WarehouseHistoryEntry]:
    """The order's status changes and events merged with its audit rows, its parcels' carrier
    scans and its payments, oldest first; the warehouse's view drops reasons, decision ids
    and payments."""
    await load_order(session, order_id, user)
    rows = await session.scalars(
        select(OrderHistory).where(OrderHistory.order_id == order_id).order_by(OrderHistory.id)
    )
    entries = [HistoryEntry.model_validate(r, from_attributes=True) for r in rows]
    audits = await session.scalars(
        select(AuditEntry).where(AuditEntry.order_id == order_id).order_by(AuditEntry.id)
    )
    entries += [
        HistoryEntry(
            kind="audit",
            at=a.at,
            actor=a.actor,
            reason=a.detail,
            action=a.action,
            result=a.result,
            decision_id=a.decision_id,
        )
        for a in audits
    ]
    scans = await session.execute(
        select(ShipmentEvent, Shipment.carrier)
        .join(Shipment, Shipment.tracking_number == ShipmentEvent.tracking_number)
        .where(Shipment.order_id == order_id)
        .order_by(ShipmentEvent.occurred_at)
    )
    entries += [
        HistoryEntry(
            kind="scan",
            at=e.occurred_at,
            actor=carrier or "carrier",
            reason=e.detail,
            action=e.event,
            result=e.tracking_number,
        )
        for e, carrier in scans
    ]
    if sees_prices(user):
        payments = await session.scalars(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at)
        )
        entries += [
            HistoryEntry(
                kind="payment",
                at=p.created_at,
                actor=p.method,
                reason="",
                action=p.kind,
                result=p.reference,
                amount=p.amount,
            )
            for p in payments
        ]
    # Stable: within one instant, the status change comes before its audit row.
    entries.sort(key=lambda e: e.at)
    if not sees_prices(user):
        return [
            WarehouseHistoryEntry.model_validate(
                e.model_dump(exclude={"reason", "decision_id", "amount"})
            )
            for e in entries
        ]
    return entries
