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
    READ_APPROVAL_INBOX = "read_approval_inbox"
    RELAY_CUSTOMER_ANSWER = "relay_customer_answer"
    RECORD_PAYMENT = "record_payment"
    RECORD_SHIPMENT_EVENT = "record_shipment_event"
    CANCEL_ORDER = "cancel_order"
    SET_PRICES = "set_prices"
    SET_CREDIT = "set_credit"
    ASSIGN_CUSTOMER_OWNER = "assign_customer_owner"
    READ_POLICY = "read_policy"
    MANAGE_POLICY = "manage_policy"
    DELEGATE_APPROVAL = "delegate_approval"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    READ_KPIS = "read_kpis"
    READ_NOTIFICATIONS = "read_notifications"
    RETRY_NOTIFICATIONS = "retry_notifications"
    MANAGE_WEBHOOKS = "manage_webhooks"
    # Read (and seal) Temporal payloads through the codec endpoint: customers' personal data.
    DECODE_PAYLOADS = "decode_payloads"
    IMPORT_ORDERS = "import_orders"
    READ_PICK_LISTS = "read_pick_lists"
    PACK_SHIPMENT = "pack_shipment"
    TRANSFER_STOCK = "transfer_stock"
    SET_SHORTAGE_CHOICE = "set_shortage_choice"
    RESOLVE_SHIPMENT_EXCEPTION = "resolve_shipment_exception"
    MANAGE_WAREHOUSES = "manage_warehouses"
    CHANGE_ORDER = "change_order"
    AUTHORIZE_RETURN = "authorize_return"
    RECEIVE_RETURN = "receive_return"
    RECORD_PRODUCTION_EVENT = "record_production_event"
    DECIDE_PRODUCTION = "decide_production"
    READ_DOCUMENTS = "read_documents"
    READ_ACCOUNTS = "read_accounts"
    REFUND = "refund"
    RECONCILE = "reconcile"
    CORRECT_INVOICES = "correct_invoices"
    MANAGE_PRICING = "manage_pricing"


class ApprovalLevel(StrEnum):
    SALES_SUPERVISOR = "sales_supervisor"
    MANAGER = "manager"
    FINANCE = "finance"
    # The customer confirms through a signed link; unanswered, customer service takes it.
    CUSTOMER = "customer"
    CUSTOMER_SERVICE = "customer_service"
    # Not policy levels: requests a person makes that wait for a supervisor's confirmation (a
    # costly cancellation; an address change once picking started).
    CANCELLATION = "cancellation"
    ADDRESS_CHANGE = "address_change"


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
    # Customer service approves nothing; it sees the orders held for it and relays the
    # customer's own answer (given by phone, say) once the confirmation link has lapsed.
    Action.READ_APPROVAL_INBOX: _APPROVERS | {R.CUSTOMER_SERVICE},
    Action.RELAY_CUSTOMER_ANSWER: frozenset({R.CUSTOMER_SERVICE}),
    Action.RECORD_PAYMENT: frozenset({R.ADMIN, R.FINANCE, R.UPSTREAM}),
    Action.RECORD_SHIPMENT_EVENT: frozenset({R.ADMIN, R.WAREHOUSE, R.UPSTREAM}),
    Action.CANCEL_ORDER: frozenset({R.ADMIN, R.CUSTOMER_SERVICE, R.SALES}),
    # Customer service takes orders but may not give prices or discounts of its own.
    Action.SET_PRICES: frozenset({R.ADMIN, R.SALES, R.SALES_SUPERVISOR, R.UPSTREAM}),
    # A customer's credit limit and hold are finance's call; others get the policy's default.
    Action.SET_CREDIT: frozenset({R.ADMIN, R.FINANCE}),
    Action.ASSIGN_CUSTOMER_OWNER: frozenset({R.ADMIN, R.SALES_SUPERVISOR}),
    Action.READ_POLICY: frozenset({R.ADMIN, R.SALES_SUPERVISOR, R.MANAGER, R.FINANCE}),
    Action.MANAGE_POLICY: frozenset({R.ADMIN}),
    Action.DELEGATE_APPROVAL: _APPROVERS,
    Action.MANAGE_API_KEYS: frozenset({R.ADMIN}),
    Action.MANAGE_USERS: frozenset({R.ADMIN}),
    Action.READ_AUDIT: frozenset({R.ADMIN}),
    Action.READ_KPIS: frozenset({R.ADMIN, R.MANAGER, R.FINANCE, R.SALES_SUPERVISOR}),
    Action.READ_NOTIFICATIONS: frozenset({R.ADMIN, R.CUSTOMER_SERVICE}),
    Action.RETRY_NOTIFICATIONS: frozenset({R.ADMIN}),
    Action.MANAGE_WEBHOOKS: frozenset({R.ADMIN}),
    Action.DECODE_PAYLOADS: frozenset({R.ADMIN}),
    Action.IMPORT_ORDERS: frozenset({R.ADMIN, R.UPSTREAM, R.SALES, R.CUSTOMER_SERVICE}),
    Action.READ_PICK_LISTS: frozenset({R.ADMIN, R.WAREHOUSE}),
    Action.PACK_SHIPMENT: frozenset({R.ADMIN, R.WAREHOUSE}),
    Action.TRANSFER_STOCK: frozenset({R.ADMIN, R.WAREHOUSE}),
    Action.SET_SHORTAGE_CHOICE: frozenset({R.ADMIN, R.CUSTOMER_SERVICE}),
    Action.RESOLVE_SHIPMENT_EXCEPTION: frozenset({R.ADMIN, R.CUSTOMER_SERVICE}),
    Action.MANAGE_WAREHOUSES: frozenset({R.ADMIN}),
    # Sales change their own customers' orders (the data scope); prices stay SET_PRICES's.
    Action.CHANGE_ORDER: frozenset({R.ADMIN, R.SALES, R.SALES_SUPERVISOR, R.CUSTOMER_SERVICE}),
    Action.AUTHORIZE_RETURN: frozenset({R.ADMIN, R.CUSTOMER_SERVICE}),
    Action.RECEIVE_RETURN: frozenset({R.ADMIN, R.WAREHOUSE}),
    # The plant's system (an upstream key) or the warehouse reporting for it.
    Action.RECORD_PRODUCTION_EVENT: frozenset({R.ADMIN, R.WAREHOUSE, R.UPSTREAM}),
    # After talking to the customer: one more rework, or given up.
    Action.DECIDE_PRODUCTION: frozenset({R.ADMIN, R.CUSTOMER_SERVICE}),
    # Invoices and credit notes name prices: everyone who sees them on orders, in scope.
    Action.READ_DOCUMENTS: _EVERYONE - {R.WAREHOUSE},
    # A customer's account and statement: finance, admin, and sales for their own customers
    # (the data scope).
    Action.READ_ACCOUNTS: frozenset({R.ADMIN, R.FINANCE, R.SALES}),
    Action.REFUND: frozenset({R.ADMIN, R.FINANCE}),
    Action.RECONCILE: frozenset({R.ADMIN, R.FINANCE}),
    Action.CORRECT_INVOICES: frozenset({R.ADMIN, R.FINANCE}),
    # Contract price lists, quantity breaks and promotions.
    Action.MANAGE_PRICING: frozenset({R.ADMIN, R.SALES_SUPERVISOR}),
}

