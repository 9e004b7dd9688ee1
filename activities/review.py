"""Review stage: customer, credit, prices and discounts, judged by the current policy."""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from db.customers import open_balance
from db.engine import SessionFactory
from db.models import Approval, Customer, Invoice, Order, OrderLine, Product
from db.policies import current_policy
from db.status import change_status, lock_order
from domain.messages import ApprovalStep, ReviewOutcome
from domain.policy import OrderFacts, PolicyDocument, Requirement, Risk
from domain.pricing import PricedLine
from domain.review import (
    CustomerFacts,
    PaymentMethod,
    ReviewDecision,
    credit_exposure,
    review_order,
)
from domain.risks import new_ship_to, postal_mismatch, quantity_outlier
from domain.roles import NEXT_LEVEL_UP
from domain.status import OrderStatus

PENDING = "pending"
# How far back a customer's own orders count as their usual: recent habits, bounded reads.
HISTORY_LINES = 200


class ReviewActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="review_order")
    async def review_order(self, order_id: str) -> ReviewOutcome:
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            customer = await session.get_one(Customer, order.customer_id)
            lines = list(
                await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
            )
            facts = CustomerFacts(
                complete=all([customer.name, customer.email, customer.phone, customer.line1]),
                on_credit_hold=customer.on_credit_hold,
                credit_limit=customer.credit_limit,
                open_balance=await open_balance(session, customer.id, order_id),
            )
            version, policy = await current_policy(session)
            order_facts = await self._order_facts(session, order, customer, lines, facts, policy)
            result = review_order(facts, order_facts, policy)
            summary = f"review {result.decision} (policy v{version}): " + "; ".join(result.reasons)
            await change_status(session, order, OrderStatus.UNDER_REVIEW, "system", summary)
            order.review_reasons = result.reasons
            order.policy_version = version
            order.review_decision = result.decision
            if result.decision == ReviewDecision.REJECT:
                await change_status(
                    session, order, OrderStatus.REJECTED, "system", "; ".join(result.reasons)
                )
            for r in result.requirements:
                await session.execute(
                    insert(Approval)
                    .values(
                        order_id=order_id,
                        level=r.level,
                        current_level=r.level,
                        status=PENDING,
                        reasons=r.reasons,
                        rule_ids=r.rule_ids,
                        approvers_needed=r.approvers,
                        mode=r.mode,
                    )
                    .on_conflict_do_nothing()
                )
            return ReviewOutcome(
                decision=result.decision,
                reasons=result.reasons,
                levels=result.levels,
                steps=[_step(r, policy) for r in result.requirements],
                policy_version=version,
            )

    async def _order_facts(
        self,
        session: AsyncSession,
        order: Order,
        customer: Customer,
        lines: list[OrderLine],
        facts: CustomerFacts,
        policy: PolicyDocument,
    ) -> OrderFacts:
        priced = [_priced(x) for x in lines]
        rows = await session.execute(
            select(Product.sku, Product.category).where(Product.sku.in_([x.sku for x in lines]))
        )
        categories = {sku: category for sku, category in rows}
        earlier = (Order.customer_id == customer.id, Order.id != order.id)
        past = (
            await session.execute(
                select(OrderLine.quantity, OrderLine.net)
                .join(Order, Order.id == OrderLine.order_id)
                .where(*earlier)
                .order_by(Order.created_at.desc())
                .limit(HISTORY_LINES)
            )
        ).all()
        past_orders = await session.scalar(select(func.count()).select_from(Order).where(*earlier))
        past_credit = await session.scalar(
            select(func.count())
            .select_from(Order)
            .where(*earlier, Order.payment_method == PaymentMethod.CREDIT)
        )
        past_ship_tos = list(
            await session.scalars(
                select(Order.ship_to).where(*earlier).order_by(Order.created_at.desc()).limit(100)
            )
        )
        overdue = await session.scalar(
            select(func.count())
            .select_from(Invoice)
            .join(Order, Order.id == Invoice.order_id)
            .where(Order.customer_id == customer.id, Invoice.status == "overdue")
        )
        payment = PaymentMethod(order.payment_method)
        checks = policy.checks
        risks: dict[Risk, str | None] = {
            Risk.NEW_CUSTOMER: ("new customer: no earlier orders" if not past_orders else None),
            Risk.CREDIT_OVER_LIMIT: credit_exposure(facts, order.total),
            Risk.OVERDUE_BALANCE: f"customer has {overdue} overdue invoice(s)" if overdue else None,
            Risk.FIRST_CREDIT_ORDER: (
                "first order of this customer on credit terms"
                if payment == PaymentMethod.CREDIT and not past_credit
                else None
            ),
            Risk.QUANTITY_OUTLIER: quantity_outlier(
                priced,
                [q for q, _ in past],
                [n for _, n in past],
                checks.outlier_factor,
                checks.outlier_min_history,
            ),
            Risk.NEW_SHIP_TO: new_ship_to(order.ship_to, _address(customer), past_ship_tos),
            Risk.POSTAL_MISMATCH: postal_mismatch(order.ship_to),
        }
        return OrderFacts(
            total=order.total,
            channel=order.channel,
            payment=payment,
            customer_tier=customer.tier,
            lines=priced,
            categories=categories,
            risks={k: v for k, v in risks.items() if v is not None},
        )


def _step(r: Requirement, policy: PolicyDocument) -> ApprovalStep:
    timing = policy.timing[r.level]
    escalate_to = NEXT_LEVEL_UP[r.level] if timing.escalate_after is not None else None
    return ApprovalStep(
        level=r.level,
        approvers=r.approvers,
        mode=r.mode,
        reasons=r.reasons,
        remind_after=timing.remind_after,
        escalate_after=timing.escalate_after if escalate_to is not None else None,
        expire_after=timing.expire_after,
        escalate_to=escalate_to,
    )


def _address(c: Customer) -> dict[str, object]:
    return {
        "line1": c.line1,
        "line2": c.line2,
        "city": c.city,
        "postal_code": c.postal_code,
        "country": c.country,
    }


def _priced(line: OrderLine) -> PricedLine:
    return PricedLine(
        sku=line.sku,
        quantity=line.quantity,
        catalogue_price=line.catalogue_price,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        gross=line.gross,
        discount=line.discount,
        net=line.net,
    )
