"""Order review: customer, credit, prices and discounts decide pass, approval or reject."""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from domain.payment import ON_ACCOUNT, PaymentMethod
from domain.policy import Mode, OrderFacts, PolicyDocument, Requirement, evaluate
from domain.price_rules import describe
from domain.roles import LEVEL_ORDER, ApprovalLevel

__all__ = ["CustomerFacts", "PaymentMethod", "ReviewDecision", "ReviewResult", "review_order"]


class ReviewDecision(StrEnum):
    PASS = "pass"
    NEEDS_APPROVAL = "needs_approval"
    REJECT = "reject"


@dataclass(frozen=True)
class CustomerFacts:
    complete: bool
    on_credit_hold: bool
    credit_limit: Decimal
    open_balance: Decimal


@dataclass(frozen=True)
class ReviewResult:
    decision: ReviewDecision
    reasons: list[str] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def levels(self) -> list[ApprovalLevel]:
        return [r.level for r in self.requirements]


SIGN_OFF = "the customer signs the specification off before production"


def with_sign_off(requirements: list[Requirement], order_type: str) -> list[Requirement]:
    """A custom order always asks its customer to sign the specification off (the customer
    level, whatever the policy's rules say), before any approver further up."""
    if order_type != "custom":
        return requirements
    others = [r for r in requirements if r.level != ApprovalLevel.CUSTOMER]
    own = next((r for r in requirements if r.level == ApprovalLevel.CUSTOMER), None)
    sign_off = Requirement(
        ApprovalLevel.CUSTOMER,
        1,
        own.mode if own else Mode.SEQUENTIAL,
        [*(own.rule_ids if own else []), "custom-sign-off"],
        [*(own.reasons if own else []), SIGN_OFF],
    )
    return sorted([*others, sign_off], key=lambda r: LEVEL_ORDER.index(r.level))


def review_order(
    customer: CustomerFacts, facts: OrderFacts, policy: PolicyDocument
) -> ReviewResult:
    """Hard stops first (they need no approver), then whatever the policy demands."""
    if not customer.complete:
        return ReviewResult(ReviewDecision.REJECT, ["customer record is incomplete"])
    if facts.payment in ON_ACCOUNT and customer.on_credit_hold:
        return ReviewResult(
            ReviewDecision.REJECT, ["customer is on credit hold and may not use credit terms"]
        )
    requirements = with_sign_off(evaluate(policy, facts), facts.order_type)
    # How the lines were priced (contract lists, breaks, promotions): for every verdict.
    priced_by = [words for x in facts.lines if (words := describe(x.sku, x)) is not None]
    if requirements:
        reasons = [reason for r in requirements for reason in r.reasons]
        return ReviewResult(ReviewDecision.NEEDS_APPROVAL, reasons + priced_by, requirements)
    return ReviewResult(ReviewDecision.PASS, ["no approval rule applies", *priced_by])


def credit_exposure(customer: CustomerFacts, total: Decimal) -> str | None:
    exposure = customer.open_balance + total
    if exposure <= customer.credit_limit:
        return None
    return (
        f"open balance {customer.open_balance} plus this order exceeds "
        f"credit limit {customer.credit_limit}"
    )
