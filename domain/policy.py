"""The approval policy as data: rules an admin edits, and what they demand of an order.

A policy is a list of rules. Each rule matches on the order (total, discount or price
override, channel, product category, payment method) and on the customer (tier, risks), and
demands a level: an approver role, customer confirmation, or several distinct approvers of
one level (dual control). The evaluation is pure: the review activity gathers the facts.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.bulk import DEFAULT_RESERVE_DAYS_BEFORE
from domain.custom import DEFAULT_MAX_REWORKS, DEFAULT_PLANT_CAPACITY
from domain.durations import Duration
from domain.payment import ON_ACCOUNT, PaymentMethod
from domain.pricing import PricedLine
from domain.priority import DEFAULT_PRIORITY_RULES, PriorityRule
from domain.roles import LEVEL_ORDER, NEXT_LEVEL_UP, REQUEST_LEVELS, ApprovalLevel
from domain.shipping_charges import NO_SHIPPING_CHARGES, ShippingCharges
from domain.tax import DEFAULT_TAX_TABLE, TaxTable


class Risk(StrEnum):
    NEW_CUSTOMER = "new_customer"
    CREDIT_OVER_LIMIT = "credit_over_limit"
    OVERDUE_BALANCE = "overdue_balance"
    FIRST_CREDIT_ORDER = "first_credit_order"
    QUANTITY_OUTLIER = "quantity_outlier"
    NEW_SHIP_TO = "new_ship_to"
    POSTAL_MISMATCH = "postal_mismatch"


class Mode(StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]


class Condition(_Strict):
    """Every given criterion must hold; lists match when any of their entries does."""

    min_total: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    min_reduction_pct: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    price_override: bool | None = None
    customer_tiers: list[Annotated[str, StringConstraints(max_length=16)]] = []
    risks: list[Risk] = []
    channels: list[Annotated[str, StringConstraints(max_length=32)]] = []
    categories: list[Annotated[str, StringConstraints(max_length=64)]] = []
    payment_methods: list[PaymentMethod] = []

    def is_empty(self) -> bool:
        return not any(v not in (None, []) for v in self.model_dump().values())


class Rule(_Strict):
    id: RuleId
    description: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    when: Condition
    level: ApprovalLevel
    # Two or more: dual control, that many different people of the level must approve.
    approvers: Annotated[int, Field(ge=1, le=3)] = 1
    mode: Mode = Mode.SEQUENTIAL


class Timing(_Strict):
    """Measured from the moment the approval opens."""

    remind_after: Duration
    escalate_after: Duration | None = None
    expire_after: Duration


class Checks(_Strict):
    """Tuning of the common-mistake checks that feed the risks."""

    outlier_factor: Annotated[Decimal, Field(gt=1, le=1000)] = Decimal("5")
    outlier_min_history: Annotated[int, Field(ge=1, le=1000)] = 3


class Credit(_Strict):
    """Credit terms: the limit of customers nobody in finance has looked at yet, and the
    dunning of an unpaid invoice: a reminder some days before it falls due, another some days
    after, and the customer put on credit hold when it is still unpaid past the grace."""

    default_limit: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("0")
    remind_before_days: Annotated[int, Field(ge=0, le=90)] = 3
    remind_after_days: Annotated[int, Field(ge=1, le=90)] = 7
    hold_after_days: Annotated[int, Field(ge=1, le=365)] = 14

    @model_validator(mode="after")
    def _reminder_before_hold(self) -> Self:
        if self.remind_after_days >= self.hold_after_days:
            raise ValueError("credit.remind_after_days: must come before hold_after_days")
        return self


class CancellationRules(_Strict):
    """An approved order above this total is cancelled only once the cancellation level (a
    sales supervisor, or a manager) confirms; None: every cancellation at once."""

    confirm_above: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = (
        Decimal("5000")
    )
    # How much of a pre-sale deposit a customer's cancellation before the release gives
    # back, in percent (the rest is kept).
    presale_deposit_refund_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal(
        "100"
    )


class ReturnRules(_Strict):
    """Returns are authorized within window_days of delivery; the goods are awaited for
    goods_wait_days, after which the return expires."""

    window_days: Annotated[int, Field(ge=0, le=3650)] = 30
    goods_wait_days: Annotated[int, Field(ge=1, le=365)] = 30


class CustomRules(_Strict):
    """Made-to-order production (domain/custom.py)."""

    # Production orders the plant works on at once (the lead time's queue).
    plant_capacity: Annotated[int, Field(ge=1, le=10_000)] = DEFAULT_PLANT_CAPACITY
    # Quality failures sent back for rework before the production order fails for good.
    max_reworks: Annotated[int, Field(ge=0, le=10)] = DEFAULT_MAX_REWORKS
    # Where the plant's goods are received (and held for their order).
    receiving_warehouse: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,16}$")] = (
        "WH1"
    )


class BulkRules(_Strict):
    """Bulk orders' scheduled deliveries (domain/bulk.py)."""

    # A batch's stock is reserved this many days before its delivery date.
    reserve_days_before: Annotated[int, Field(ge=0, le=60)] = DEFAULT_RESERVE_DAYS_BEFORE


