"""Data scope: which orders and customers a user may see at all.

Sales see their own customers and those customers' orders; an upstream system sees the
orders it sent. Everyone else on the desk sees all. Out of scope reads as not found (404),
so a probe cannot tell another rep's order from a missing one.
"""

from sqlalchemy import ColumnElement, or_, select, true

from api.auth import Principal
from db.models import Customer, Order
from domain.roles import Role


def orders_visible_to(user: Principal) -> ColumnElement[bool]:
    if user.role == Role.SALES:
        return Order.customer_id.in_(select(Customer.id).where(Customer.owner == user.username))
    if user.role == Role.UPSTREAM:
        return Order.created_by == user.username
    return true()


def customers_visible_to(user: Principal) -> ColumnElement[bool]:
    """Whose records (contact, address, credit) this user may read."""
    if user.role == Role.SALES:
        return Customer.owner == user.username
    if user.role == Role.UPSTREAM:
        # The customers it sent, or sent orders for; not the whole customer base.
        ordered_for = select(Order.customer_id).where(Order.created_by == user.username)
        return or_(Customer.created_by == user.username, Customer.id.in_(ordered_for))
    return true()


def customers_orderable_by(user: Principal) -> ColumnElement[bool]:
    """Whom this user may place orders for: an upstream shop knows its customers' ids."""
    if user.role == Role.SALES:
        return Customer.owner == user.username
    return true()


def sees_prices(user: Principal) -> bool:
    """Warehouse staff pick and pack: no prices, totals or credit data."""
    return user.role != Role.WAREHOUSE
