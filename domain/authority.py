"""Who may decide an approval level: one home for the rule.

Four-eyes (not the order's creator, not the customer's owner, nobody who changed it), the
role that decides the level (after escalation: the level it moved to), the approval limit of
the authority acted with (one's own, or a delegator's), and dual control (a second approval
by a different person). The API's early check, the inbox, the workflow's validator and
decision, and the decision activity all ask these functions over the facts they gathered;
each raises NotPermitted, which the API answers with 403 and the workflow with a Forbidden
ApplicationError.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from domain.messages import Decision, OrderWorkflowInput
from domain.roles import DECIDERS, REQUEST_LEVELS, ApprovalLevel, Role


class NotPermitted(Exception):
    """This decision is not this person's to take."""


@dataclass(frozen=True)
class Authority:
    """What a person acts with: their own role and limit, or a delegator's."""

    role: Role | None
    limit: Decimal | None
    # The approver this person stands in for; None for their own authority.
    on_behalf_of: str | None = None

    def may_decide(self, level: ApprovalLevel) -> bool:
        return self.role in DECIDERS[level]


@dataclass(frozen=True)
class Parties:
    """The people an order's approvers must be independent of."""

    created_by: str
    customer_owner: str | None = None
    # Whoever changed the order later (order changes); empty until that exists.
    changed_by: frozenset[str] = field(default_factory=frozenset)


def parties_of(order: OrderWorkflowInput) -> Parties:
    """A running order's parties, as its workflow knows them."""
    return Parties(order.created_by, order.customer_owner, frozenset(order.changed_by))


def people(decided_by: str, on_behalf_of: str | None) -> list[str]:
    """Everyone a decision speaks for: the person, and whom they stand in for."""
    return [decided_by, *([on_behalf_of] if on_behalf_of else [])]


def check_four_eyes(who: Iterable[str], parties: Parties) -> None:
    for person in who:
        if person == parties.created_by:
            raise NotPermitted("nobody approves an order they created")
        if person == parties.customer_owner:
            raise NotPermitted("nobody approves an order of a customer they own")
        if person in parties.changed_by:
            raise NotPermitted("nobody approves an order they changed")


def check_level(role: Role | str | None, level: ApprovalLevel) -> None:
    if role not in DECIDERS[level]:
        raise NotPermitted(f"role {role} may not decide {level}")


def check_limit(
    authority: Authority,
    total: Decimal,
    decision: Decision,
    level: ApprovalLevel | None = None,
) -> None:
    """Rejecting is always within one's authority; approving only up to the limit. Confirming
    a request (a cancellation, an address change) puts no money at risk: no limit applies."""
    if level in REQUEST_LEVELS:
        return
    limit = authority.limit
    if decision == Decision.APPROVE and limit is not None and total > limit:
        raise NotPermitted(f"approval limit {limit} is below the order total {total}")


def check_second_person(who: Iterable[str], approved_by: Sequence[str]) -> None:
    if any(person in approved_by for person in who):
        raise NotPermitted("dual control: this approval needs a different person")


def check_decision(
    who: Sequence[str],
    authority: Authority,
    level: ApprovalLevel,
    parties: Parties,
    total: Decimal,
    decision: Decision,
    approved_by: Sequence[str] = (),
) -> None:
    """The whole rule, for callers that know every fact (the inbox, the API's early check)."""
    check_four_eyes(who, parties)
    check_level(authority.role, level)
    check_limit(authority, total, decision, level)
    check_second_person(who, approved_by)


def may_decide(
    who: Sequence[str],
    authority: Authority,
    level: ApprovalLevel,
    parties: Parties,
    total: Decimal,
    approved_by: Sequence[str] = (),
) -> bool:
    """Whether this person could approve now (the inbox lists only such orders)."""
    try:
        check_decision(who, authority, level, parties, total, Decision.APPROVE, approved_by)
    except NotPermitted:
        return False
    return True
