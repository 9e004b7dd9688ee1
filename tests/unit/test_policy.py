"""The approval policy, the common-mistake checks and the desk's rules, as tables."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from domain.messages import ApprovalDecisionInput, ApprovalStep, Decision, OrderWorkflowInput
from domain.payment import PaymentMethod
from domain.policy import (
    DEFAULT_POLICY,
    DEFAULT_TIMING,
    Mode,
    OrderFacts,
    PolicyDocument,
    Risk,
    evaluate,
    open_levels,
)
from domain.pricing import LineRequest, price_line
from domain.review import CustomerFacts
from domain.risks import (
    OrderToAssess,
    PastOrders,
    assess_risks,
    new_ship_to,
    postal_mismatch,
    quantity_outlier,
)
from domain.roles import ApprovalLevel, Role
from workflows.approval_desk import ApprovalDesk

D = Decimal
L = ApprovalLevel
S, M, F, C = L.SALES_SUPERVISOR, L.MANAGER, L.FINANCE, L.CUSTOMER
SEQ, PAR = Mode.SEQUENTIAL, Mode.PARALLEL
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def facts(
    total: str = "100",
    discount: str = "0",
    supplied: str | None = None,
    channel: str = "web",
    tier: str = "standard",
    payment: PaymentMethod = PaymentMethod.COD,
    category: str = "general",
    risks: dict[Risk, str] | None = None,
) -> OrderFacts:
    line = price_line(LineRequest("A", 1, D("100"), D(supplied) if supplied else None, D(discount)))
    return OrderFacts(
        total=D(total),
        channel=channel,
        payment=payment,
        customer_tier=tier,
        lines=[line],
        categories={"A": category},
        risks=risks or {},
    )


def policy(*rules: dict[str, Any]) -> PolicyDocument:
    return PolicyDocument.model_validate(
        {"rules": list(rules), "timing": {k.value: v for k, v in DEFAULT_TIMING.items()}}
    )


def rule(rule_id: str, level: str, approvers: int = 1, mode: str = "sequential", **when: Any):  # type: ignore[no-untyped-def]
    return {
        "id": rule_id,
        "description": rule_id,
        "level": level,
        "approvers": approvers,
        "mode": mode,
        "when": when,
    }


@pytest.mark.parametrize(
    ("when", "order", "fires"),
    [
        ({"min_total": "1000"}, facts(total="1000"), False),
        ({"min_total": "1000"}, facts(total="1000.01"), True),
        ({"min_reduction_pct": "10"}, facts(discount="10"), False),
        ({"min_reduction_pct": "10"}, facts(discount="10.5"), True),
        ({"price_override": True}, facts(supplied="99"), True),
        ({"price_override": True}, facts(discount="50"), False),
        ({"customer_tiers": ["vip"]}, facts(tier="vip"), True),
        ({"customer_tiers": ["vip"]}, facts(tier="standard"), False),
        ({"channels": ["csv"]}, facts(channel="csv"), True),
        ({"channels": ["csv"]}, facts(channel="web"), False),
        ({"categories": ["hazardous"]}, facts(category="hazardous"), True),
        ({"categories": ["hazardous"]}, facts(), False),
        ({"payment_methods": ["credit"]}, facts(payment=PaymentMethod.CREDIT), True),
        ({"payment_methods": ["credit"]}, facts(), False),
        ({"risks": ["new_ship_to"]}, facts(risks={Risk.NEW_SHIP_TO: "new address"}), True),
        ({"risks": ["new_ship_to"]}, facts(risks={Risk.NEW_CUSTOMER: "new"}), False),
        # Every criterion must hold.
        ({"min_total": "50", "channels": ["csv"]}, facts(channel="web"), False),
        ({"min_total": "50", "channels": ["csv"]}, facts(channel="csv"), True),
    ],
)
def test_each_criterion_matches(when: dict[str, Any], order: OrderFacts, fires: bool) -> None:
    found = evaluate(policy(rule("r", "manager", **when)), order)
    assert bool(found) is fires
    if fires:
        assert found[0].rule_ids == ["r"]
        assert found[0].reasons[0].startswith("r (")  # description, then why in words


def test_rules_on_one_level_merge_to_the_strictest() -> None:
    doc = policy(
        rule("big", "manager", min_total="1000"),
        rule("huge", "manager", approvers=2, min_total="5000"),
    )
    (found,) = evaluate(doc, facts(total="6000"))
    assert (found.level, found.approvers, found.rule_ids) == (L.MANAGER, 2, ["big", "huge"])
    assert len(found.reasons) == 2


def test_levels_come_in_their_defined_order() -> None:
    doc = policy(
        rule("m", "manager", min_total="1"),
        rule("s", "sales_supervisor", min_total="1"),
        rule("c", "customer", min_total="1"),
        rule("f", "finance", min_total="1", mode="parallel"),
    )
    assert [r.level for r in evaluate(doc, facts())] == [
        L.CUSTOMER,
        L.SALES_SUPERVISOR,
        L.FINANCE,
        L.MANAGER,
    ]


@pytest.mark.parametrize(
    ("pending", "open_now"),
    [
        ([(S, SEQ), (M, SEQ)], [S]),
        ([(M, SEQ), (S, SEQ)], [S]),
        ([(F, PAR), (M, PAR)], [F, M]),
        ([(S, SEQ), (F, PAR), (M, SEQ)], [S, F]),
        ([(C, SEQ), (S, SEQ)], [C]),
        ([], []),
    ],
)  # fmt: skip
def test_which_levels_are_open(
    pending: list[tuple[ApprovalLevel, Mode]], open_now: list[ApprovalLevel]
) -> None:
    assert open_levels(pending) == open_now


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rules": [rule("a", "manager", min_total="1"), rule("a", "manager", min_total="2")]},
         "rules: rule ids must be unique"),
        ({"rules": [rule("a", "manager")]}, "rules.0.when"),
        ({"rules": [rule("a", "customer", approvers=2, min_total="1")]}, "rules.0.approvers"),
        ({"rules": [rule("a", "manager", approvers=4, min_total="1")]}, "approvers"),
        ({"rules": [rule("a", "director", min_total="1")]}, "level"),
        ({"rules": [rule("a", "manager", min_total="-1")]}, "min_total"),
        ({"rules": [rule("A b", "manager", min_total="1")]}, "id"),
        ({"rules": [rule("a", "manager", min_total="1", colour="red")]}, "colour"),
        ({"timing": {"manager": {"remind_after": "PT1H", "expire_after": "PT1H"}}},
         "missing for a level the rules can reach"),
        ({"timing": {**{k.value: v.model_dump(mode="json") for k, v in DEFAULT_TIMING.items()},
                     "manager": {"remind_after": "P3D", "expire_after": "P1D"}}},
         "timing.manager"),
    ],
)  # fmt: skip
def test_invalid_policies_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    document = {**DEFAULT_POLICY.model_dump(mode="json"), **change}
    with pytest.raises(ValidationError) as info:
        PolicyDocument.model_validate(document)
    assert field in str(info.value)


def test_the_default_policy_round_trips_as_json() -> None:
    again = PolicyDocument.model_validate_json(DEFAULT_POLICY.model_dump_json())
    assert again == DEFAULT_POLICY


def priced(sku: str, qty: int, price: str = "10") -> Any:
    return price_line(LineRequest(sku, qty, D(price)))


@pytest.mark.parametrize(
    ("line", "past_qty", "past_net", "flagged"),
    [
        (priced("A", 10), [1, 1, 2], ["10", "10", "20"], "quantity 10"),
        (priced("A", 5), [1, 1, 2], ["10", "10", "20"], None),  # 5 = 5 x median 1: not above
        (priced("A", 1, "1000"), [1, 1, 1], ["100", "120", "90"], "amount 1000.00"),
        (priced("A", 10), [1, 1], ["10", "10"], None),  # too little history to judge
    ],
)
def test_quantity_outlier(
    line: Any, past_qty: list[int], past_net: list[str], flagged: str | None
) -> None:
    found = quantity_outlier([line], past_qty, [D(n) for n in past_net], D(5), 3)
    assert (found is None) if flagged is None else (found is not None and flagged in found)


HOME = {"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.mark.parametrize(
    ("ship_to", "past", "flagged"),
    [
        (None, [], False),
        ({**HOME, "line1": " hauptstr.  1 "}, [], False),  # spacing and case do not count
        ({**HOME, "line1": "Lagerweg 9"}, [], True),
        ({**HOME, "line1": "Lagerweg 9"}, [{**HOME, "line1": "Lagerweg 9"}], False),
    ],
)
def test_new_ship_to(
    ship_to: dict[str, str] | None, past: list[dict[str, str]], flagged: bool
) -> None:
    assert (new_ship_to(ship_to, HOME, past) is not None) is flagged


@pytest.mark.parametrize(
    ("address", "flagged"),
    [
        ({"country": "US", "postal_code": "10001", "city": "New York", "region": "NY"}, False),
        ({"country": "US", "postal_code": "94105", "city": "San Francisco"}, False),
        ({"country": "US", "postal_code": "10001", "city": "Boston", "region": "MA"}, True),
        ({"country": "US", "postal_code": "10001", "city": "New York", "region": "CA"}, True),
        ({"country": "US", "postal_code": "00000", "city": "Nowhere"}, True),
        ({"country": "DE", "postal_code": "10115", "city": "München"}, False),  # no directory
    ],
)
def test_postal_code_fits_city_and_region(address: dict[str, str], flagged: bool) -> None:
    assert (postal_mismatch(address) is not None) is flagged


def desk(*steps: tuple[ApprovalLevel, int, Mode]) -> ApprovalDesk:
    order = OrderWorkflowInput(
        order_id="o1",
        customer_id="c1",
        channel="web",
        total=D("100"),
        payment_method=PaymentMethod.COD,
        created_by="sales1",
        customer_owner="sales2",
    )
    return ApprovalDesk(
        order,
        [
            ApprovalStep(
                level=lv,
                approvers=n,
                mode=mode,
                remind_after=timedelta(hours=1),
                expire_after=timedelta(days=1),
            )
            for lv, n, mode in steps
        ],
    )


def decision(
    who: str, role: Role | None, level: ApprovalLevel, on_behalf_of: str | None = None
) -> ApprovalDecisionInput:
    return ApprovalDecisionInput(
        level=level,
        decision=Decision.APPROVE,
        decided_by=who,
        role=role,
        on_behalf_of=on_behalf_of,
        decision_id=f"{who}-{level}",
    )


@pytest.mark.parametrize(
    ("steps", "d", "via_link", "refused"),
    [
        ([(S, 1, SEQ)], decision("supervisor", Role.SALES_SUPERVISOR, S), False, None),
        ([(S, 1, SEQ)], decision("sales1", Role.SALES_SUPERVISOR, S), False, "created"),
        ([(S, 1, SEQ)], decision("sales2", Role.SALES_SUPERVISOR, S), False, "own"),
        ([(S, 1, SEQ)], decision("x", Role.MANAGER, S, on_behalf_of="sales1"), False, "created"),
        ([(S, 1, SEQ)], decision("finance", Role.FINANCE, S), False, "may not decide"),
        ([(S, 1, SEQ), (M, 1, SEQ)], decision("manager", Role.MANAGER, M), False, "not open"),
        ([(S, 1, SEQ), (F, 1, PAR)], decision("finance", Role.FINANCE, F), False, None),
        ([(M, 1, SEQ)], decision("finance", Role.FINANCE, F), False, "no pending"),
        ([(C, 1, SEQ)], decision("manager", Role.MANAGER, C), False, "only the customer"),
        ([(C, 1, SEQ)], decision("customer:c1", None, C), True, None),
        ([(S, 1, SEQ)], decision("customer:c1", None, S), True, "link has expired"),
    ],
)
def test_who_may_decide_what_now(
    steps: list[tuple[ApprovalLevel, int, Mode]],
    d: ApprovalDecisionInput,
    via_link: bool,
    refused: str | None,
) -> None:
    if refused is None:
        desk(*steps).check(d, final=False, now=NOW, via_link=via_link)
        return
    with pytest.raises(ApplicationError, match=refused):
        desk(*steps).check(d, final=False, now=NOW, via_link=via_link)


def test_a_decision_after_the_deadline_is_refused() -> None:
    d = desk((S, 1, SEQ))
    d.steps[0].opened_at = NOW - timedelta(days=1)  # expire_after is one day
    on_time = decision("supervisor", Role.SALES_SUPERVISOR, S)
    d.check(on_time, final=False, now=NOW - timedelta(seconds=1))
    with pytest.raises(ApplicationError, match="timed out"):
        d.check(on_time, final=False, now=NOW)


def test_dual_control_needs_two_different_people() -> None:
    d = desk((M, 2, SEQ))
    first = decision("manager", Role.MANAGER, M)
    d.apply(d.check(first, final=False, now=NOW), first)
    assert d.pending()  # one of two
    with pytest.raises(ApplicationError, match="different person"):
        d.check(decision("manager", Role.MANAGER, M), final=False, now=NOW)
    second = decision("manager2", Role.MANAGER, M)
    d.apply(d.check(second, final=False, now=NOW), second)
    assert d.settled() and d.rejection is None


def past(**kw: Any) -> PastOrders:
    base: dict[str, Any] = {
        "line_quantities": [1, 1, 1],
        "line_nets": [D("10")] * 3,
        "orders": 3,
        "credit_orders": 1,
        "ship_tos": [],
        "overdue_invoices": 0,
    }
    return PastOrders(**{**base, **kw})


@pytest.mark.parametrize(
    ("payment", "history", "limit", "qty", "expected"),
    [
        (PaymentMethod.COD, past(), "0", 1, set()),
        (PaymentMethod.COD, past(orders=0, credit_orders=0, line_quantities=[]), "0", 1,
         {Risk.NEW_CUSTOMER}),
        (PaymentMethod.CREDIT, past(credit_orders=0), "1000", 1, {Risk.FIRST_CREDIT_ORDER}),
        (PaymentMethod.CREDIT, past(), "5", 1, {Risk.CREDIT_OVER_LIMIT}),
        (PaymentMethod.COD, past(), "5", 1, set()),  # no credit asked, no credit risk
        (PaymentMethod.COD, past(overdue_invoices=2), "0", 1, {Risk.OVERDUE_BALANCE}),
        (PaymentMethod.COD, past(), "0", 10, {Risk.QUANTITY_OUTLIER}),
    ],
)  # fmt: skip
def test_risks_of_an_order(
    payment: PaymentMethod, history: PastOrders, limit: str, qty: int, expected: set[Risk]
) -> None:
    order = OrderToAssess([priced("A", qty)], payment, D("11.90") * qty, HOME, HOME)
    customer = CustomerFacts(True, False, D(limit), D("0"))
    found = assess_risks(order, customer, history, DEFAULT_POLICY.checks)
    assert set(found) == expected
    assert all(words for words in found.values())


def test_risk_words_name_codes_not_addresses() -> None:
    street, city = "Kanarienvogelgasse 7", "Wien"
    ship_to = {"line1": street, "city": city, "postal_code": "1010", "country": "AT"}
    words = new_ship_to(ship_to, HOME, [])
    assert words is not None and street not in words and city not in words
    mismatch = postal_mismatch(
        {"line1": street, "city": "Springfield", "postal_code": "10001", "country": "US"}
    )
    assert mismatch is not None and "Springfield" not in mismatch and street not in mismatch
