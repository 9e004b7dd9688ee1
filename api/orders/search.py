"""Finding orders: the filters `GET /orders` (and the console's order list) takes, as one
query model whose constraints the OpenAPI schema states, turned into SQL conditions."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from api.orders.schemas import Channel
from db.models import Customer, Order, OrderHistory, OrderLine
from domain.order_types import OrderType
from domain.payment import PaymentMethod
from domain.priority import Priority
from domain.status import OrderStatus

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Short = Annotated[str, Field(min_length=1, max_length=100)]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-12-01T00:00:00Z)")
    return value


Instant = Annotated[datetime, AfterValidator(_aware)]


class OrderSort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    TOTAL_DESC = "total_desc"
    TOTAL_ASC = "total_asc"


class OrderQuery(BaseModel):
    """Every filter is optional; all given must hold."""

    model_config = ConfigDict(extra="forbid")
    status: OrderStatus | None = None
    customer_id: Annotated[str, Field(max_length=36)] | None = None
    q: Short | None = Field(None, description="an order number (or its start) or external ref")
    customer: Short | None = Field(None, description="part of the customer's name")
    from_: Instant | None = Field(None, alias="from", description="created at or after")
    to: Instant | None = Field(None, description="created before")
    min_total: Money | None = None
    max_total: Money | None = None
    channel: Channel | None = None
    payment_method: PaymentMethod | None = None
    sku: Annotated[str, Field(max_length=64)] | None = Field(None, description="has a line of it")
    priority: Priority | None = None
    type: OrderType | None = Field(None, description="standard or presale")
    in_status_hours: Annotated[int, Field(ge=0, le=24 * 365)] | None = Field(
        None, description="in its current status for at least this many hours"
    )
    sort: OrderSort = OrderSort.NEWEST
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="next_cursor of the page before (same filters and sort)"
    )

    @model_validator(mode="after")
    def _ranges(self) -> "OrderQuery":
        low, high = self.min_total, self.max_total
        if low is not None and high is not None and low > high:
            raise ValueError("min_total is above max_total")
        if self.from_ and self.to and self.from_ >= self.to:
            raise ValueError("from is not before to")
        return self


# Each sort's key column and direction; the order id breaks ties, so a page boundary is exact.
SORT_KEYS: dict[OrderSort, tuple[InstrumentedAttribute[Any], bool]] = {
    OrderSort.NEWEST: (Order.created_at, True),
    OrderSort.OLDEST: (Order.created_at, False),
    OrderSort.TOTAL_DESC: (Order.total, True),
    OrderSort.TOTAL_ASC: (Order.total, False),
}


def sorted_after(
    stmt: Select[Order], sort: OrderSort, after: tuple[str, str] | None
) -> Select[Order]:
    """The statement in the sort's order, from just after the cursor's (key, id)."""
    column, descending = SORT_KEYS[sort]
    if after is not None:
        raw, last_id = after
        key: object = datetime.fromisoformat(raw) if column is Order.created_at else Decimal(raw)
        if descending:
            stmt = stmt.where(or_(column < key, and_(column == key, Order.id < last_id)))
        else:
            stmt = stmt.where(or_(column > key, and_(column == key, Order.id > last_id)))
    if descending:
        return stmt.order_by(column.desc(), Order.id.desc())
    return stmt.order_by(column.asc(), Order.id.asc())


def cursor_key(order: Order, sort: OrderSort) -> str:
    column, _ = SORT_KEYS[sort]
    return order.created_at.isoformat() if column is Order.created_at else str(order.total)


def conditions(query: OrderQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    for column, value in (
        (Order.status, query.status),
        (Order.customer_id, query.customer_id),
        (Order.channel, query.channel),
        (Order.payment_method, query.payment_method),
        (Order.priority, query.priority),
        (Order.order_type, query.type),
    ):
        if value:
            found.append(column == value)
    if query.q:
        found.append((Order.id.startswith(query.q.lower())) | (Order.external_ref == query.q))
    if query.customer:
        named = select(Customer.id).where(Customer.name.icontains(query.customer, autoescape=True))
        found.append(Order.customer_id.in_(named))
    if query.from_:
        found.append(Order.created_at >= query.from_)
    if query.to:
        found.append(Order.created_at < query.to)
    if query.min_total is not None:
        found.append(Order.total >= query.min_total)
    if query.max_total is not None:
        found.append(Order.total <= query.max_total)
    if query.sku:
        lines = select(OrderLine.order_id).where(OrderLine.sku == query.sku)
        found.append(Order.id.in_(lines))
    if query.in_status_hours is not None:
        # Since it entered its current status: the last history row that moved it there.
        entered = (
            select(func.max(OrderHistory.at))
            .where(OrderHistory.order_id == Order.id, OrderHistory.to_status == Order.status)
            .scalar_subquery()
        )
        hours = func.make_interval(0, 0, 0, 0, query.in_status_hours)
        found.append(entered <= func.now() - hours)
    return found
