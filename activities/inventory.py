"""Reservation stage: hold stock for the order (all of it, or what there is for the partial
choice), or queue it for the next receipt with the date stock is expected; propose and apply
substitutes for short lines."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from db import stock
from db.engine import SessionFactory
from db.models import Customer, Order, OrderLine, Product, Stock, Substitution
from db.notify import tell_customer
from db.pricing import pricing_basis
from db.status import change_status, lock_order, record_event
from domain.confirmation_links import SUBSTITUTE, LinkSigner
from domain.messages import (
    ReserveRequest,
    ReserveResult,
    ShortageChoiceRecord,
    SubstituteLine,
    SubstitutionProposal,
    SubstitutionRecord,
    SubstitutionRequest,
)
from domain.pricing import Charge, LineRequest, order_totals, price_line


class InventoryActivities:
    def __init__(
        self, sessions: SessionFactory, links: LinkSigner, seller_country: str = "DE"
    ) -> None:
        self.sessions = sessions
        self.links = links
        self.seller_country = seller_country

    @activity.defn(name="reserve_stock")
    async def reserve_stock(self, request: ReserveRequest) -> ReserveResult:
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            # Empty when an earlier attempt of this step already reserved everything.
            needed = await stock.outstanding(session, request.order_id)
            shortages = await stock.try_reserve(session, request.order_id, request.partial)
            holds = await stock.has_reservation(session, request.order_id)
            if shortages:
                await stock.enqueue_wait(session, request.order_id)
            else:
                await stock.drop_wait(session, request.order_id)
            if shortages and not (request.partial and holds):
                expected = await stock.expected_arrival(session, list(shortages))
                order.expected_stock_date = expected
                short = "short of " + ", ".join(f"{q} x {sku}" for sku, q in shortages.items())
                if expected is not None:
                    short += f", expected {expected.isoformat()}"
                await change_status(session, order, request.on_short, "system", short)
                return ReserveResult(reserved=False, shortages=shortages)
            order.expected_stock_date = None
            reason = "stock reserved" + (
                "; the rest ships when it arrives: "
                + ", ".join(f"{q} x {sku}" for sku, q in shortages.items())
                if shortages
                else ""
            )
            moved = await change_status(session, order, request.on_success, "system", reason)
            if not moved and needed:
                # A partial order's rest, or a lost parcel's goods: held, the status unchanged.
                await record_event(session, order, "system", reason)
            return ReserveResult(reserved=True, shortages=shortages)

    @activity.defn(name="set_shortage_choice")
    async def set_shortage_choice(self, record: ShortageChoiceRecord) -> None:
        choice = record.choice
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            if order.on_shortage != choice.on_shortage:
                before = order.on_shortage
                order.on_shortage = choice.on_shortage
                await record_event(
                    session,
                    order,
                    choice.actor,
                    f"on shortage: {before} -> {choice.on_shortage}",
                )

    @activity.defn(name="propose_substitution")
    async def propose_substitution(self, request: SubstitutionRequest) -> SubstitutionProposal:
        """For each short line, a listed substitute in stock for the whole line at the same or
        a lower price; proposed only when every short line has one. The order waits for the
        customer (the status handed over)."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            existing = list(
                await session.scalars(select(Substitution).where(Substitution.order_id == order.id))
            )
            if existing:
                return SubstitutionProposal(lines=[_line_of(s) for s in existing])
            short = await stock.outstanding(session, order.id)
            proposal: list[SubstituteLine] = []
            lines = await session.scalars(
                select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
            )
            for line in lines:
                if line.sku not in short:
                    continue
                substitute = await _substitute_for(session, line)
                if substitute is None:
                    return SubstitutionProposal()
                proposal.append(
                    SubstituteLine(
                        line_no=line.line_no,
                        sku=line.sku,
                        substitute=substitute,
                        quantity=line.quantity,
                    )
                )
            for p in proposal:
                session.add(
                    Substitution(
                        order_id=order.id,
                        line_no=p.line_no,
                        sku=p.sku,
                        substitute=p.substitute,
                        quantity=p.quantity,
                        status="proposed",
                    )
                )
            what = ", ".join(f"{p.quantity} x {p.substitute} for {p.sku}" for p in proposal)
            reason = f"substitute proposed: {what}"
            await change_status(session, order, request.to, "system", reason)
            customer = await session.get_one(Customer, order.customer_id)
            link = self.links.link(order.id, request.expires_at, SUBSTITUTE)
            params = {
                "order": order.id,
                "what": what,
                "link": link,
                "until": f"{request.expires_at:%Y-%m-%d %H:%M}",
            }
            await tell_customer(
                session, f"{order.id}:substitution", order.id, "substitution", customer, params
            )
            return SubstitutionProposal(lines=proposal)

    @activity.defn(name="answer_substitution")
    async def answer_substitution(self, record: SubstitutionRecord) -> Decimal | None:
        """Accepted: the lines change to the substitutes, re-priced at their catalogue price
        (never above the line's), totals recomputed. Declined or expired: the order waits
        for stock (the status handed over)."""
        a = record.answer
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            proposed = list(
                await session.scalars(
                    select(Substitution).where(
                        Substitution.order_id == order.id, Substitution.status == "proposed"
                    )
                )
            )
            if not proposed:
                return None
            status = "accepted" if a.accept else ("expired" if a.expired else "declined")
            now = await session.scalar(select(func.now()))
            for s in proposed:
                s.status, s.decided_by, s.decided_at = status, a.actor, now
            if not a.accept:
                await change_status(
                    session, order, record.to, a.actor, f"substitute {status}: backorder"
                )
                return None
            await _apply(session, order, proposed, self.seller_country)
            await record_event(
                session,
                order,
                a.actor,
                "substitute accepted: "
                + ", ".join(f"{s.quantity} x {s.substitute} for {s.sku}" for s in proposed),
            )
            return order.total


