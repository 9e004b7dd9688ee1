"""Bulk schedules: what a schedule must satisfy, when each batch is reserved, and each
batch's money adding up to the order to the cent (property-based over random carts)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.bulk import (
    Batch,
    BatchMoney,
    batch_money,
    in_date_order,
    reserve_on,
    schedule_problems,
)
from domain.money import ZERO, percent_of
from domain.pricing import PricedLine

TODAY = date(2026, 12, 3)


def batch(days: int, **lines: int) -> Batch:
    return Batch(TODAY + timedelta(days=days), tuple(lines.items()))


def fields(order: dict[str, int], batches: list[Batch]) -> list[str]:
    return [".".join(map(str, p.loc)) for p in schedule_problems(order, batches, TODAY)]


def test_two_batches_that_carry_the_order_are_a_schedule() -> None:
    assert fields({"A": 10, "B": 4}, [batch(7, A=6, B=4), batch(37, A=4)]) == []


def test_a_schedule_names_the_field_that_breaks_it() -> None:
    order = {"A": 10}
    assert fields(order, []) == ["deliveries"]
    assert fields(order, [batch(-1, A=10)]) == ["deliveries.0.date"]
    assert fields(order, [batch(731, A=10)]) == ["deliveries.0.date"]
    assert fields(order, [batch(5, A=5), batch(5, A=5)]) == ["deliveries.1.date"]
    assert fields(order, [batch(5, A=5, Z=1), batch(9, A=5)]) == ["deliveries.0.lines.1.sku"]
    assert fields(order, [batch(5, A=4), batch(9, A=5)]) == ["deliveries"]
    assert fields(order, [batch(5, A=12), batch(9, A=-2)]) == ["deliveries.1.lines.0.quantity"]
    assert fields(order, [batch(5, A=10), batch(9)]) == ["deliveries.1.lines"]


def test_a_batch_is_reserved_its_days_before_but_not_before_today() -> None:
    assert reserve_on(TODAY + timedelta(days=30), 3, TODAY) == TODAY + timedelta(days=27)
    assert reserve_on(TODAY + timedelta(days=1), 3, TODAY) == TODAY


def test_batches_run_in_date_order_whatever_order_they_came_in() -> None:
    late, early = batch(40, A=1), batch(10, A=1)
    assert in_date_order([late, early]) == [early, late]


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)


@st.composite
def carts(draw: st.DrawFn) -> tuple[list[PricedLine], list[Batch]]:
    count = draw(st.integers(min_value=1, max_value=6))
    lines, per_batch = [], draw(st.integers(min_value=1, max_value=5))
    splits: list[dict[str, int]] = [{} for _ in range(per_batch)]
    for i in range(count):
        sku = f"SKU-{i}"
        parts = draw(st.lists(st.integers(0, 50), min_size=per_batch, max_size=per_batch))
        if sum(parts) == 0:
            parts[0] = 1
        unit = draw(money)
        rate = draw(st.sampled_from([Decimal("0"), Decimal("7"), Decimal("19")]))
        gross = unit * sum(parts)
        discount = percent_of(gross, draw(st.sampled_from([Decimal(0), Decimal("12.5")])))
        net = gross - discount
        lines.append(PricedLine(sku, sum(parts), unit, unit, ZERO, gross, discount, net, rate))
        for k, q in enumerate(parts):
            if q:
                splits[k][sku] = q
    batches = [
        Batch(TODAY + timedelta(days=30 * k), tuple(s.items())) for k, s in enumerate(splits)
    ]
    return lines, batches


@given(carts(), money, money)
def test_the_batches_money_adds_up_to_the_order_to_the_cent(
    cart: tuple[list[PricedLine], list[Batch]], ship_net: Decimal, ship_tax: Decimal
) -> None:
    lines, batches = cart
    charges = BatchMoney(ship_net, ship_tax)
    shares = batch_money(lines, batches, charges)
    assert sum((b.net for b in shares), ZERO) == sum((x.net for x in lines), ZERO) + ship_net
    assert sum((b.tax for b in shares), ZERO) == sum((x.tax for x in lines), ZERO) + ship_tax
    for share, b in zip(shares, batches, strict=True):
        assert share.net >= 0 and share.tax >= 0
        if not b.lines:
            # A batch with nothing in it owes nothing beyond the charges of the first.
            assert share.net == (ship_net if b is batches[0] else ZERO)


def test_a_batch_owes_its_share_by_quantity() -> None:
    line = PricedLine(
        "A",
        3,
        Decimal("10"),
        Decimal("10"),
        ZERO,
        Decimal("10.00"),
        ZERO,
        Decimal("10.00"),
        Decimal("0"),
    )
    shares = batch_money([line], [batch(1, A=1), batch(2, A=2)])
    # 10.00 by thirds: 3.33 for the first, the odd cent with the last.
    assert [s.net for s in shares] == [Decimal("3.33"), Decimal("6.67")]
