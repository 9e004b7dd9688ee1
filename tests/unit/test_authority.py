"""Who may decide an approval level: the one rule, as a table."""

from decimal import Decimal

import pytest

from domain.authority import Authority, NotPermitted, Parties, check_decision, may_decide, people
from domain.messages import Decision
from domain.roles import ApprovalLevel as L
from domain.roles import Role

D = Decimal
ORDER = Parties(created_by="sales1", customer_owner="sales2", changed_by=frozenset({"service"}))
SUPERVISOR = Authority(Role.SALES_SUPERVISOR, D("20000"))
MANAGER = Authority(Role.MANAGER, None)


@pytest.mark.parametrize(
    ("who", "authority", "level", "total", "decision", "approved_by", "refusal"),
    [
        (["supervisor"], SUPERVISOR, L.SALES_SUPERVISOR, D("100"), Decision.APPROVE, [], None),
        (["sales1"], SUPERVISOR, L.SALES_SUPERVISOR, D("100"), Decision.APPROVE, [], "created"),
        (["sales2"], SUPERVISOR, L.SALES_SUPERVISOR, D("100"), Decision.APPROVE, [], "own"),
        (["service"], MANAGER, L.MANAGER, D("100"), Decision.APPROVE, [], "changed"),
        # A stand-in acting for the creator is the creator's hand.
        (["finance", "sales1"], MANAGER, L.MANAGER, D("100"), Decision.APPROVE, [], "created"),
        (["supervisor"], SUPERVISOR, L.MANAGER, D("100"), Decision.APPROVE, [], "may not decide"),
        (["supervisor"], SUPERVISOR, L.FINANCE, D("100"), Decision.REJECT, [], "may not decide"),
        # A manager decides a supervisor's level (escalation); finance only credit.
        (["manager"], MANAGER, L.SALES_SUPERVISOR, D("100"), Decision.APPROVE, [], None),
        (
            ["supervisor"],
            SUPERVISOR,
            L.SALES_SUPERVISOR,
            D("20000.01"),
            Decision.APPROVE,
            [],
            "limit",
        ),
        # Rejecting is within anyone's authority, whatever the total.
        (["supervisor"], SUPERVISOR, L.SALES_SUPERVISOR, D("90000"), Decision.REJECT, [], None),
        (["manager"], MANAGER, L.MANAGER, D("60000"), Decision.APPROVE, ["manager"], "different"),
        (["manager2"], MANAGER, L.MANAGER, D("60000"), Decision.APPROVE, ["manager"], None),
    ],
)
def test_who_may_decide(
    who: list[str],
    authority: Authority,
    level: L,
    total: Decimal,
    decision: Decision,
    approved_by: list[str],
    refusal: str | None,
) -> None:
    if refusal is None:
        check_decision(who, authority, level, ORDER, total, decision, approved_by)
    else:
        with pytest.raises(NotPermitted, match=refusal):
            check_decision(who, authority, level, ORDER, total, decision, approved_by)


def test_the_inbox_lists_only_what_one_may_approve() -> None:
    assert may_decide(["supervisor"], SUPERVISOR, L.SALES_SUPERVISOR, ORDER, D("100"))
    assert not may_decide(["supervisor"], SUPERVISOR, L.SALES_SUPERVISOR, ORDER, D("30000"))
    assert people("finance", "supervisor") == ["finance", "supervisor"]
    assert people("finance", None) == ["finance"]
