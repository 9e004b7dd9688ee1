"""Paying in installments: the schedule fixed when the order is approved (equal parts, the
odd cents on the first), due dates from the first invoice on, and what each installment has
been paid (payments go to the oldest installment first; paying early pays the next ones).
Pure rules; the rows are in db/installments.py."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from domain.money import CENT, ZERO, oldest_first

MIN_COUNT, MAX_COUNT = 2, 12
DEFAULT_INTERVAL_DAYS = 30


def split(total: Decimal, count: int) -> list[Decimal]:
    """Equal parts to the cent; what does not divide evenly is paid with the first."""
    part = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [total - part * (count - 1), *([part] * (count - 1))]


def due_dates(first: date, count: int, interval_days: int) -> list[date]:
    """The first falls due at invoicing, the others every interval after it."""
    return [first + timedelta(days=interval_days * k) for k in range(count)]


class InstallmentStatus(StrEnum):
    SCHEDULED = "scheduled"  # not invoiced yet: no due date
    OPEN = "open"
    OVERDUE = "overdue"
    PAID = "paid"


@dataclass(frozen=True)
class InstallmentState:
    no: int
    amount: Decimal
    due_date: date | None
    paid: Decimal
    status: InstallmentStatus

    @property
    def open(self) -> Decimal:
        return self.amount - self.paid


def _adjusted(amounts: list[Decimal], owed: Decimal) -> list[Decimal]:
    """The schedule fitted to what the order asks now: credit notes take from the last
    installments first; a higher amount (re-priced) is added to the last."""
    out = list(amounts)
    gap = sum(out, ZERO) - owed
    if gap < 0:
        out[-1] -= gap
        return out
    for i in reversed(range(len(out))):
        take = min(gap, out[i])
        out[i] -= take
        gap -= take
    return out


def plan(
    amounts: list[Decimal],
    due: list[date | None],
    owed: Decimal,
    paid: Decimal,
    today: date,
) -> list[InstallmentState]:
    """Each installment with what it asks, what it has been paid and its status."""
    states = []
    fitted = _adjusted(amounts, owed)
    parts = zip(fitted, due, oldest_first(fitted, paid), strict=True)
    for no, (amount, when, covered) in enumerate(parts, start=1):
        if covered >= amount:
            status = InstallmentStatus.PAID
        elif when is None:
            status = InstallmentStatus.SCHEDULED
        elif when < today:
            status = InstallmentStatus.OVERDUE
        else:
            status = InstallmentStatus.OPEN
        states.append(InstallmentState(no, amount, when, covered, status))
    return states