# A higher level may stand in for a lower one; finance decides only credit.
DECIDERS: dict[ApprovalLevel, frozenset[Role]] = {
    ApprovalLevel.SALES_SUPERVISOR: frozenset({R.SALES_SUPERVISOR, R.MANAGER}),
    ApprovalLevel.MANAGER: frozenset({R.MANAGER}),
    ApprovalLevel.FINANCE: frozenset({R.FINANCE}),
    ApprovalLevel.CUSTOMER: frozenset(),
    ApprovalLevel.CUSTOMER_SERVICE: frozenset({R.CUSTOMER_SERVICE, R.MANAGER}),
    ApprovalLevel.CANCELLATION: frozenset({R.SALES_SUPERVISOR, R.MANAGER}),
    ApprovalLevel.ADDRESS_CHANGE: frozenset({R.SALES_SUPERVISOR, R.MANAGER}),
}

# Levels that confirm a person's request rather than approve an order (no policy rule asks
# for them; an order's review leaves them alone).
REQUEST_LEVELS = (ApprovalLevel.CANCELLATION, ApprovalLevel.ADDRESS_CHANGE)

# Where a pending approval goes when its escalation time passes without a decision.
NEXT_LEVEL_UP: dict[ApprovalLevel, ApprovalLevel | None] = {
    ApprovalLevel.CUSTOMER: ApprovalLevel.CUSTOMER_SERVICE,
    ApprovalLevel.SALES_SUPERVISOR: ApprovalLevel.MANAGER,
    ApprovalLevel.FINANCE: ApprovalLevel.MANAGER,
    ApprovalLevel.CUSTOMER_SERVICE: ApprovalLevel.MANAGER,
    ApprovalLevel.MANAGER: None,
    ApprovalLevel.CANCELLATION: None,
    ApprovalLevel.ADDRESS_CHANGE: None,
}

# Sequential levels open in this order: the customer confirms before staff spend time on it.
LEVEL_ORDER: tuple[ApprovalLevel, ...] = (
    ApprovalLevel.CUSTOMER,
    ApprovalLevel.CUSTOMER_SERVICE,
    ApprovalLevel.SALES_SUPERVISOR,
    ApprovalLevel.FINANCE,
    ApprovalLevel.MANAGER,
    ApprovalLevel.CANCELLATION,
    ApprovalLevel.ADDRESS_CHANGE,
)


def is_allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


def levels_decidable_by(role: Role) -> list[ApprovalLevel]:
    return [level for level, roles in DECIDERS.items() if role in roles]


def may_cancel(role: Role, username: str, order_created_by: str) -> bool:
    """Sales may cancel only the orders they created themselves."""
    if role == R.SALES:
        return username == order_created_by
    return is_allowed(role, Action.CANCEL_ORDER)
