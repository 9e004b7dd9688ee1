"""Intake of bulk orders: a business customer's lines in scheduled deliveries. The schedule
is checked against the order's lines (domain/bulk.py), the order is on credit terms (each
delivery is invoiced), and the batches are recorded with the order, each with the day its
stock is reserved."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidFields
from api.orders.schemas import OrderIn
from db.models import Customer, Order, OrderBatch, Warehouse
from domain.bulk import Batch, in_date_order, reserve_on, schedule_problems
from domain.order_types import OrderType
from domain.review import PaymentMethod


def batches_of(data: OrderIn) -> list[Batch]:
    return [
        Batch(d.date, tuple((line.sku, line.quantity) for line in d.lines))
        for d in data.deliveries or []
    ]


async def check_bulk(
    session: AsyncSession, data: OrderIn, customer: Customer, today: date
) -> list[Batch]:
    """The order's batches in date order (none unless bulk); InvalidFields (422) naming the
    field for a schedule that does not carry the order, a customer who is not a business
    (no VAT id), terms other than credit, or an unknown warehouse to set stock aside from."""
    if data.type != OrderType.BULK:
        return []
    wanted: dict[str, int] = {}
    for line in data.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    batches = batches_of(data)
    errors = [(p.loc, p.message) for p in schedule_problems(wanted, batches, today)]
    if data.payment.method != PaymentMethod.CREDIT:
        errors.append(
            (("payment", "method"), "a bulk order is on credit terms: each delivery is invoiced")
        )
    if not customer.vat_id:
        errors.append((("customer",), "a bulk order is for a business customer (with a VAT id)"))
    if (
        data.set_aside is not None
        and await session.get(Warehouse, data.set_aside.warehouse) is None
    ):
        errors.append((("set_aside", "warehouse"), f"no warehouse {data.set_aside.warehouse}"))
    if errors:
        raise InvalidFields(errors)
    return in_date_order(batches)


def batch_rows(
    order: Order, batches: list[Batch], days_before: int, today: date
) -> list[OrderBatch]:
    return [
        OrderBatch(
            order_id=order.id,
            batch_no=no,
            delivery_date=b.date,
            reserve_on=reserve_on(b.date, days_before, today),
            lines=[[sku, qty] for sku, qty in b.lines],
        )
        for no, b in enumerate(batches, start=1)
    ]
