"""Invoice and credit note figures: a line split over shipments bills to the cent, credit
notes take back what was billed, and (property-based) every order's invoices add up to the
order's totals however its goods were split into shipments."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.documents import (
    CHARGE_LINE,
    Billed,
    DocumentLine,
    bill,
    take_back,
    tax_by_rate,
    totals,
)
from domain.pricing import Charge, LineRequest, PricedLine, line_tax, order_totals, price_line

RATE = Decimal("19")


def priced(
    sku: str, quantity: int, price: str, discount: str = "0", rate: Decimal = RATE
) -> PricedLine:
    return price_line(
        LineRequest(
            sku=sku,
            quantity=quantity,
            catalogue_price=Decimal(price),
            discount_pct=Decimal(discount),
        ),
        rate,
    )


def billed_after(lines: list[DocumentLine]) -> dict[int, Billed]:
    out: dict[int, Billed] = {}
    for x in lines:
        b = out.get(x.order_line_no, Billed())
        out[x.order_line_no] = Billed(b.quantity + x.quantity, b.net + x.net, b.tax + x.tax)
    return out


def test_the_rounding_rule_is_half_up_per_line() -> None:
    assert line_tax(Decimal("0.05"), RATE) == Decimal("0.01")  # 0.0095 -> 0.01
    assert line_tax(Decimal("10.50"), RATE) == Decimal("2.00")  # 1.995 -> 2.00
    two = [priced("A", 1, "10.50"), priced("B", 1, "10.50")]
    # Per line: 2.00 + 2.00, not 19 % of 21.00 (3.99).
    assert order_totals(two).tax == Decimal("4.00")


def test_a_line_split_over_shipments_bills_to_the_cent() -> None:
    line = priced("A", 3, "33.34", "10")  # net 90.02 for three
    first = bill({1: line}, {"A": 1}, {})
    rest = bill({1: line}, {"A": 2}, billed_after(first))
    assert [x.quantity for x in first + rest] == [1, 2]
    assert first[0].net == Decimal("30.01")
    assert first[0].net + rest[0].net == line.net
    assert first[0].tax + rest[0].tax == line_tax(line.net, RATE)
    # Billed in full: a reshipped parcel bills nothing again.
    assert bill({1: line}, {"A": 3}, billed_after(first + rest)) == []


def test_a_credit_note_takes_back_what_was_billed() -> None:
    lines = bill({1: priced("A", 3, "19.99"), 2: priced("B", 1, "5.00")}, {"A": 3, "B": 1}, {})
    one = take_back(lines, {"A": 1})
    assert [(x.sku, x.quantity, x.net) for x in one] == [("A", 1, Decimal("19.99"))]
    everything = take_back(lines, {"A": 3, "B": 1})
    assert totals(everything) == totals(lines)
    assert tax_by_rate(lines) == {RATE: (Decimal("64.97"), Decimal("12.34"))}


def test_the_shipping_charge_is_billed_once_with_the_first_goods() -> None:
    lines = {1: priced("A", 2, "10.00"), 2: priced("B", 1, "4.00", rate=Decimal("7"))}
    charge = Charge(Decimal("4.90"), RATE)
    # A parcel of nothing billable (a reshipment) carries no charge.
    assert bill(lines, {"Z": 1}, {}, charge, "shipping:standard") == []
    first = bill(lines, {"A": 1}, {}, charge, "shipping:standard")
    assert [(x.order_line_no, x.sku, x.net, x.tax) for x in first] == [
        (1, "A", Decimal("10.00"), Decimal("1.90")),
        (CHARGE_LINE, "shipping:standard", Decimal("4.90"), Decimal("0.93")),
    ]
    rest = bill(lines, {"A": 1, "B": 1}, billed_after(first), charge, "shipping:standard")
    assert CHARGE_LINE not in {x.order_line_no for x in rest}
    # Tax per rate: the 7 % line apart from the 19 % ones.
    assert tax_by_rate(first + rest) == {
        RATE: (Decimal("24.90"), Decimal("4.73")),
        Decimal("7"): (Decimal("4.00"), Decimal("0.28")),
    }
    order = order_totals(list(lines.values()), charge)
    assert sum(totals(d).total for d in (first, rest)) == order.total == Decimal("33.91")


line_specs = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
        st.sampled_from([Decimal("0"), Decimal("5"), Decimal("12.5"), Decimal("33.33")]),
        st.sampled_from([Decimal("19"), Decimal("7"), Decimal("0"), Decimal("25.5")]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=3000, deadline=None)
@given(
    specs=line_specs,
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=6),
    charge=st.decimals(min_value=Decimal("0"), max_value=Decimal("150"), places=2),
)
def test_invoices_add_up_to_the_order_however_it_is_split(
    specs: list[tuple[int, Decimal, Decimal, Decimal]], cuts: list[int], charge: Decimal
) -> None:
    lines = {
        no: priced(f"S{no}", q, str(price), str(discount), rate)
        for no, (q, price, discount, rate) in enumerate(specs, start=1)
    }
    shipping = Charge(charge, RATE)
    order = order_totals(list(lines.values()), shipping)
    invoices: list[list[DocumentLine]] = []
    billed: dict[int, Billed] = {}
    # Ship in parts: each cut ships up to that many of every line, then the rest.
    for cut in [*cuts, 10_000]:
        shipped = {line.sku: cut for line in lines.values()}
        invoice = bill(lines, shipped, billed, shipping, "shipping:standard")
        if invoice:
            invoices.append(invoice)
            billed = billed_after([x for inv in invoices for x in inv])
    documents = [totals(inv) for inv in invoices]
    assert sum(d.tax for d in documents) == order.tax
    net = order.subtotal - order.discount + order.shipping
    assert sum(d.subtotal - d.discount for d in documents) == net
    assert sum(d.total for d in documents) == order.total
    for inv, doc in zip(invoices, documents, strict=True):
        assert doc.total == sum(x.net + x.tax for x in inv)
