"""Money arithmetic: Decimal only, rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, pct: Decimal) -> Decimal:
    return to_money(amount * pct / HUNDRED)


def oldest_first(owed: list[Decimal], paid: Decimal) -> list[Decimal]:
    """What a sum paid covers of each amount owed, the oldest first (one is paid in full
    before the next gets anything); nothing of an amount not owed (zero or less)."""
    covered = []
    left = max(paid, ZERO)
    for amount in owed:
        take = min(left, max(amount, ZERO))
        covered.append(take)
        left -= take
    return covered
