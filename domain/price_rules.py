"""Which price a cart's lines sell at: contract price lists, quantity breaks, promotions.

The stated rule, applied per order on the day it is priced:

1. A line's **base price** is the lowest of its catalogue price and every valid price list's
   price for it: a list applies to one customer (a contract), to a customer group (the
   customer's tier), or to everyone; within a list the price is that of the highest quantity
   break the line's quantity reaches. The source is recorded ("catalogue" or the list's name,
   with the break: "Contract ACME from 10").
2. **Line promotions** (by product or by category, valid that day) then take the base price
   down: either the one best promotion on its own, or every stackable one in turn (percentages
   first, then amounts), whichever sells lower. No promotion takes a price below zero.
3. **Order promotions** (on the goods total after steps 1 and 2, from a minimum) apply the same
   way, the best single one or the stackable ones together: a percentage off every line, an
   amount shared over the lines by their value (largest remainder to the cent).

A price a person supplies for a line replaces all of this for that line (and is an override,
judged by the approval policy against the rule price, not the catalogue's).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Protocol

from domain.money import CENT, ZERO, percent_of, to_money

CATALOGUE = "catalogue"
# A person gave the line its price (an override the approval policy judges).
SUPPLIED = "supplied"


class PromotionKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"  # per unit for a product or category; once per order for the total


class PromotionScope(StrEnum):
    PRODUCT = "product"
    CATEGORY = "category"
    ORDER = "order"


@dataclass(frozen=True)
class Valid:
    valid_from: date
    valid_to: date | None  # included; None: open-ended

    def on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class PriceList(Valid):
    name: str
    # None for both: a list for everyone (quantity breaks on the catalogue, say).
    customer_id: str | None
    customer_group: str | None
    # sku -> (minimum quantity, unit price), any order; a minimum of 1 is a flat price.
    breaks: dict[str, list[tuple[int, Decimal]]]

    def applies_to(self, customer_id: str, group: str) -> bool:
        if self.customer_id is not None:
            return self.customer_id == customer_id
        if self.customer_group is not None:
            return self.customer_group == group
        return True

    def price(self, sku: str, quantity: int) -> tuple[Decimal, int] | None:
        """The unit price and the break it comes from, for this quantity (None: not listed,
        or below its lowest break)."""
        reached = [(m, p) for m, p in self.breaks.get(sku, []) if m <= quantity]
        if not reached:
            return None
        minimum, unit = max(reached)
        return unit, minimum


@dataclass(frozen=True)
class Promotion(Valid):
    name: str
    kind: PromotionKind
    value: Decimal
    scope: PromotionScope
    # The sku or the category it is for (None for an order promotion).
    target: str | None = None
    # An order promotion's threshold: the goods total it needs (after line prices).
    min_order_total: Decimal = ZERO
    stackable: bool = False

    def off(self, amount: Decimal) -> Decimal:
        """What it takes off an amount (a unit price, or an order's goods), never more."""
        cut = percent_of(amount, self.value) if self.kind == PromotionKind.PERCENT else self.value
        return min(cut, amount)


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int
    catalogue_price: Decimal
    category: str


@dataclass(frozen=True)
class RulePrice:
    """What the rules give one line: the unit price, where it came from, the promotions
    applied, and the line's share of order promotions' amounts (in money off the line)."""

    unit_price: Decimal
    source: str = CATALOGUE
    promotions: tuple[str, ...] = ()
    order_discount: Decimal = ZERO


@dataclass(frozen=True)
class PriceRules:
    price_lists: Sequence[PriceList] = ()
    promotions: Sequence[Promotion] = ()


NO_RULES = PriceRules()


def _base(line: CartLine, lists: Iterable[PriceList]) -> tuple[Decimal, str]:
    best, source = line.catalogue_price, CATALOGUE
    for price_list in lists:
        found = price_list.price(line.sku, line.quantity)
        if found is not None and found[0] < best:
            unit, minimum = found
            best = unit
            source = price_list.name if minimum <= 1 else f"{price_list.name} from {minimum}"
    return best, source


def _apply(amount: Decimal, promos: Sequence[Promotion]) -> tuple[Decimal, tuple[str, ...]]:
    """The lowest amount the stacking rule allows: one promotion alone, or every stackable
    one in turn (percentages before amounts)."""
    options: list[tuple[Decimal, tuple[str, ...]]] = [(amount, ())]
    for p in promos:
        options.append((amount - p.off(amount), (p.name,)))
    stack = sorted(
        (p for p in promos if p.stackable), key=lambda p: (p.kind != PromotionKind.PERCENT, p.name)
    )
    if len(stack) > 1:
        left = amount
        for p in stack:
            left -= p.off(left)
        options.append((left, tuple(p.name for p in stack)))
    # Lowest first; among equals the fewest promotions, then by name (a stable choice).
    return min(options, key=lambda o: (o[0], len(o[1]), o[1]))


def _shares(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` split by weights into cents, the remainder to the largest fractions."""
    whole = sum(weights, ZERO)
    if whole <= 0 or total <= 0:
        return [ZERO for _ in weights]
    exact = [total * w / whole for w in weights]
    shares = [x.quantize(CENT, rounding=ROUND_DOWN) for x in exact]
    left = int((total - sum(shares, ZERO)) / CENT)
    by_fraction = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_fraction[:left]:
        shares[i] += CENT
    return shares


def price_cart(
    lines: Sequence[CartLine], rules: PriceRules, customer_id: str, group: str, day: date
) -> list[RulePrice]:
    """Each line's price by the rule stated above, in the cart's order."""
    lists = [x for x in rules.price_lists if x.on(day) and x.applies_to(customer_id, group)]
    valid = [p for p in rules.promotions if p.on(day)]
    priced: list[tuple[Decimal, str, tuple[str, ...]]] = []
    for line in lines:
        base, source = _base(line, lists)
        mine = [
            p
            for p in valid
            if (p.scope == PromotionScope.PRODUCT and p.target == line.sku)
            or (p.scope == PromotionScope.CATEGORY and p.target == line.category)
        ]
        unit, names = _apply(base, mine)
        priced.append((to_money(max(unit, ZERO)), source, names))
    goods = sum((unit * x.quantity for (unit, _, _), x in zip(priced, lines, strict=True)), ZERO)
    orderly = [p for p in valid if p.scope == PromotionScope.ORDER and goods >= p.min_order_total]
    left, order_names = _apply(goods, orderly)
    values = [unit * x.quantity for (unit, _, _), x in zip(priced, lines, strict=True)]
    shares = _shares(to_money(goods - left), values)
    return [
        RulePrice(unit, source, names + order_names, share)
        for (unit, source, names), share in zip(priced, shares, strict=True)
    ]


class Priced(Protocol):
    @property
    def price_source(self) -> str: ...
    @property
    def promotions(self) -> tuple[str, ...]: ...


def describe(sku: str, line: Priced) -> str | None:
    """The review's words for a line priced by a rule (None: the catalogue's or a person's
    price, which the approval policy speaks of)."""
    listed = line.price_source not in (CATALOGUE, SUPPLIED)
    parts = [f"price list {line.price_source}"] if listed else []
    parts += [f"promotion {name}" for name in line.promotions]
    return f"{sku}: {', '.join(parts)}" if parts else None