class PolicyDocument(_Strict):
    rules: Annotated[list[Rule], Field(max_length=200)]
    timing: dict[ApprovalLevel, Timing]
    checks: Checks = Checks()
    credit: Credit = Credit()
    # How orders are ranked for the warehouse and the stock queue.
    priority: Annotated[list[PriorityRule], Field(max_length=50)] = list(DEFAULT_PRIORITY_RULES)
    cancellation: CancellationRules = CancellationRules()
    returns: ReturnRules = ReturnRules()
    bulk: BulkRules = BulkRules()
    custom: CustomRules = CustomRules()
    # What orders are taxed at and charged for shipping (domain/tax.py, shipping_charges.py).
    tax: TaxTable = DEFAULT_TAX_TABLE
    shipping_charges: ShippingCharges = NO_SHIPPING_CHARGES

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rules: rule ids must be unique")
        for i, rule in enumerate(self.rules):
            if rule.when.is_empty():
                raise ValueError(f"rules.{i}.when: a rule needs at least one criterion")
            if rule.level in REQUEST_LEVELS:
                raise ValueError(f"rules.{i}.level: {rule.level} is not an approval level")
            if rule.level == ApprovalLevel.CUSTOMER and rule.approvers != 1:
                raise ValueError(f"rules.{i}.approvers: a customer confirms once")
        needed = {r.level for r in self.rules}
        needed |= {up for lv in needed if (up := NEXT_LEVEL_UP[lv]) is not None}
        for level in sorted(needed - set(self.timing)):
            raise ValueError(f"timing.{level}: missing for a level the rules can reach")
        for level, t in self.timing.items():
            steps = [t.remind_after, t.escalate_after or t.remind_after, t.expire_after]
            if steps != sorted(steps) or t.remind_after <= timedelta(0):
                raise ValueError(
                    f"timing.{level}: needs 0 < remind_after <= escalate_after <= expire_after"
                )
        return self


@dataclass(frozen=True)
class OrderFacts:
    total: Decimal
    channel: str
    payment: PaymentMethod
    customer_tier: str
    lines: list[PricedLine]
    categories: dict[str, str]  # sku -> category
    # Each risk that holds, with the words that explain it to an approver.
    risks: dict[Risk, str] = field(default_factory=dict)
    # standard | presale | bulk | custom (domain/order_types.py).
    order_type: str = "standard"


@dataclass(frozen=True)
class Requirement:
    level: ApprovalLevel
    approvers: int
    mode: Mode
    rule_ids: list[str]
    reasons: list[str]


def _why(c: Condition, f: OrderFacts) -> list[str] | None:
    """The reasons a condition holds, or None when it does not."""
    why: list[str] = []
    if c.min_total is not None:
        if f.total <= c.min_total:
            return None
        why.append(f"order total {f.total} is above {c.min_total}")
    if c.min_reduction_pct is not None or c.price_override is not None:
        hits = [
            x
            for x in f.lines
            if (c.min_reduction_pct is None or x.reduction_pct > c.min_reduction_pct)
            and (c.price_override is None or x.is_price_override == c.price_override)
        ]
        if not hits:
            return None
        for x in hits:
            kind = "price override" if x.is_price_override else "discount"
            of = "catalogue" if x.list_price is None else f"its list price {x.list_price}"
            why.append(f"{x.sku}: {kind}, {x.reduction_pct.normalize():f}% below {of}")
    if c.customer_tiers:
        if f.customer_tier not in c.customer_tiers:
            return None
        why.append(f"customer tier {f.customer_tier}")
    if c.channels:
        if f.channel not in c.channels:
            return None
        why.append(f"channel {f.channel}")
    if c.payment_methods:
        if f.payment not in c.payment_methods:
            return None
        why.append(f"payment {f.payment}")
    if c.categories:
        skus = [x.sku for x in f.lines if f.categories.get(x.sku) in c.categories]
        if not skus:
            return None
        why.append(f"category {', '.join(sorted({f.categories[s] for s in skus}))}")
    if c.risks:
        held = [r for r in c.risks if r in f.risks]
        if not held:
            return None
        why.extend(f.risks[r] for r in held)
    return why


