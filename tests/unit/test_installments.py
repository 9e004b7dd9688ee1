"""Installment schedules: equal parts with the odd cents first, due dates from the first
invoice, payments to the oldest installment first (partial and early payments), and the
schedule fitted to credit notes."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.installments import InstallmentStatus, due_dates, plan, split

D = Decimal
S = InstallmentStatus


def test_equal_parts_with_the_odd_cents_on_the_first() -> None:
    assert split(D("100.00"), 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert split(D("357.00"), 3) == [D("119.00")] * 3


@given(
    total=st.decimals(min_value=D("0.00"), max_value=D("999999.99"), places=2),
    count=st.integers(min_value=2, max_value=12),
)
def test_the_parts_always_add_up_to_the_total(total: Decimal, count: int) -> None:
    parts = split(total, count)
    assert sum(parts) == total and len(parts) == count
    assert max(parts) - min(parts) < D("0.01") * count


def test_due_from_the_first_invoice_every_interval() -> None:
    assert due_dates(date(2026, 1, 31), 3, 30) == [
        date(2026, 1, 31),
        date(2026, 3, 2),
        date(2026, 4, 1),
    ]


def _plan(
    paid: str, owed: str = "300.00", today: date = date(2026, 2, 15)
) -> list[tuple[Decimal, Decimal, InstallmentStatus]]:
    due: list[date | None] = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    states = plan([D("100.00")] * 3, due, D(owed), D(paid), today)
    return [(x.amount, x.paid, x.status) for x in states]


def test_a_partial_payment_goes_to_the_oldest_installment() -> None:
    assert _plan("60.00") == [
        (D("100.00"), D("60.00"), S.OVERDUE),
        (D("100.00"), D("0.00"), S.OVERDUE),
        (D("100.00"), D("0.00"), S.OPEN),
    ]


def test_an_early_payment_pays_the_next_installments() -> None:
    assert _plan("250.00") == [
        (D("100.00"), D("100.00"), S.PAID),
        (D("100.00"), D("100.00"), S.PAID),
        (D("100.00"), D("50.00"), S.OPEN),
    ]


def test_credit_notes_take_from_the_last_installments() -> None:
    # 150.00 credited (a return): the third installment is gone, the second halved.
    assert _plan("100.00", owed="150.00") == [
        (D("100.00"), D("100.00"), S.PAID),
        (D("50.00"), D("0.00"), S.OVERDUE),
        (D("0.00"), D("0.00"), S.PAID),
    ]


def test_not_invoiced_yet_is_scheduled() -> None:
    states = plan([D("50.00"), D("50.00")], [None, None], D("100.00"), D("0"), date(2026, 1, 1))
    assert [x.status for x in states] == [S.SCHEDULED, S.SCHEDULED]
