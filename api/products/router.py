"""The product and inventory routes."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from api.deps import SessionDep, TemporalDep, who
from api.errors import InvalidFields, NotAllowedNow, NotFound
from api.permissions import (
    CanManageProducts,
    CanManageWarehouses,
    CanReadCatalogue,
    CanReadStock,
    CanReceiveStock,
    CanTransferStock,
)
from api.products.schemas import (
    ExpectedReceiptIn,
    ExpectedReceiptOut,
    InventoryOut,
    LowStockOut,
    ProductIn,
    ProductOut,
    ReceiptIn,
    TransferIn,
    TransferOut,
    WarehouseOut,
    ZonesIn,
)
from api.products.stock import (
    announce_receipt,
    book_receipt,
    dispatch_transfer,
    inventory_of,
    low_stock,
    receive_transfer,
    replace_zones,
    retrying_deadlocks,
    warehouses,
)
from api.products.stock_list import StockRow, stock_page
from api.workflow_calls import nudge_orders
from db.models import Product
from domain.gtin import PATTERN as GTIN_PATTERN
from domain.gtin import canonical, is_gtin

router = APIRouter(tags=["products and inventory"])


@router.post("/products", status_code=201)
async def upsert_product(
    body: ProductIn,
    session: SessionDep,
    user: CanManageProducts,
) -> ProductOut:
    """Create a product, or change its name, price, weight, barcode and pre-sale terms (a
    GTIN another product carries: 409)."""
    values = body.columns()
    try:
        async with session.begin():
            await session.execute(
                insert(Product)
                .values(**values)
                .on_conflict_do_update(index_elements=[Product.sku], set_=values)
            )
            product = await session.get_one(Product, body.sku, populate_existing=True)
            out = ProductOut.model_validate(product, from_attributes=True)
    except IntegrityError as exc:
        if "products_gtin_key" not in str(exc.orig):
            raise
        raise NotAllowedNow(f"gtin {body.gtin} is another product's barcode") from exc
    return out


@router.get("/products")
async def list_products(
    session: SessionDep,
    user: CanReadCatalogue,
    q: Annotated[
        str | None, Query(min_length=1, max_length=64, description="sku start or name part")
    ] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    gtin: Annotated[
        str | None, Query(pattern=GTIN_PATTERN, description="a scanned barcode")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ProductOut]:
    """The catalogue, by sku; found by sku or name, category, or barcode (a GTIN whose check
    digit is wrong is 422: a misread scan finds nothing rather than another product)."""
    stmt = select(Product)
    if q:
        named = Product.name.icontains(q, autoescape=True)
        in_category = Product.category == q.lower()
        stmt = stmt.where(Product.sku.istartswith(q, autoescape=True) | named | in_category)
    if category:
        stmt = stmt.where(Product.category == category)
    if gtin is not None:
        if not is_gtin(gtin):
            raise InvalidFields([(("gtin",), "the check digit does not match")], where="query")
        stmt = stmt.where(Product.gtin == canonical(gtin))
    rows = await session.scalars(stmt.order_by(Product.sku).limit(limit).offset(offset))
    return [ProductOut.model_validate(p, from_attributes=True) for p in rows]


@router.post("/inventory/receipts", status_code=201)
async def receive_stock(
    body: ReceiptIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanReceiveStock,
) -> InventoryOut:
    """Book goods in; orders waiting for this sku are served first, by priority and arrival."""
    served = await retrying_deadlocks(lambda: book_receipt(session, body, user))
    await nudge_orders(temporal, served)
    return await inventory_of(session, body.sku)


@router.post("/inventory/expected-receipts", status_code=201)
async def expect_receipt(
    body: ExpectedReceiptIn, session: SessionDep, user: CanReceiveStock
) -> ExpectedReceiptOut:
    """Goods a supplier announced; book them in later with their expected_receipt_id."""
    return await announce_receipt(session, body, user)


@router.post("/inventory/transfers", status_code=201)
async def transfer_stock(
    body: TransferIn, session: SessionDep, user: CanTransferStock
) -> TransferOut:
    """Send stock to another warehouse: it leaves the source's available at once."""
    return await retrying_deadlocks(lambda: dispatch_transfer(session, body, user))


@router.post("/inventory/transfers/{transfer_id}/receive")
async def receive_transfer_route(
    transfer_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    temporal: TemporalDep,
    user: CanTransferStock,
) -> TransferOut:
    """The transfer arrived: its stock joins the destination and serves waiting orders."""
    transfer, served = await retrying_deadlocks(
        lambda: receive_transfer(session, transfer_id, user)
    )
    await nudge_orders(temporal, served)
    return transfer


@router.get("/warehouses")
async def list_warehouses(session: SessionDep, user: CanReadStock) -> list[WarehouseOut]:
    """Warehouses with their zone tables (how the allocation rule measures nearness)."""
    return await warehouses(session)


@router.put("/warehouses/{code}/zones")
async def put_zones(
    code: Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-]{1,16}$")],
    body: ZonesIn,
    request: Request,
    session: SessionDep,
    user: CanManageWarehouses,
) -> list[WarehouseOut]:
    """Replace a warehouse's zone table; the next reservations allocate by it."""
    return await replace_zones(session, who(request, user), code, body)


@router.get("/inventory")
async def list_inventory(
    session: SessionDep,
    user: CanReadStock,
    q: Annotated[
        str | None, Query(min_length=1, max_length=64, description="sku start or name part")
    ] = None,
    low: Annotated[bool, Query(description="only skus below their reorder point")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[StockRow]:
    """Stock of every sku, by sku: on hand, reserved, available, per warehouse; low marked."""
    return await stock_page(session, q, low, limit, offset)


@router.get("/inventory/low-stock")
async def list_low_stock(session: SessionDep, user: CanReadStock) -> list[LowStockOut]:
    """Skus whose available stock is below their reorder point, since when."""
    return await low_stock(session)


@router.get("/inventory/{sku}")
async def get_inventory(sku: str, session: SessionDep, user: CanReadStock) -> InventoryOut:
    """Stock of one sku, in total and per warehouse, with what is in transit."""
    if await session.get(Product, sku) is None:
        raise NotFound(f"sku {sku} not found")
    return await inventory_of(session, sku)
