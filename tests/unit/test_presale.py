"""Pre-sale deposits and balances: they add up to the order's total over random carts, a
deposit never exceeds what it pays for, and the cap and refund rules hold at their edges."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.products.schemas import PresaleIn
from domain.presale import (
    PresaleTerms,
    balance,
    line_deposit,
    order_deposit,
    over_cap,
    refund_on_cancel,
    release_date,
)
from domain.pricing import LineRequest, PricedLine, order_totals, price_line

D = Decimal
RELEASE = date(2027, 3, 1)

prices = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
discounts = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
rates = st.sampled_from([D("0"), D("7"), D("19"), D("20")])
deposit_terms = st.one_of(
    st.builds(
        PresaleTerms,
        release_date=st.just(RELEASE),
        deposit_pct=st.decimals(min_value=D("0.01"), max_value=D("100"), places=2),
    ),
    st.builds(
        PresaleTerms,
        release_date=st.just(RELEASE),
        deposit_amount=st.decimals(min_value=D("0.01"), max_value=D("9000"), places=2),
    ),
)
lines = st.lists(
    st.tuples(deposit_terms, prices, st.integers(1, 50), discounts, rates),
    min_size=1,
    max_size=8,
)


def priced(sku: str, price: Decimal, quantity: int, discount: Decimal, rate: Decimal) -> PricedLine:
    request = LineRequest(
        sku=sku,
        quantity=quantity,
        catalogue_price=price,
        supplied_price=None,
        discount_pct=discount,
    )
    return price_line(request, rate)


@given(lines)
def test_deposit_and_balance_add_up_to_the_total(
    cart: list[tuple[PresaleTerms, Decimal, int, Decimal, Decimal]],
) -> None:
    held = [(t, priced(f"SKU-{i}", p, q, d, r)) for i, (t, p, q, d, r) in enumerate(cart)]
    total = order_totals([p for _, p in held]).total
    deposit = order_deposit(held, total)
    assert D("0") <= deposit <= total
    assert deposit + balance(total, deposit) == total
    assert deposit == deposit.quantize(D("0.01"))
    for terms, line in held:
        assert D("0") <= line_deposit(terms, line) <= line.net + line.tax


def test_a_percentage_deposit_is_of_what_the_line_costs_and_an_amount_per_unit() -> None:
    line = priced("SKU-1", D("100.00"), 2, D("0"), D("19"))  # 200 net, 38 tax
    assert line_deposit(PresaleTerms(RELEASE, deposit_pct=D("20")), line) == D("47.60")
    assert line_deposit(PresaleTerms(RELEASE, deposit_amount=D("15")), line) == D("30")
    # Never more than the line costs.
    assert line_deposit(PresaleTerms(RELEASE, deposit_amount=D("500")), line) == D("238.00")


def test_an_order_is_released_when_its_last_product_is() -> None:
    later = date(2027, 4, 1)
    terms = [PresaleTerms(RELEASE, deposit_pct=D("10")), PresaleTerms(later, deposit_pct=D("5"))]
    assert release_date(terms) == later


@pytest.mark.parametrize(
    ("cap", "taken", "wanted", "over"),
    [(None, 10**6, 5, False), (3, 2, 1, False), (3, 3, 1, True), (3, 0, 4, True), (3, 0, 3, False)],
)
def test_the_cap_counts_units_already_taken(
    cap: int | None, taken: int, wanted: int, over: bool
) -> None:
    assert over_cap(cap, taken, wanted) is over


def test_a_cancellation_refunds_the_policy_share_of_the_deposit() -> None:
    assert refund_on_cancel(D("23.80"), D("100")) == D("23.80")
    assert refund_on_cancel(D("23.80"), D("50")) == D("11.90")
    assert refund_on_cancel(D("0.01"), D("50")) == D("0.01")  # half a cent rounds up
    assert refund_on_cancel(D("23.80"), D("0")) == D("0.00")


@pytest.mark.parametrize(
    "deposit",
    [{}, {"deposit_pct": "10", "deposit_amount": "5.00"}],
)
def test_a_presale_names_exactly_one_deposit(deposit: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        PresaleIn.model_validate({"release_date": "2027-03-01", **deposit})


@pytest.mark.parametrize(
    ("field", "value"),
    [("deposit_pct", "0"), ("deposit_pct", "100.01"), ("deposit_amount", "0"), ("cap", 0)],
)
def test_presale_terms_out_of_range_are_refused(field: str, value: object) -> None:
    body = {"release_date": "2027-03-01", "deposit_pct": "10", field: value}
    if field == "deposit_amount":
        del body["deposit_pct"]
    with pytest.raises(ValidationError) as refused:
        PresaleIn.model_validate(body)
    assert refused.value.errors()[0]["loc"][0] == field
