"""`/price-lists` and `/promotions` (admin and sales supervisors), audited. A list or a
promotion is not edited in place: orders record the name that priced them, so a new one is
made (and an old one's validity ends by day) instead."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, who
from api.errors import InvalidFields, NotAllowedNow, NotFound
from api.permissions import CanManagePricing
from api.pricing.schemas import (
    PriceBreakOut,
    PriceListIn,
    PriceListOut,
    PromotionIn,
    PromotionOut,
)
from db.audit import audit
from db.models import Customer, PriceList, PriceListEntry, Product, PromotionRow
from db.price_rules import valid_on

router = APIRouter(tags=["pricing"])
ValidOn = Annotated[
    date | None, Query(alias="valid_on", description="only those valid on this day")
]


async def _list_out(session: AsyncSession, head: PriceList) -> PriceListOut:
    entries = await session.scalars(
        select(PriceListEntry)
        .where(PriceListEntry.price_list_id == head.id)
        .order_by(PriceListEntry.sku, PriceListEntry.min_quantity)
    )
    return PriceListOut(
        id=head.id,
        name=head.name,
        customer_id=head.customer_id,
        customer_group=head.customer_group,
        valid_from=head.valid_from,
        valid_to=head.valid_to,
        entries=[PriceBreakOut.model_validate(e, from_attributes=True) for e in entries],
        created_by=head.created_by,
        created_at=head.created_at,
    )


@router.post("/price-lists", status_code=201)
async def create_price_list(
    body: PriceListIn, request: Request, session: SessionDep, user: CanManagePricing
) -> PriceListOut:
    """A contract price list (a customer's, a group's, or everyone's quantity breaks)."""
    async with session.begin():
        if await session.scalar(select(PriceList.id).where(PriceList.name == body.name)):
            raise NotAllowedNow(f"a price list is named {body.name}")
        errors: list[tuple[tuple[str | int, ...], str]] = []
        if body.customer_id is not None and await session.get(Customer, body.customer_id) is None:
            errors.append((("customer_id",), f"unknown customer {body.customer_id}"))
        skus = {x.sku for x in body.entries}
        known = set(await session.scalars(select(Product.sku).where(Product.sku.in_(skus))))
        for i, x in enumerate(body.entries):
            if x.sku not in known:
                errors.append((("entries", i, "sku"), f"unknown sku {x.sku}"))
        if errors:
            raise InvalidFields(errors)
        head = PriceList(
            name=body.name,
            customer_id=body.customer_id,
            customer_group=body.customer_group,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            created_by=user.username,
        )
        session.add(head)
        await session.flush()
        session.add_all(
            PriceListEntry(price_list_id=head.id, **x.model_dump()) for x in body.entries
        )
        audience = body.customer_id or body.customer_group or "everyone"
        audit(
            session,
            who(request, user),
            "price_list.create",
            "created",
            detail=f"{body.name} for {audience}, {len(body.entries)} prices from {body.valid_from}",
        )
        await session.flush()
        await session.refresh(head)
        return await _list_out(session, head)


@router.get("/price-lists")
async def list_price_lists(
    session: SessionDep,
    user: CanManagePricing,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
    day: ValidOn = None,
) -> list[PriceListOut]:
    """Price lists by name; a customer's are theirs and their group's and everyone's."""
    query = select(PriceList).order_by(PriceList.name)
    if customer_id is not None:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id}")
        query = query.where(
            or_(
                PriceList.customer_id == customer_id,
                PriceList.customer_group == customer.tier,
                PriceList.customer_id.is_(None) & PriceList.customer_group.is_(None),
            )
        )
    if day is not None:
        query = query.where(valid_on(PriceList, day))
    return [await _list_out(session, h) for h in await session.scalars(query)]


@router.post("/promotions", status_code=201)
async def create_promotion(
    body: PromotionIn, request: Request, session: SessionDep, user: CanManagePricing
) -> PromotionOut:
    """A promotion; it prices orders from its first day."""
    async with session.begin():
        if await session.scalar(select(PromotionRow.id).where(PromotionRow.name == body.name)):
            raise NotAllowedNow(f"a promotion is named {body.name}")
        if body.scope == "product" and await session.get(Product, body.target) is None:
            raise InvalidFields([(("target",), f"unknown sku {body.target}")])
        row = PromotionRow(**body.model_dump(), created_by=user.username)
        session.add(row)
        audit(
            session,
            who(request, user),
            "promotion.create",
            "created",
            detail=f"{body.name}: {body.value} {body.kind} off {body.scope} {body.target or ''}",
        )
        await session.flush()
        await session.refresh(row)
        return PromotionOut.model_validate(row, from_attributes=True)


@router.get("/promotions")
async def list_promotions(
    session: SessionDep, user: CanManagePricing, day: ValidOn = None
) -> list[PromotionOut]:
    query = select(PromotionRow).order_by(PromotionRow.name)
    if day is not None:
        query = query.where(valid_on(PromotionRow, day))
    return [
        PromotionOut.model_validate(p, from_attributes=True) for p in await session.scalars(query)
    ]
