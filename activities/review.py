"""Review stage: customer, credit, prices and discounts, judged by the current policy."""

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity

from db.engine import SessionFactory
from db.models import Approval, Customer
from db.review_facts import judge
from db.status import change_status, lock_order, mark_workflow_started, record_event
from db.versions import version_in_force
from domain.messages import ApprovalStep, Dunning, ReviewOutcome, ReviewRequest, request_of
from domain.policy import DEFAULT_POLICY, PolicyDocument, Requirement
from domain.review import ReviewDecision
from domain.roles import NEXT_LEVEL_UP, REQUEST_LEVELS

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
            version, policy, result = await judge(
                session, order, customer, await version_in_force(session, order)
            )
            summary = f"review {result.decision} (policy v{version}): " + "; ".join(result.reasons)
            moved = await change_status(session, order, targets.to, "system", summary)
            if targets.revision is not None:
                # A changed order: approvals were given to the version before, so every level
                # is asked again (the decisions stay in approval_decisions and the audit).
                summary = f"version {targets.revision}: {summary}"
                await session.execute(
                    delete(Approval).where(
                        Approval.order_id == order_id, Approval.level.not_in(REQUEST_LEVELS)
                    )
                )
            if (targets.again or targets.revision is not None) and not moved:
                # Reviewed again (a substitute or a change): the verdict is recorded.
                await record_event(session, order, "system", summary)
            if targets.again:
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
                dunning=Dunning(
                    remind_before=timedelta(days=policy.credit.remind_before_days),
                    remind_after=timedelta(days=policy.credit.remind_after_days),
                    hold_after=timedelta(days=policy.credit.hold_after_days),
                ),
            )


def _step(r: Requirement, policy: PolicyDocument) -> ApprovalStep:
    # A custom order's sign-off asks the customer level even where no rule reaches it.
    timing = policy.timing.get(r.level) or DEFAULT_POLICY.timing[r.level]
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
