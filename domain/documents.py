"""Invoices and credit notes as figures: what a shipment's invoice bills, what a credit note
takes back, and their totals. Pure rules over the one rounding rule (domain/pricing.line_tax).

An order's lines are billed as their goods leave: a shipment's invoice bills its part of each
line, and the shipment that completes a line bills what is left of the line's net and tax, so
an order's invoices add up to its total to the cent however it was split. The order's
shipping charge is a line of its own (order line 0), billed with the first invoice.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.money import HUNDRED, ZERO, to_money
from domain.pricing import NO_CHARGE, Charge, PricedLine, line_tax

# The order line number of the shipping charge on documents (goods lines count from 1).
CHARGE_LINE = 0


def charge_label(shipping_method: str) -> str:
    """What a charge line says in its sku column: a ':' no sku can hold (api/fields.Sku)."""
    return f"shipping:{shipping_method}"


@dataclass(frozen=True)
class InvoiceTerms:
    """What every invoice states: the seller, the credit terms' days."""

    credit_days: int
    seller: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentLine:
    # The order line it bills (an order may list a sku twice).
    order_line_no: int
    sku: str
    quantity: int
    unit_price: Decimal
    discount_pct: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Billed:
    """What earlier invoices billed of one order line."""

    quantity: int = 0
    net: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def bill(
    lines: Mapping[int, PricedLine],
    shipped: Mapping[str, int],
    billed: Mapping[int, Billed],
    charge: Charge = NO_CHARGE,
    charge_sku: str = "shipping",
) -> list[DocumentLine]:
    """A shipment's invoice lines: per order line (by number), the shipped quantity not billed
    yet, in line order (a reshipped parcel bills nothing again); then the charge, with the
    first invoice that bills goods."""
    out: list[DocumentLine] = []
    left = dict(shipped)
    for no, line in sorted(lines.items()):
        before = billed.get(no, Billed())
        quantity = min(left.get(line.sku, 0), line.quantity - before.quantity)
        if quantity <= 0:
            continue
        left[line.sku] -= quantity
        if before.quantity + quantity == line.quantity:
            net = line.net - before.net
            tax = line.tax - before.tax
        else:
            net = to_money(line.net * quantity / line.quantity)
            tax = line_tax(net, line.tax_rate)
        out.append(
            DocumentLine(
                order_line_no=no,
                sku=line.sku,
                quantity=quantity,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                net=net,
                tax_rate=line.tax_rate,
                tax=tax,
            )
        )
    if out and charge.net > 0 and CHARGE_LINE not in billed:
        out.append(
            DocumentLine(
                order_line_no=CHARGE_LINE,
                sku=charge_sku,
                quantity=1,
                unit_price=charge.net,
                discount_pct=ZERO,
                net=charge.net,
                tax_rate=charge.tax_rate,
                tax=charge.tax,
            )
        )
    return out


def take_back(
    invoiced: Iterable[DocumentLine], quantities: Mapping[str, int]
) -> list[DocumentLine]:
    """A credit note's lines: these quantities (per sku) of an invoice's lines, at what they
    were billed (all of a line: exactly its net and tax)."""
    out: list[DocumentLine] = []
    left = dict(quantities)
    for line in invoiced:
        quantity = min(left.get(line.sku, 0), line.quantity)
        if quantity <= 0:
            continue
        left[line.sku] -= quantity
        if quantity == line.quantity:
            net, tax = line.net, line.tax
        else:
            net = to_money(line.net * quantity / line.quantity)
            tax = line_tax(net, line.tax_rate)
        out.append(
            DocumentLine(
                order_line_no=line.order_line_no,
                sku=line.sku,
                quantity=quantity,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                net=net,
                tax_rate=line.tax_rate,
                tax=tax,
            )
        )
    return out


def reprice(line: DocumentLine, amount: Decimal) -> DocumentLine:
    """A price correction's line: this net amount of the billed line taken back with its tax;
    no goods come back (quantity 0)."""
    return DocumentLine(
        order_line_no=line.order_line_no,
        sku=line.sku,
        quantity=0,
        unit_price=ZERO,
        discount_pct=ZERO,
        net=amount,
        tax_rate=line.tax_rate,
        tax=line_tax(amount, line.tax_rate),
    )


def write_down(billed: Iterable[DocumentLine], gross: Decimal) -> list[DocumentLine]:
    """A write-off's lines: this amount, tax included, taken back from the billed lines, the
    last line first (no goods come back). A line taken in part gives up the net the amount
    holds at its rate (half-up) and the rest as tax, so the lines add up to the amount."""
    out: list[DocumentLine] = []
    left = gross
    for line in reversed(list(billed)):
        whole = line.net + line.tax
        take = min(left, whole)
        if take <= 0:
            continue
        if take == whole:
            net, tax = line.net, line.tax
        else:
            net = to_money(take * HUNDRED / (HUNDRED + line.tax_rate))
            tax = take - net
        out.append(
            DocumentLine(
                order_line_no=line.order_line_no,
                sku=line.sku,
                quantity=0,
                unit_price=ZERO,
                discount_pct=ZERO,
                net=net,
                tax_rate=line.tax_rate,
                tax=tax,
            )
        )
        left -= take
    return out


def totals(lines: Iterable[DocumentLine]) -> DocumentTotals:
    lines = list(lines)
    gross = sum((to_money(x.unit_price * x.quantity) for x in lines), ZERO)
    net = sum((x.net for x in lines), ZERO)
    tax = sum((x.tax for x in lines), ZERO)
    return DocumentTotals(subtotal=gross, discount=gross - net, tax=tax, total=net + tax)


def tax_by_rate(lines: Iterable[DocumentLine]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Per rate: the net it applies to and the tax (as printed on the document)."""
    rates: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for x in lines:
        net, tax = rates.get(x.tax_rate, (ZERO, ZERO))
        rates[x.tax_rate] = (net + x.net, tax + x.tax)
    return rates
