"""The product and inventory routes."""

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from api.deps import SessionDep, TemporalDep
from api.errors import NotFound
from api.permissions import CanManageProducts, CanReadCatalogue, CanReadStock, CanReceiveStock
from api.products.schemas import InventoryOut, ProductIn, ProductOut, ReceiptIn
from api.products.stock import DEADLOCK_RETRIES, RETRYABLE, book_receipt, inventory_of
from api.workflow_calls import nudge_orders
from db.models import Product

router = APIRouter(tags=["products and inventory"])


@router.post("/products", status_code=201)
async def upsert_product(
    body: ProductIn,
    session: SessionDep,
    user: CanManageProducts,
) -> ProductOut:
    """Create a product, or change its name, price and weight."""
    values = body.model_dump()
    async with session.begin():
        await session.execute(
            insert(Product)
            .values(**values)
            .on_conflict_do_update(index_elements=[Product.sku], set_=values)
        )
    return ProductOut(**values)


@router.get("/products")
async def list_products(session: SessionDep, user: CanReadCatalogue) -> list[ProductOut]:
    """The catalogue, by sku."""
    rows = await session.scalars(select(Product).order_by(Product.sku))
    return [ProductOut.model_validate(p, from_attributes=True) for p in rows]


@router.post("/inventory/receipts", status_code=201)
async def receive_stock(
    body: ReceiptIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanReceiveStock,
) -> InventoryOut:
    """Book goods in; orders waiting for this sku are served first, in order of arrival."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            served = await book_receipt(session, body, user)
            break
        except DBAPIError as exc:
            # Receipts and reservations lock the same rows; PostgreSQL breaks a rare deadlock
            # by failing one side, and the receipt is simply booked again.
            if (
                getattr(exc.orig, "sqlstate", None) not in RETRYABLE
                or attempt + 1 == DEADLOCK_RETRIES
            ):
                raise
    await nudge_orders(temporal, served)
    return await inventory_of(session, body.sku)


@router.get("/inventory/{sku}")
async def get_inventory(sku: str, session: SessionDep, user: CanReadStock) -> InventoryOut:
    """Stock of one sku, in total and per warehouse."""
    if await session.get(Product, sku) is None:
        raise NotFound(f"sku {sku} not found")
    return await inventory_of(session, sku)
