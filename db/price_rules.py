"""The price rules in force on a day, read from the records for domain/price_rules.py."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PriceList, PriceListEntry, PromotionRow
from domain import price_rules as rules


def valid_on(model: type[PriceList] | type[PromotionRow], day: date) -> ColumnElement[bool]:
    """Valid on the day: from its first through its last day (none: open-ended)."""
    return and_(model.valid_from <= day, or_(model.valid_to.is_(None), model.valid_to >= day))


async def rules_on(
    session: AsyncSession, day: date, customer_id: str | None, group: str, skus: list[str]
) -> rules.PriceRules:
    """The lists for this customer (theirs, their group's, everyone's) that price any of
    these skus, and every promotion, valid on the day."""
    audience = or_(
        PriceList.customer_id == customer_id,
        PriceList.customer_group == group,
        (PriceList.customer_id.is_(None) & PriceList.customer_group.is_(None)),
    )
    found = await session.execute(
        select(PriceList, PriceListEntry)
        .join(PriceListEntry, PriceListEntry.price_list_id == PriceList.id)
        .where(valid_on(PriceList, day), audience, PriceListEntry.sku.in_(skus))
    )
    heads: dict[int, PriceList] = {}
    breaks: dict[int, dict[str, list[tuple[int, Decimal]]]] = defaultdict(lambda: defaultdict(list))
    for head, entry in found:
        heads[head.id] = head
        breaks[head.id][entry.sku].append((entry.min_quantity, entry.unit_price))
    lists = [
        rules.PriceList(
            valid_from=h.valid_from,
            valid_to=h.valid_to,
            name=h.name,
            customer_id=h.customer_id,
            customer_group=h.customer_group,
            breaks=dict(breaks[i]),
        )
        for i, h in heads.items()
    ]
    promos = await session.scalars(select(PromotionRow).where(valid_on(PromotionRow, day)))
    return rules.PriceRules(
        price_lists=lists,
        promotions=[
            rules.Promotion(
                valid_from=p.valid_from,
                valid_to=p.valid_to,
                name=p.name,
                kind=rules.PromotionKind(p.kind),
                value=p.value,
                scope=rules.PromotionScope(p.scope),
                target=p.target,
                min_order_total=p.min_order_total,
                stackable=p.stackable,
            )
            for p in promos
        ],
    )
