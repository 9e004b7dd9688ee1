"""Order review: customer, credit, prices and discounts decide pass, approval or reject."""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from domain.pricing import PricedLine
from domain.roles import ApprovalLevel


class PaymentMethod(StrEnum):
    PREPAID = "prepaid"
    COD = "cod"
    CREDIT = "credit"


class ReviewDecision(StrEnum):
    PASS = "pass"
    NEEDS_APPROVAL = "needs_approval"
    REJECT = "reject"


@dataclass(frozen=True)
class ApprovalPolicy:
    """Default thresholds; the policy-as-data issue makes these editable."""

    max_reduction_pct: Decimal = Decimal("10")
    manager_total_threshold: Decimal = Decimal("10000")


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
    levels: list[ApprovalLevel] = field(default_factory=list)


def review_order(
    customer: CustomerFacts,
    payment: PaymentMethod,
    lines: list[PricedLine],
    total: Decimal,
    policy: ApprovalPolicy = ApprovalPolicy(),
) -> ReviewResult:
    if not customer.complete:
        return ReviewResult(ReviewDecision.REJECT, ["customer record is incomplete"])
    if payment == PaymentMethod.CREDIT and customer.on_credit_hold:
        return ReviewResult(
            ReviewDecision.REJECT, ["customer is on credit hold and may not use credit terms"]
        )
    reasons: list[str] = []
    levels: list[ApprovalLevel] = []
    for line in lines:
        if line.reduction_pct > policy.max_reduction_pct:
            kind = "price override and discount" if line.is_price_override else "discount"
            reasons.append(
                f"{line.sku}: {kind} of {line.reduction_pct}% exceeds {policy.max_reduction_pct}%"
            )
            if ApprovalLevel.SALES_SUPERVISOR not in levels:
                levels.append(ApprovalLevel.SALES_SUPERVISOR)
    if total > policy.manager_total_threshold:
        reasons.append(f"order total {total} exceeds {policy.manager_total_threshold}")
        levels.append(ApprovalLevel.MANAGER)
    exposure = customer.open_balance + total
    if payment == PaymentMethod.CREDIT and exposure > customer.credit_limit:
        reasons.append(
            f"open balance {customer.open_balance} plus this order exceeds "
            f"credit limit {customer.credit_limit}"
        )
        levels.append(ApprovalLevel.FINANCE)
    if levels:
        return ReviewResult(ReviewDecision.NEEDS_APPROVAL, reasons, levels)
    return ReviewResult(ReviewDecision.PASS, ["within policy"])
