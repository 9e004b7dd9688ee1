"""Pricing an order from catalogue prices, supplied prices, discounts, tax and charges.

The one rounding rule: tax per line (and per charge line), half-up to the cent; totals and
documents add lines up. What the rates and the shipping charge follow besides the lines (the
destination, each sku's tax class and weight, the shipping table) is the order's basis.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain.carrier import ShippingMethod
from domain.money import HUNDRED, ZERO, percent_of, to_money
from domain.price_rules import CATALOGUE, SUPPLIED, RulePrice
from domain.shipping_charges import ShippingCharges, shipping_charge
from domain.tax import TaxClass, TaxPlace


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int
    catalogue_price: Decimal
    supplied_price: Decimal | None = None
    discount_pct: Decimal = ZERO
    # What the price rules give the line (domain/price_rules.py); None: the catalogue's.
    rule: RulePrice | None = None


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
    # Fixed when the line is priced (lines priced before tax tables: the flat 19 %).
    tax_rate: Decimal = Decimal("19")
    # The unit price the price rules entitle the line to (None: lines priced before them,
    # or the catalogue's), where it came from, the promotions applied, and the line's share
    # of order promotions (part of `discount`).
    list_price: Decimal | None = None
    price_source: str = CATALOGUE
    promotions: tuple[str, ...] = ()
    promotion_discount: Decimal = ZERO

    @property
    def tax(self) -> Decimal:
        return line_tax(self.net, self.tax_rate)

    @property
    def entitled_price(self) -> Decimal:
        """What the line sells at without a person's override or discount."""
        return self.catalogue_price if self.list_price is None else self.list_price

    @property
    def is_price_override(self) -> bool:
        return self.unit_price != self.entitled_price

    @property
    def reduction_pct(self) -> Decimal:
        """How far below its entitled price (the catalogue's, or the price rules') a person's
        override and discount sell this line; promotions and contract prices are not theirs."""
        # From the unit prices, not the rounded line amounts: a 10 % discount on 3 x 19.99
        # must read as 10 %, not as the 10.01 % that cent rounding of the line would suggest.
        if self.entitled_price == 0:
            return ZERO
        kept = self.unit_price / self.entitled_price * (HUNDRED - self.discount_pct) / HUNDRED
        return to_money((1 - kept) * HUNDRED)


@dataclass(frozen=True)
class Charge:
    """A charge line of the order (shipping): its net amount and the rate it is taxed at."""

    net: Decimal = ZERO
    tax_rate: Decimal = ZERO

    @property
    def tax(self) -> Decimal:
        return line_tax(self.net, self.tax_rate)


NO_CHARGE = Charge()


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    # The shipping charge's net (its tax is in tax).
    shipping: Decimal = ZERO


def price_line(line: LineRequest, tax_rate: Decimal = Decimal("19")) -> PricedLine:
    # A supplied price replaces the rules for its line, their order promotion share too.
    rule = line.rule if line.supplied_price is None else None
    listed = line.catalogue_price if line.rule is None else line.rule.unit_price
    unit = listed if line.supplied_price is None else line.supplied_price
    gross = to_money(unit * line.quantity)
    shared = min(rule.order_discount, gross) if rule is not None else ZERO
    discount = min(percent_of(gross, line.discount_pct) + shared, gross)
    return PricedLine(
        sku=line.sku,
        quantity=line.quantity,
        catalogue_price=line.catalogue_price,
        unit_price=unit,
        discount_pct=line.discount_pct,
        gross=gross,
        discount=discount,
        net=gross - discount,
        tax_rate=tax_rate,
        list_price=None if line.rule is None else line.rule.unit_price,
        price_source=(
            SUPPLIED if line.supplied_price is not None else rule.source if rule else CATALOGUE
        ),
        promotions=() if rule is None else rule.promotions,
        promotion_discount=shared,
    )


def line_tax(net: Decimal, tax_rate_pct: Decimal) -> Decimal:
    """The one rounding rule: tax per line, half-up to the cent; documents add lines up."""
    return percent_of(net, tax_rate_pct)


def order_totals(lines: list[PricedLine], charge: Charge = NO_CHARGE) -> Totals:
    subtotal = sum((line.gross for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), charge.tax)
    return Totals(
        subtotal=subtotal,
        discount=discount,
        tax=tax,
        total=subtotal - discount + charge.net + tax,
        shipping=charge.net,
    )


@dataclass(frozen=True)
class PricingBasis:
    """What an order's tax rates and shipping charge follow besides its lines."""

    place: TaxPlace
    tax_classes: Mapping[str, TaxClass]  # sku -> class
    weights: Mapping[str, Decimal]  # sku -> kg per unit
    charges: ShippingCharges

    def rate(self, sku: str) -> Decimal:
        return self.place.rate(self.tax_classes[sku])

    def shipping(self, method: ShippingMethod, lines: list[PricedLine]) -> Charge:
        weight = sum((self.weights[x.sku] * x.quantity for x in lines), Decimal(0))
        goods = sum((x.net for x in lines), ZERO)
        net = shipping_charge(self.charges, method, weight, goods)
        return Charge(net, self.place.rate(self.charges.tax_class))


@dataclass(frozen=True)
class PricedOrder:
    lines: list[PricedLine]
    charge: Charge
    totals: Totals
    reverse_charge: bool = False


def price_order(
    requests: list[LineRequest], method: ShippingMethod, basis: PricingBasis
) -> PricedOrder:
    """Lines at their skus' rates, the shipping charge for their weight and value, totals.
    Raises NoTaxRate (destination not in the table) or TooHeavy (beyond the last band)."""
    lines = [price_line(x, basis.rate(x.sku)) for x in requests]
    charge = basis.shipping(method, lines)
    return PricedOrder(lines, charge, order_totals(lines, charge), basis.place.reverse_charge)
