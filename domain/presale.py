"""Pre-sale rules: what deposit an order pays for its place, and what the cap leaves.

A pre-sale product names its release date and a deposit, either a percentage of what the
line costs (net plus tax) or an amount per unit (never more than the line costs); an order's
deposit is the sum over its lines, never more than its total, and its balance is the rest.
The queue serves places in the order their deposits were paid.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.money import ZERO, percent_of
from domain.pricing import PricedLine


@dataclass(frozen=True)
class PresaleTerms:
    release_date: date
    # Exactly one of the two.
    deposit_pct: Decimal | None = None
    deposit_amount: Decimal | None = None
    # Pre-sale units the product may take at most (None: no cap).
    cap: int | None = None


def line_deposit(terms: PresaleTerms, line: PricedLine) -> Decimal:
    """The deposit a line pays: its percentage of the line's cost, rounded to the cent, or
    the amount per unit, at most the line's cost."""
    cost = line.net + line.tax
    if terms.deposit_pct is not None:
        return percent_of(cost, terms.deposit_pct)
    assert terms.deposit_amount is not None
    return min(terms.deposit_amount * line.quantity, cost)


def order_deposit(lines: list[tuple[PresaleTerms, PricedLine]], total: Decimal) -> Decimal:
    """The order's deposit: its lines' deposits, at most the order's total."""
    return min(sum((line_deposit(t, p) for t, p in lines), ZERO), total)


def balance(total: Decimal, deposit: Decimal) -> Decimal:
    """What falls due at release, once the deposit is in."""
    return total - deposit


def release_date(terms: list[PresaleTerms]) -> date:
    """An order ships once all its products are released: the latest release."""
    return max(t.release_date for t in terms)


def over_cap(cap: int | None, taken: int, wanted: int) -> bool:
    """True when wanted more units would pass the cap, with `taken` already held by open
    pre-sale orders."""
    return cap is not None and taken + wanted > cap


def refund_on_cancel(deposit_paid: Decimal, refund_pct: Decimal) -> Decimal:
    """What a customer's cancellation before release gives back of the deposit (the
    policy's percentage; the rest is kept)."""
    return percent_of(deposit_paid, refund_pct)
