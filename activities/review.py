"""Review stage: customer, credit, prices and discounts, judged by the current policy."""

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from db.customers import customer_history, open_balance
from db.engine import SessionFactory
from db.models import Approval, Customer, Order, OrderLine, Product
from db.policies import current_policy
from db.status import change_status, lock_order, mark_workflow_started, record_event
from domain.messages import ApprovalStep, ReviewOutcome, ReviewRequest, request_of
from domain.policy import OrderFacts, PolicyDocument, Requirement
from domain.review import (
    CustomerFacts,
    PaymentMethod,
    ReviewDecision,
    review_order,
)
from domain.risks import OrderToAssess, assess_risks
from domain.roles import NEXT_LEVEL_UP

PENDING = "pending"


class ReviewActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="review_order")
    async def review_order(self, request: ReviewRequest | str) -> ReviewOutcome:
        targets = request_of(ReviewRequest, request)
        order_id = targets.order_id
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            if order.workflow_started_at is None:
                await mark_workflow_started(session, order_id)
            # The customer's account row serializes the reviews of one customer, so orders
            # sent at the same moment each see the others in the exposure and first-order
            # checks. NO KEY UPDATE leaves intake's foreign-key checks on the row unblocked.
            customer = await session.scalar(
                select(Customer)
                .where(Customer.id == order.customer_id)
                .with_for_update(key_share=True)
            )
            assert customer is not None  # the foreign key guarantees it
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
            moved = await change_status(session, order, targets.to, "system", summary)
            if targets.again and not moved:
                # Reviewed again (a substitute changed the lines): the verdict is recorded.
                await record_event(session, order, "system", summary)
                await session.execute(
                    delete(Approval).where(
                        Approval.order_id == order_id,
                        Approval.opened_at.is_(None),
                        Approval.level.not_in([r.level for r in result.requirements]),
                    )
                )
            order.review_reasons = result.reasons
            order.policy_version = version
            order.review_decision = result.decision
            if result.decision == ReviewDecision.REJECT:
                await change_status(
                    session, order, targets.on_reject, "system", "; ".join(result.reasons)
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
                cancel_confirm_above=policy.cancellation.confirm_above,
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
        priced = [x.priced() for x in lines]
        rows = await session.execute(
            select(Product.sku, Product.category).where(Product.sku.in_([x.sku for x in lines]))
        )
        history = await customer_history(session, customer.id, order.id)
        payment = PaymentMethod(order.payment_method)
        return OrderFacts(
            total=order.total,
            channel=order.channel,
            payment=payment,
            customer_tier=customer.tier,
            lines=priced,
            categories={sku: category for sku, category in rows},
            risks=assess_risks(
                OrderToAssess(priced, payment, order.total, order.ship_to, customer.address),
                facts,
                history,
                policy.checks,
            ),
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
