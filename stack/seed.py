"""Reference data every install needs, and an idempotent demo catalogue for `make run`."""

from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import SessionFactory
from db.models import Customer, Product, Stock, User, Warehouse, WarehouseZone
from db.policies import BUILT_IN_VERSION, current_policy, save_policy
from domain.roles import Role
from domain.shipping_charges import EXAMPLE_SHIPPING_CHARGES

# Authority limits: the largest order total each may approve (unset: no limit of their own).
APPROVAL_LIMITS = {"supervisor": Decimal("20000")}

WAREHOUSES = {"WH1": "Main warehouse (Munich)", "WH2": "Overflow warehouse (Hamburg)"}
# (warehouse, country, postal prefix, zone): the allocation rule's distances; a lower zone is
# nearer, the longest matching prefix decides.
WAREHOUSE_ZONES = [
    ("WH1", "DE", "", 2),
    ("WH1", "DE", "8", 1),
    ("WH1", "DE", "9", 1),
    ("WH1", "AT", "", 2),
    ("WH1", "NL", "", 4),
    ("WH2", "DE", "", 2),
    ("WH2", "DE", "1", 1),
    ("WH2", "DE", "2", 1),
    ("WH2", "NL", "", 2),
    ("WH2", "AT", "", 4),
]

# Where the seeded staff's messages go (the development sink keeps them in the outbox).
STAFF_MAIL_DOMAIN = "orderflow.example"
SEED_USERS: dict[str, Role] = {
    "admin": Role.ADMIN,
    "sales1": Role.SALES,
    "sales2": Role.SALES,
    "supervisor": Role.SALES_SUPERVISOR,
    "manager": Role.MANAGER,
    "manager2": Role.MANAGER,
    "finance": Role.FINANCE,
    "warehouse": Role.WAREHOUSE,
    "service": Role.CUSTOMER_SERVICE,
    "shop": Role.UPSTREAM,
}

DEMO_PRODUCTS = [
    ("CHAIR-01", "Office chair", Decimal("149.00"), Decimal("12.5")),
    ("DESK-01", "Standing desk", Decimal("499.00"), Decimal("38.0")),
    ("LAMP-01", "Desk lamp", Decimal("39.90"), Decimal("1.2")),
    ("MONITOR-27", "27-inch monitor", Decimal("289.00"), Decimal("6.4")),
]
DEMO_STOCK = {"CHAIR-01": (40, 10), "DESK-01": (5, 5), "LAMP-01": (100, 0), "MONITOR-27": (20, 0)}
DEMO_CUSTOMERS = [
    (
        "c0ffee00-0000-4000-8000-000000000001",
        "Acme GmbH",
        "buyer@acme.example",
        "+49 30 1234567",
        "Hauptstr. 1",
        "Berlin",
        "10115",
        "DE",
        Decimal("20000"),
        "standard",
    ),
    (
        "c0ffee00-0000-4000-8000-000000000002",
        "Globex BV",
        "orders@globex.example",
        "+31 20 555 0100",
        "Damrak 5",
        "Amsterdam",
        "1012 LG",
        "NL",
        Decimal("5000"),
        "vip",
    ),
]


async def seed_reference(session: AsyncSession) -> None:
    for code, name in WAREHOUSES.items():
        await session.execute(
            insert(Warehouse).values(code=code, name=name).on_conflict_do_nothing()
        )
    for warehouse, country, prefix, zone in WAREHOUSE_ZONES:
        await session.execute(
            insert(WarehouseZone)
            .values(warehouse=warehouse, country=country, postal_prefix=prefix, zone=zone)
            .on_conflict_do_nothing()
        )
    for username, role in SEED_USERS.items():
        stmt = insert(User).values(
            username=username,
            role=role,
            display_name=username.title(),
            approval_limit=APPROVAL_LIMITS.get(username),
            email=f"{username}@{STAFF_MAIL_DOMAIN}",
        )
        # Installs seeded before staff had addresses get theirs; a set one stays.
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[User.username],
                set_={"email": func.coalesce(User.email, stmt.excluded.email)},
            )
        )


async def seed_demo(session: AsyncSession) -> None:
    for sku, name, price, weight in DEMO_PRODUCTS:
        await session.execute(
            insert(Product)
            .values(sku=sku, name=name, unit_price=price, weight_kg=weight)
            .on_conflict_do_nothing()
        )
    for sku, (wh1, wh2) in DEMO_STOCK.items():
        for warehouse, qty in (("WH1", wh1), ("WH2", wh2)):
            await session.execute(
                insert(Stock)
                .values(sku=sku, warehouse=warehouse, on_hand=qty, reserved=0)
                .on_conflict_do_nothing()
            )
    for cid, name, email, phone, line1, city, postal, country, limit, tier in DEMO_CUSTOMERS:
        await session.execute(
            insert(Customer)
            .values(
                id=cid,
                name=name,
                email=email,
                phone=phone,
                line1=line1,
                city=city,
                postal_code=postal,
                country=country,
                credit_limit=limit,
                tier=tier,
                on_credit_hold=False,
            )
            .on_conflict_do_nothing()
        )
    # The demo charges for shipping (the built-in policy charges nothing until an admin
    # sets prices); saved once, as a policy version anyone can read and change.
    version, policy = await current_policy(session)
    if version == BUILT_IN_VERSION:
        demo = policy.model_copy(update={"shipping_charges": EXAMPLE_SHIPPING_CHARGES})
        await save_policy(session, demo, "seed", "demo: shipping charges by weight")


async def seed_all(sessions: SessionFactory, demo: bool = True) -> None:
    async with sessions.begin() as session:
        await seed_reference(session)
        if demo:
            await seed_demo(session)