async def _substitute_for(session: AsyncSession, line: OrderLine) -> str | None:
    product = await session.get(Product, line.sku)
    if product is None:
        return None
    for sku in product.substitutes or []:
        candidate = await session.get(Product, sku)
        if candidate is None or candidate.unit_price > line.unit_price:
            continue
        available = await session.scalar(
            select(func.coalesce(func.sum(Stock.on_hand - Stock.reserved), 0)).where(
                Stock.sku == sku
            )
        )
        if int(available or 0) >= line.quantity:
            return str(sku)
    return None


def _line_of(s: Substitution) -> SubstituteLine:
    return SubstituteLine(
        line_no=s.line_no, sku=s.sku, substitute=s.substitute, quantity=s.quantity
    )


async def _apply(
    session: AsyncSession, order: Order, proposed: list[Substitution], seller_country: str
) -> None:
    """The substitutes priced on the order's basis (their own tax class); the shipping
    charge stands as agreed."""
    lines = {
        line.line_no: line
        for line in await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    customer = await session.get_one(Customer, order.customer_id)
    basis = await pricing_basis(
        session, order.ship_to, customer.vat_id, [s.substitute for s in proposed], seller_country
    )
    for s in proposed:
        line = lines[s.line_no]
        product = await session.get(Product, s.substitute)
        assert product is not None  # proposed from the catalogue; products are never deleted
        priced = price_line(
            LineRequest(
                sku=s.substitute,
                quantity=line.quantity,
                catalogue_price=product.unit_price,
                supplied_price=None,
                discount_pct=line.discount_pct,
            ),
            basis.rate(s.substitute),
        )
        # Every priced column: the substitute's own price, source and promotions (none), so
        # the line is not judged against the price rules gave the sku it replaces.
        for field in (
            "sku",
            "catalogue_price",
            "unit_price",
            "gross",
            "discount",
            "net",
            "tax_rate",
            "list_price",
            "price_source",
            "promotion_discount",
        ):
            setattr(line, field, getattr(priced, field))
        line.promotions = list(priced.promotions)
    charge = Charge(order.shipping_charge, order.shipping_tax_rate)
    totals = order_totals([x.priced() for x in lines.values()], charge)
    order.subtotal, order.discount, order.tax, order.total = (
        totals.subtotal,
        totals.discount,
        totals.tax,
        totals.total,
    )
