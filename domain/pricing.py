"""Pricing an order from catalogue prices, supplied prices, discounts and tax."""

from dataclasses import dataclass
from decimal import Decimal

from domain.money import HUNDRED, ZERO, percent_of, to_money


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int
    catalogue_price: Decimal
    supplied_price: Decimal | None = None
    discount_pct: Decimal = ZERO


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    catalogue_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal

    @property
    def is_price_override(self) -> bool:
        return self.unit_price != self.catalogue_price

    @property
    def reduction_pct(self) -> Decimal:
        """How far below the catalogue this line sells, override and discount together."""
        # From the unit prices, not the rounded line amounts: a 10 % discount on 3 x 19.99
        # must read as 10 %, not as the 10.01 % that cent rounding of the line would suggest.
        if self.catalogue_price == 0:
            return ZERO
        kept = self.unit_price / self.catalogue_price * (HUNDRED - self.discount_pct) / HUNDRED
        return to_money((1 - kept) * HUNDRED)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def price_line(line: LineRequest) -> PricedLine:
    unit = line.catalogue_price if line.supplied_price is None else line.supplied_price
    gross = to_money(unit * line.quantity)
    discount = percent_of(gross, line.discount_pct)
    return PricedLine(
        sku=line.sku,
        quantity=line.quantity,
        catalogue_price=line.catalogue_price,
        unit_price=unit,
        discount_pct=line.discount_pct,
        gross=gross,
        discount=discount,
        net=gross - discount,
    )


def line_tax(net: Decimal, tax_rate_pct: Decimal) -> Decimal:
    """The one rounding rule: tax per line, half-up to the cent; documents add lines up."""
    return percent_of(net, tax_rate_pct)


def order_totals(lines: list[PricedLine], tax_rate_pct: Decimal) -> Totals:
    subtotal = sum((line.gross for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line_tax(line.net, tax_rate_pct) for line in lines), ZERO)
    return Totals(subtotal=subtotal, discount=discount, tax=tax, total=subtotal - discount + tax)
