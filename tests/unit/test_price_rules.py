"""Which price a line sells at (domain/price_rules.py): contract vs list vs quantity break
vs promotion, stacking and dates; and, over random carts, that the rules never sell above
the catalogue or below zero and that an order's lines add up to its totals."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.price_rules import (
    CATALOGUE,
    CartLine,
    PriceList,
    PriceRules,
    Promotion,
    PromotionKind,
    PromotionScope,
    price_cart,
)
from domain.pricing import LineRequest, order_totals, price_line

D = Decimal
DAY = date(2027, 3, 15)
ALWAYS = {"valid_from": date(2027, 1, 1), "valid_to": None}


def plist(name: str, breaks: dict[str, list[tuple[int, str]]], **who: object) -> PriceList:
    dated = {**ALWAYS, **{k: v for k, v in who.items() if k.startswith("valid")}}
    return PriceList(
        name=name,
        customer_id=who.get("customer_id"),  # type: ignore[arg-type]
        customer_group=who.get("customer_group"),  # type: ignore[arg-type]
        breaks={sku: [(m, D(p)) for m, p in b] for sku, b in breaks.items()},
        **dated,  # type: ignore[arg-type]
    )


def promo(name: str, kind: str, value: str, scope: str, target: str | None = None,
          **more: object) -> Promotion:  # fmt: skip
    dated = {**ALWAYS, **{k: v for k, v in more.items() if k.startswith("valid")}}
    rest = {k: v for k, v in more.items() if not k.startswith("valid")}
    return Promotion(
        name=name, kind=PromotionKind(kind), value=D(value), scope=PromotionScope(scope),
        target=target, **dated, **rest,  # type: ignore[arg-type]
    )  # fmt: skip


LAMP = CartLine("LAMP", 1, D("100.00"), "lighting")
CHAIR = CartLine("CHAIR", 1, D("50.00"), "seating")

CONTRACT = plist("ACME 2027", {"LAMP": [(1, "90.00")]}, customer_id="acme")
GROUP = plist("VIP", {"LAMP": [(1, "95.00")]}, customer_group="vip")
BREAKS = plist("Volume", {"LAMP": [(1, "99.00"), (10, "85.00"), (50, "80.00")]})
EXPIRED = plist("Old", {"LAMP": [(1, "10.00")]}, valid_to=date(2027, 2, 28))
LATER = plist("Next", {"LAMP": [(1, "10.00")]}, valid_from=date(2027, 4, 1))
OTHERS = plist("Other's", {"LAMP": [(1, "10.00")]}, customer_id="someone-else")


@pytest.mark.parametrize(
    ("quantity", "lists", "customer", "group", "price", "source"),
    [
        (1, [], "acme", "standard", "100.00", CATALOGUE),
        (1, [CONTRACT], "acme", "standard", "90.00", "ACME 2027"),
        (1, [CONTRACT, GROUP, BREAKS], "acme", "vip", "90.00", "ACME 2027"),
        (1, [GROUP, BREAKS], "acme", "vip", "95.00", "VIP"),
        (1, [GROUP, BREAKS], "acme", "standard", "99.00", "Volume"),
        (9, [BREAKS], "acme", "standard", "99.00", "Volume"),
        (10, [BREAKS], "acme", "standard", "85.00", "Volume from 10"),
        (60, [CONTRACT, BREAKS], "acme", "standard", "80.00", "Volume from 50"),
        (1, [EXPIRED, LATER, OTHERS], "acme", "standard", "100.00", CATALOGUE),
    ],
)
def test_the_lowest_valid_list_price_for_the_quantity(
    quantity: int, lists: list[PriceList], customer: str, group: str, price: str, source: str
) -> None:
    line = CartLine("LAMP", quantity, D("100.00"), "lighting")
    [rule] = price_cart([line], PriceRules(price_lists=lists), customer, group, DAY)
    assert (rule.unit_price, rule.source, rule.promotions) == (D(price), source, ())


def test_a_list_price_above_the_catalogue_is_not_taken() -> None:
    dear = plist("Dear", {"LAMP": [(1, "120.00")]})
    [rule] = price_cart([LAMP], PriceRules(price_lists=[dear]), "x", "standard", DAY)
    assert (rule.unit_price, rule.source) == (D("100.00"), CATALOGUE)


TEN_OFF_LAMP = promo("Lamp -10%", "percent", "10", "product", "LAMP")
FIVE_OFF_LIGHT = promo("Light -5", "amount", "5", "category", "lighting", stackable=True)
THREE_PCT_LIGHT = promo("Light -3%", "percent", "3", "category", "lighting", stackable=True)
HALF_OFF_LATER = promo("Spring", "percent", "50", "product", "LAMP",
                       valid_from=date(2027, 4, 1))  # fmt: skip


@pytest.mark.parametrize(
    ("promos", "price", "applied"),
    [
        ([TEN_OFF_LAMP], "90.00", ("Lamp -10%",)),
        # Alone 10 % (90.00) beats the stack: 3 % then 5 off = 92.00.
        ([TEN_OFF_LAMP, FIVE_OFF_LIGHT, THREE_PCT_LIGHT], "90.00", ("Lamp -10%",)),
        # Stackable ones together: percentages first, then amounts.
        ([FIVE_OFF_LIGHT, THREE_PCT_LIGHT], "92.00", ("Light -3%", "Light -5")),
        ([HALF_OFF_LATER], "100.00", ()),
        ([promo("Big", "amount", "150", "product", "LAMP")], "0.00", ("Big",)),
    ],
)
def test_line_promotions_by_the_stacking_rule(
    promos: list[Promotion], price: str, applied: tuple[str, ...]
) -> None:
    [rule] = price_cart([LAMP], PriceRules(promotions=promos), "x", "standard", DAY)
    assert (rule.unit_price, rule.promotions) == (D(price), applied)


def test_promotions_apply_to_the_contract_price() -> None:
    rules = PriceRules(price_lists=[CONTRACT], promotions=[TEN_OFF_LAMP])
    [rule] = price_cart([LAMP], rules, "acme", "standard", DAY)
    assert (rule.unit_price, rule.source, rule.promotions) == (
        D("81.00"), "ACME 2027", ("Lamp -10%",)
    )  # fmt: skip


def test_an_order_promotion_shares_its_amount_over_the_lines_by_value() -> None:
    twenty = promo("20 off 200", "amount", "20", "order", min_order_total=D("200"))
    cart = [CartLine("LAMP", 1, D("100.00"), "l"), CartLine("CHAIR", 3, D("33.33"), "s")]
    below = price_cart(cart, PriceRules(promotions=[twenty]), "x", "standard", DAY)
    assert [r.order_discount for r in below] == [D("0"), D("0")]  # 199.99 is under 200
    cart[1] = CartLine("CHAIR", 3, D("33.34"), "s")  # 200.02
    shared = price_cart(cart, PriceRules(promotions=[twenty]), "x", "standard", DAY)
    assert sum(r.order_discount for r in shared) == D("20.00")
    assert [r.order_discount for r in shared] == [D("10.00"), D("10.00")]
    assert all(r.promotions == ("20 off 200",) for r in shared)


def test_an_order_percentage_against_an_order_amount_takes_the_better() -> None:
    pct = promo("5% over 100", "percent", "5", "order", min_order_total=D("100"))
    amount = promo("4 off", "amount", "4", "order")
    [rule] = price_cart([LAMP], PriceRules(promotions=[pct, amount]), "x", "standard", DAY)
    assert (rule.order_discount, rule.promotions) == (D("5.00"), ("5% over 100",))


carts = st.lists(
    st.tuples(
        st.sampled_from(["LAMP", "CHAIR", "DESK", "BULB"]),
        st.integers(1, 120),
        st.decimals(D("0.01"), D("999.99"), places=2),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda x: x[0],
)
all_rules = PriceRules(
    price_lists=[CONTRACT, GROUP, BREAKS, EXPIRED, plist("Bulbs", {"BULB": [(5, "0.50")]})],
    promotions=[
        TEN_OFF_LAMP, FIVE_OFF_LIGHT, THREE_PCT_LIGHT, HALF_OFF_LATER,
        promo("Seat 7%", "percent", "7", "category", "seating", stackable=True),
        promo("15 off 300", "amount", "15", "order", min_order_total=D("300"), stackable=True),
        promo("2% over 500", "percent", "2", "order", min_order_total=D("500"), stackable=True),
    ],
)  # fmt: skip
CATEGORY = {"LAMP": "lighting", "BULB": "lighting", "CHAIR": "seating", "DESK": "seating"}


@settings(max_examples=300, deadline=None)
@given(carts, st.sampled_from(["acme", "other"]), st.sampled_from(["standard", "vip"]),
       st.integers(-60, 120))  # fmt: skip
def test_random_carts_never_above_the_catalogue_and_add_up(
    items: list[tuple[str, int, Decimal]], customer: str, group: str, offset: int
) -> None:
    day = DAY + timedelta(days=offset)
    cart = [CartLine(sku, qty, price, CATEGORY[sku]) for sku, qty, price in items]
    rules = price_cart(cart, all_rules, customer, group, day)
    lines = [
        price_line(LineRequest(x.sku, x.quantity, x.catalogue_price, rule=r))
        for x, r in zip(cart, rules, strict=True)
    ]
    for x, r, line in zip(cart, rules, lines, strict=True):
        assert D(0) <= r.unit_price <= x.catalogue_price
        assert D(0) <= line.net <= line.gross
        # Promotions and contract prices are no person's reduction: nothing for approval.
        assert not line.is_price_override and line.reduction_pct == 0
    goods = sum((x.gross for x in lines), D(0))
    shared = sum((r.order_discount for r in rules), D(0))
    assert shared <= goods
    totals = order_totals(lines)
    assert totals.subtotal - totals.discount == sum((x.net for x in lines), D(0))
    assert totals.discount == shared
