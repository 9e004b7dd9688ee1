"""Changing an order: a version of it as data, what one version changes against another, and
what a change may touch at each stage. Pure rules; the records are in db/versions.py.

A version is the whole order as the customer agreed it (lines, prices, where it ships, how
it is paid); approvals are given to a version, so a changed order is reviewed again.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from domain.carrier import ShippingMethod
from domain.order_types import OrderType
from domain.price_rules import SUPPLIED, RulePrice
from domain.pricing import (
    Charge,
    LineRequest,
    PricedLine,
    PricingBasis,
    order_totals,
    price_order,
)
from domain.status import CANCELLABLE_STATUSES, FINAL_STATUSES, PRESALE_WAITS, OrderStatus

# Price and discount of a line the change leaves as it is.
ZERO = Decimal("0")


class OrderVersion(BaseModel):
    """The order as one version has it."""

    # As the pricing rules priced them (the order_lines columns carry the same names).
    lines: list[PricedLine]
    ship_to: dict[str, Any]
    shipping_method: str
    payment_method: str
    requested_delivery_date: date | None = None
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    # The shipping charge line (versions from before charges: none).
    shipping_charge: Decimal = ZERO
    shipping_tax_rate: Decimal = ZERO
    reverse_charge: bool = False
    installment_count: int | None = None
    installment_interval_days: int | None = None

    def charge(self) -> Charge:
        return Charge(self.shipping_charge, self.shipping_tax_rate)

    def quantities(self) -> dict[str, int]:
        wanted: dict[str, int] = {}
        for line in self.lines:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        return wanted


class LineChange(BaseModel):
    sku: str
    quantity: int
    # None: the line's price (or discount) as it is, the catalogue's for a new sku.
    unit_price: Decimal | None = None
    discount_pct: Decimal | None = None


class OrderChange(BaseModel):
    """What a change asks for; fields left None stay as they are."""

    lines: list[LineChange] | None = None
    ship_to: dict[str, Any] | None = None
    shipping_method: str | None = None
    payment_method: str | None = None
    # With payment_method: the installment terms (None for other terms).
    installment_count: int | None = None
    installment_interval_days: int | None = None
    requested_delivery_date: date | None = None
    reason: str = ""

    def reprices(self) -> bool:
        """Whether what rates and the shipping charge follow changes (lines, destination,
        method); otherwise the agreed lines and charge stand."""
        return not (self.lines is None and self.ship_to is None and self.shipping_method is None)

    def touches_only_address(self) -> bool:
        return (
            self.lines is None
            and self.shipping_method is None
            and self.payment_method is None
            and self.requested_delivery_date is None
        )


class DiffEntry(BaseModel):
    """One field that differs: `lines[SKU].quantity`, `ship_to.city`, `total`... (a line
    added or removed has no before or after)."""

    field: str
    before: str | None = None
    after: str | None = None


def revise(
    current: OrderVersion,
    change: OrderChange,
    catalogue: dict[str, Decimal],
    basis: PricingBasis,
    ruled: Mapping[str, RulePrice] | None = None,
) -> OrderVersion:
    """The next version: the change applied and re-priced on the basis (the new destination's
    rates, the shipping charge for the new lines and method). A kept sku keeps its agreed
    price and discount unless the change gives new ones; a new sku sells at the catalogue's,
    or at what the price rules give it (`ruled`).
    A change of neither lines, destination nor method keeps the lines and charge as agreed.
    Raises NoTaxRate or TooHeavy as intake does."""
    method = change.shipping_method or current.shipping_method
    if not change.reprices():
        lines, charge, reverse = current.lines, current.charge(), current.reverse_charge
    else:
        agreed = {line.sku: line for line in current.lines}
        asked = change.lines or [LineChange(sku=x.sku, quantity=x.quantity) for x in current.lines]
        requests = []
        for a in asked:
            kept = agreed.get(a.sku)
            supplied = a.unit_price
            rule = None
            if supplied is None and kept is not None and kept.list_price is not None:
                # Priced by the rules when agreed: it keeps that price, its source and
                # promotions (its share of an order promotion only at the same quantity).
                share = kept.promotion_discount if a.quantity == kept.quantity else ZERO
                entitled = kept.list_price if kept.price_source == SUPPLIED else kept.unit_price
                rule = RulePrice(entitled, kept.price_source, kept.promotions, share)
                if kept.price_source == SUPPLIED:
                    supplied = kept.unit_price
            elif supplied is None and kept is not None:
                supplied = kept.unit_price
            elif supplied is None and ruled:
                rule = ruled.get(a.sku)  # a new sku: the price rules' price today
            discount = a.discount_pct
            if discount is None:
                discount = kept.discount_pct if kept is not None else ZERO
            # Re-priced at the catalogue's when the lines change; otherwise as they were.
            catalogue_price = (
                catalogue[a.sku] if change.lines is not None else agreed[a.sku].catalogue_price
            )
            requests.append(
                LineRequest(
                    sku=a.sku,
                    quantity=a.quantity,
                    catalogue_price=catalogue_price,
                    supplied_price=supplied,
                    discount_pct=discount,
                    rule=rule,
                )
            )
        priced = price_order(requests, ShippingMethod(method), basis)
        lines, charge, reverse = priced.lines, priced.charge, priced.reverse_charge
    totals = order_totals(lines, charge)
    return OrderVersion(
        lines=lines,
        ship_to=current.ship_to if change.ship_to is None else change.ship_to,
        shipping_method=method,
        payment_method=change.payment_method or current.payment_method,
        installment_count=(
            current.installment_count if change.payment_method is None else change.installment_count
        ),
        installment_interval_days=(
            current.installment_interval_days
            if change.payment_method is None
            else change.installment_interval_days
        ),
        requested_delivery_date=(
            current.requested_delivery_date
            if change.requested_delivery_date is None
            else change.requested_delivery_date
        ),
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        total=totals.total,
        shipping_charge=charge.net,
        shipping_tax_rate=charge.tax_rate,
        reverse_charge=reverse,
    )


def sets_prices(current: OrderVersion, after: OrderVersion) -> bool:
    """Whether the new version sells some sku at a price or discount it was not agreed at
    (a new sku: other than the price it is entitled to, the catalogue's or the price rules',
    or with a discount)."""
    agreed = {line.sku: line for line in current.lines}
    for line in after.lines:
        kept = agreed.get(line.sku)
        if kept is None:
            if line.unit_price != line.entitled_price or line.discount_pct != ZERO:
                return True
        elif (line.unit_price, line.discount_pct) != (kept.unit_price, kept.discount_pct):
            return True
    return False


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def diff(before: OrderVersion, after: OrderVersion) -> list[DiffEntry]:
    """Every field the second version changes, lines by sku, then the totals."""
    entries: list[DiffEntry] = []
    old = {line.sku: line for line in before.lines}
    new = {line.sku: line for line in after.lines}
    for sku in [*old, *(s for s in new if s not in old)]:
        a, b = old.get(sku), new.get(sku)
        if a is None and b is not None:
            entries.append(DiffEntry(field=f"lines[{sku}]", after=f"{b.quantity} x {sku}"))
        elif b is None and a is not None:
            entries.append(DiffEntry(field=f"lines[{sku}]", before=f"{a.quantity} x {sku}"))
        elif a is not None and b is not None:
            for name in ("quantity", "unit_price", "discount_pct"):
                x, y = getattr(a, name), getattr(b, name)
                if x != y:
                    entries.append(
                        DiffEntry(field=f"lines[{sku}].{name}", before=str(x), after=str(y))
                    )
    for key in sorted(set(before.ship_to) | set(after.ship_to)):
        x, y = before.ship_to.get(key), after.ship_to.get(key)
        if x != y:
            entries.append(DiffEntry(field=f"ship_to.{key}", before=_text(x), after=_text(y)))
    for name in (
        "shipping_method",
        "payment_method",
        "installment_count",
        "installment_interval_days",
        "requested_delivery_date",
        "shipping_charge",
        "subtotal",
        "discount",
        "tax",
        "total",
    ):
        x, y = getattr(before, name), getattr(after, name)
        if x != y:
            entries.append(DiffEntry(field=name, before=_text(x), after=_text(y)))
    return entries


class StockMove(BaseModel):
    """What a change does to the stock one sku holds for the order."""

    sku: str
    reserve: int = Field(ge=0)
    release: int = Field(ge=0)


def stock_moves(held: dict[str, int], wanted: dict[str, int]) -> list[StockMove]:
    """By the difference only: more wanted than held is reserved, less is released."""
    moves = []
    for sku in sorted(set(held) | set(wanted)):
        h, w = held.get(sku, 0), wanted.get(sku, 0)
        if h != w:
            moves.append(StockMove(sku=sku, reserve=max(w - h, 0), release=max(h - w, 0)))
    return moves


def refusal(
    status: str,
    goods_left: bool,
    lines_locked: bool,
    change: OrderChange,
    before_release: bool = False,
    order_type: str = OrderType.STANDARD,
) -> str | None:
    """Why an order in this stage takes no such change (None: it may be made). Picking
    started: the address only; goods gone: nothing (a return is the way); a pre-sale order
    before its release: nothing (its lines fix its deposit and its place); a bulk order:
    nothing (its lines are its delivery schedule)."""
    if status in FINAL_STATUSES:
        return f"the order is {status}"
    if order_type == OrderType.BULK:
        return "a bulk order's lines are its delivery schedule: cancel it and order again"
    if order_type == OrderType.CUSTOM:
        return "a custom order is made to its signed-off specification: cancel it and order again"
    if before_release or status in PRESALE_WAITS:
        return "a pre-sale order is changed only after its release: cancel it and order again"
    if goods_left or status not in CANCELLABLE_STATUSES:
        return f"the order is {status}: goods have left the warehouse, a return is the way"
    if status == OrderStatus.AWAITING_CUSTOMER:
        return "a substitute awaits the customer's answer: change the order after it"
    if lines_locked and not change.touches_only_address():
        return "picking has started: only the ship-to address may change"
    return None
