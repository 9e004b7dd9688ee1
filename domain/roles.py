"""Roles, the actions each may take, and who may decide which approval level."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SALES = "sales"
    SALES_SUPERVISOR = "sales_supervisor"
    MANAGER = "manager"
    FINANCE = "finance"
    WAREHOUSE = "warehouse"
    CUSTOMER_SERVICE = "customer_service"
    UPSTREAM = "upstream"


class Action(StrEnum):
    MANAGE_PRODUCTS = "manage_products"
    READ_CATALOGUE = "read_catalogue"
    MANAGE_CUSTOMERS = "manage_customers"
    RECEIVE_STOCK = "receive_stock"
    READ_STOCK = "read_stock"
    CREATE_ORDER = "create_order"
    READ_ORDERS = "read_orders"
    DECIDE_APPROVAL = "decide_approval"
    RECORD_PAYMENT = "record_payment"
    RECORD_SHIPMENT_EVENT = "record_shipment_event"
    CANCEL_ORDER = "cancel_order"


class ApprovalLevel(StrEnum):
    SALES_SUPERVISOR = "sales_supervisor"
    MANAGER = "manager"
    FINANCE = "finance"


R = Role
_EVERYONE = frozenset(Role)
_APPROVERS = frozenset({R.SALES_SUPERVISOR, R.MANAGER, R.FINANCE})

# The one place that says who may do what; the API checks every route against it.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.MANAGE_PRODUCTS: frozenset({R.ADMIN}),
    Action.READ_CATALOGUE: _EVERYONE,
    Action.MANAGE_CUSTOMERS: frozenset(
        {R.ADMIN, R.SALES, R.SALES_SUPERVISOR, R.CUSTOMER_SERVICE, R.UPSTREAM}
    ),
    Action.RECEIVE_STOCK: frozenset({R.ADMIN, R.WAREHOUSE}),
    Action.READ_STOCK: _EVERYONE,
    Action.CREATE_ORDER: frozenset(
        {R.ADMIN, R.SALES, R.SALES_SUPERVISOR, R.CUSTOMER_SERVICE, R.UPSTREAM}
    ),
    Action.READ_ORDERS: _EVERYONE,
    Action.DECIDE_APPROVAL: _APPROVERS,
    Action.RECORD_PAYMENT: frozenset({R.ADMIN, R.FINANCE, R.UPSTREAM}),
    Action.RECORD_SHIPMENT_EVENT: frozenset({R.ADMIN, R.WAREHOUSE, R.UPSTREAM}),
    Action.CANCEL_ORDER: frozenset({R.ADMIN, R.CUSTOMER_SERVICE, R.SALES}),
}

# A higher level may stand in for a lower one; finance decides only credit.
DECIDERS: dict[ApprovalLevel, frozenset[Role]] = {
    ApprovalLevel.SALES_SUPERVISOR: frozenset({R.SALES_SUPERVISOR, R.MANAGER}),
    ApprovalLevel.MANAGER: frozenset({R.MANAGER}),
    ApprovalLevel.FINANCE: frozenset({R.FINANCE}),
}


def is_allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


def levels_decidable_by(role: Role) -> list[ApprovalLevel]:
    return [level for level, roles in DECIDERS.items() if role in roles]


def may_cancel(role: Role, username: str, order_created_by: str) -> bool:
    """Sales may cancel only the orders they created themselves."""
    if role == R.SALES:
        return username == order_created_by
    return is_allowed(role, Action.CANCEL_ORDER)