def evaluate(policy: PolicyDocument, facts: OrderFacts) -> list[Requirement]:
    """Every level the order needs, in the order they open, with every rule that fired."""
    by_level: dict[ApprovalLevel, Requirement] = {}
    for rule in policy.rules:
        why = _why(rule.when, facts)
        if why is None:
            continue
        reason = f"{rule.description} ({'; '.join(why)})"
        seen = by_level.get(rule.level)
        if seen is None:
            by_level[rule.level] = Requirement(
                rule.level, rule.approvers, rule.mode, [rule.id], [reason]
            )
            continue
        # Several rules on one level: the strictest wins; sequential unless all say parallel.
        by_level[rule.level] = Requirement(
            rule.level,
            max(seen.approvers, rule.approvers),
            Mode.PARALLEL if Mode.PARALLEL == seen.mode == rule.mode else Mode.SEQUENTIAL,
            [*seen.rule_ids, rule.id],
            [*seen.reasons, reason],
        )
    return [by_level[level] for level in LEVEL_ORDER if level in by_level]


def open_levels(pending: list[tuple[ApprovalLevel, Mode]]) -> list[ApprovalLevel]:
    """Which pending levels may decide now: every parallel one, and the first sequential one
    in LEVEL_ORDER (the next sequential level opens when that one is approved)."""
    ranked = sorted(pending, key=lambda p: LEVEL_ORDER.index(p[0]))
    first = next((lv for lv, mode in ranked if mode == Mode.SEQUENTIAL), None)
    return [lv for lv, mode in ranked if mode == Mode.PARALLEL or lv == first]


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _hours(n: int) -> timedelta:
    return timedelta(hours=n)


DEFAULT_TIMING: dict[ApprovalLevel, Timing] = {
    ApprovalLevel.CUSTOMER: Timing(
        remind_after=_days(1), escalate_after=_days(2), expire_after=_days(5)
    ),
    ApprovalLevel.CUSTOMER_SERVICE: Timing(remind_after=_hours(8), expire_after=_days(3)),
    ApprovalLevel.SALES_SUPERVISOR: Timing(
        remind_after=_hours(8), escalate_after=_days(1), expire_after=_days(3)
    ),
    ApprovalLevel.FINANCE: Timing(
        remind_after=_hours(8), escalate_after=_days(2), expire_after=_days(3)
    ),
    ApprovalLevel.MANAGER: Timing(remind_after=_hours(8), expire_after=_days(3)),
}


def _rule(
    rule_id: str,
    description: str,
    level: ApprovalLevel,
    approvers: int = 1,
    mode: Mode = Mode.SEQUENTIAL,
    **when: object,
) -> Rule:
    return Rule.model_validate(
        {
            "id": rule_id,
            "description": description,
            "when": when,
            "level": level,
            "approvers": approvers,
            "mode": mode,
        }
    )


L = ApprovalLevel
# Version 1, written by the migration; admins change it through PUT /policies/approval.
DEFAULT_POLICY = PolicyDocument(
    rules=[
        _rule("discount", "Discount or price override above 10 %", L.SALES_SUPERVISOR,
              min_reduction_pct=Decimal("10")),
        _rule("large-order", "Order total above 10,000", L.MANAGER, min_total=Decimal("10000")),
        _rule("very-large-order", "Order total above 50,000 needs two managers", L.MANAGER,
              approvers=2, min_total=Decimal("50000")),
        _rule("credit-risk", "Credit terms beyond the limit or with an overdue balance",
              L.FINANCE, mode=Mode.PARALLEL, payment_methods=sorted(ON_ACCOUNT),
              risks=[Risk.CREDIT_OVER_LIMIT, Risk.OVERDUE_BALANCE]),
        _rule("first-credit-order", "First order on credit terms", L.FINANCE,
              mode=Mode.PARALLEL, risks=[Risk.FIRST_CREDIT_ORDER]),
        _rule("typo-guard", "Quantity or amount far above this customer's usual",
              L.CUSTOMER, risks=[Risk.QUANTITY_OUTLIER]),
        _rule("address-check", "Ship-to address to check", L.SALES_SUPERVISOR,
              risks=[Risk.NEW_SHIP_TO, Risk.POSTAL_MISMATCH]),
    ],
    timing=DEFAULT_TIMING,
)  # fmt: skip
