"""Approval desk side effects: decisions, opening a level, reminders and escalations.

Each method is one transaction with its history, audit and outbox rows, and safe to repeat.
"""

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.audit import SYSTEM, Who, audit
from db.decisions import DecisionIdInUse, write_decision
from db.engine import SessionFactory
from db.models import Approval, Customer, Delegation, Order, User
from db.notify import approvers_of, tell_customer, tell_staff
from db.status import lock_order, record_event
from domain.authority import Authority, NotPermitted, check_limit
from domain.confirmation_links import LinkSigner
from domain.messages import Decision, DecisionRecord, StepEvent, StepEventKind, StepOpening
from domain.roles import ApprovalLevel, Role

FORBIDDEN = "Forbidden"


class ApprovalActivities:
    def __init__(self, sessions: SessionFactory, links: LinkSigner) -> None:
        self.sessions = sessions
        self.links = links

    @activity.defn(name="record_decision")
    async def record_decision(self, record: DecisionRecord) -> None:
        """Orders from before the approval desk: one decision per level."""
        d = record.decision
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            status = "approved" if d.decision == Decision.APPROVE else "rejected"
            result = await session.execute(
                update(Approval)
                .where(
                    Approval.order_id == order.id,
                    Approval.level == d.level,
                    Approval.status == "pending",
                )
                .values(
                    status=status,
                    decided_by=d.decided_by,
                    decided_role=d.role,
                    comment=d.comment,
                    decision_id=d.decision_id,
                    decided_at=func.now(),
                )
                .returning(Approval.level)
            )
            if result.first() is not None:
                note = f" ({d.comment})" if d.comment else ""
                await record_event(
                    session, order, d.decided_by, f"{d.level} approval: {status}{note}"
                )

    @activity.defn(name="record_approval_decision")
    async def record_approval_decision(self, record: DecisionRecord) -> None:
        """One person's decision; refuses (non-retryable Forbidden) what the records forbid."""
        d = record.decision
        who = Who(d.decided_by, d.role, d.request_id, d.client_addr)
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            try:
                if not await write_decision(session, order.id, d, "customer"):
                    return  # a retry: this decision is already written
            except DecisionIdInUse as taken:
                raise ApplicationError(str(taken), type=FORBIDDEN, non_retryable=True) from None
            if record.current_level != ApprovalLevel.CUSTOMER:
                refusal = await _authority_refusal(session, order, record)
                if refusal is not None:
                    # Not written: the raise rolls the decision back; the refusal is audited
                    # by the API in its own transaction.
                    raise ApplicationError(refusal, type=FORBIDDEN, non_retryable=True)
            approval = await session.scalar(
                select(Approval)
                .where(Approval.order_id == order.id, Approval.level == d.level)
                .with_for_update()
            )
            assert approval is not None
            approval.approvers_given += d.decision == Decision.APPROVE
            if d.decision == Decision.REJECT:
                approval.status = "rejected"
            elif approval.approvers_given >= approval.approvers_needed:
                approval.status = "approved"
            approval.decided_by = d.decided_by
            approval.decided_role = d.role
            approval.decision_id = d.decision_id
            approval.comment = d.comment
            approval.decided_at = func.now()
            by = f"{d.decided_by} for {d.on_behalf_of}" if d.on_behalf_of else d.decided_by
            verdict = "rejected" if d.decision == Decision.REJECT else "approved"
            if approval.approvers_needed > 1 and d.decision == Decision.APPROVE:
                verdict += f" ({approval.approvers_given} of {approval.approvers_needed})"
            note = f" ({d.comment})" if d.comment else ""
            await record_event(session, order, by, f"{d.level} approval: {verdict}{note}")
            audit(
                session,
                who,
                "approval.decide",
                str(d.decision),
                order_id=order.id,
                decision_id=d.decision_id,
                detail=f"level {d.level}" + (f" for {d.on_behalf_of}" if d.on_behalf_of else ""),
            )

    @activity.defn(name="open_approval_step")
    async def open_step(self, opening: StepOpening) -> None:
        """A level's turn has come: set its clock and tell whoever decides it."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, opening.order_id)
            await session.execute(
                update(Approval)
                .where(Approval.order_id == order.id, Approval.level == opening.level)
                .values(
                    current_level=opening.current_level,
                    opened_at=opening.opened_at,
                    remind_at=opening.remind_at,
                    escalate_at=opening.escalate_at,
                    deadline=opening.deadline,
                )
            )
            await self._tell(session, order, opening.current_level, "approval_needed", opening)

    @activity.defn(name="approval_step_event")
    async def step_event(self, event: StepEvent) -> None:
        async with self.sessions.begin() as session:
            order = await lock_order(session, event.order_id)
            if event.kind == StepEventKind.ESCALATE:
                await session.execute(
                    update(Approval)
                    .where(Approval.order_id == order.id, Approval.level == event.level)
                    .values(current_level=event.current_level, escalated_at=event.at)
                )
                what = f"{event.level} approval escalated to {event.current_level}"
                if event.level == ApprovalLevel.CUSTOMER:
                    what = "customer did not confirm in time: held for customer service"
            else:
                await session.execute(
                    update(Approval)
                    .where(Approval.order_id == order.id, Approval.level == event.level)
                    .values(reminded_at=event.at)
                )
                what = f"reminder: {event.current_level} approval still pending"
            await record_event(session, order, "system", what)
            audit(session, SYSTEM, f"approval.{event.kind}", "done", order_id=order.id, detail=what)
            await self._tell(session, order, event.current_level, str(event.kind), event)

    async def _tell(
        self,
        session: AsyncSession,
        order: Order,
        level: ApprovalLevel,
        kind: str,
        step: StepOpening | StepEvent,
    ) -> None:
        key = f"{order.id}:{step.level}:{kind}"
        if level == ApprovalLevel.CUSTOMER:
            customer = await session.get_one(Customer, order.customer_id)
            expires = getattr(step, "escalate_at", None) or step.deadline
            link = self.links.link(order.id, expires)
            params = {
                "order": order.id,
                "total": order.total,
                "currency": order.currency,
                "link": link,
                "until": f"{expires:%Y-%m-%d %H:%M}",
            }
            await tell_customer(session, key, order.id, kind, customer, params, "confirm")
            return
        params = {
            "order": order.id,
            "total": order.total,
            "currency": order.currency,
            "level": str(level),
            "deadline": f"{step.deadline:%Y-%m-%d %H:%M}",
            "reasons": "; ".join(order.review_reasons),
            "reminder": kind == "remind",
        }
        for user in await approvers_of(session, level):
            await tell_staff(session, f"{key}:{user}", order.id, kind, user, params, "approval")


async def _authority_refusal(
    session: AsyncSession, order: Order, record: DecisionRecord
) -> str | None:
    """What in the user records forbids this decision: inactive, role, delegation, limit."""
    d = record.decision
    person = await session.get(User, d.decided_by)
    if person is None or not person.active:
        return f"{d.decided_by} is not an active user"
    authority = person
    if d.on_behalf_of:
        delegation = await session.scalar(
            select(Delegation.id).where(
                Delegation.delegator == d.on_behalf_of,
                Delegation.stand_in == d.decided_by,
                Delegation.revoked_at.is_(None),
                Delegation.starts_at <= func.now(),
                Delegation.ends_at > func.now(),
            )
        )
        delegator = await session.get(User, d.on_behalf_of)
        if delegation is None or delegator is None or not delegator.active:
            return f"{d.decided_by} holds no current delegation from {d.on_behalf_of}"
        authority = delegator
    if authority.role != d.role:
        return f"{authority.username} does not have the role {d.role}"
    try:
        check_limit(
            Authority(Role(authority.role), authority.approval_limit), order.total, d.decision
        )
    except NotPermitted as refusal:
        return f"{authority.username}: {refusal}"
    return None
