"""The order desk's common mistakes and customer risks, as pure checks.

Each check returns the words an approver reads, or None when nothing is wrong. The words name
the rule and codes (sku, country, ZIP code), never a person's street or city: they go into the
order's history and the workflow's history, which outlive any request to erase personal data.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any

import zipcodes

from domain.payment import ON_ACCOUNT, PaymentMethod
from domain.policy import Checks, Risk
from domain.pricing import PricedLine
from domain.review import CustomerFacts, credit_exposure


@dataclass(frozen=True)
class PastOrders:
    """What a customer's earlier orders say about their habits."""

    line_quantities: list[int]
    line_nets: list[Decimal]
    orders: int
    credit_orders: int
    ship_tos: list[dict[str, Any]]
    overdue_invoices: int


@dataclass(frozen=True)
class OrderToAssess:
    lines: Sequence[PricedLine]
    payment: PaymentMethod
    total: Decimal
    ship_to: Mapping[str, object]
    customer_address: Mapping[str, object]


def assess_risks(
    order: OrderToAssess, customer: CustomerFacts, past: PastOrders, checks: Checks
) -> dict[Risk, str]:
    """Every risk that holds, with the words an approver reads."""
    found: dict[Risk, str | None] = {
        Risk.NEW_CUSTOMER: None if past.orders else "new customer: no earlier orders",
        Risk.CREDIT_OVER_LIMIT: (
            credit_exposure(customer, order.total) if order.payment in ON_ACCOUNT else None
        ),
        Risk.OVERDUE_BALANCE: (
            f"customer has {past.overdue_invoices} overdue invoice(s)"
            if past.overdue_invoices
            else None
        ),
        Risk.FIRST_CREDIT_ORDER: (
            "first order of this customer on credit terms"
            if order.payment in ON_ACCOUNT and not past.credit_orders
            else None
        ),
        Risk.QUANTITY_OUTLIER: quantity_outlier(
            order.lines,
            past.line_quantities,
            past.line_nets,
            checks.outlier_factor,
            checks.outlier_min_history,
        ),
        Risk.NEW_SHIP_TO: new_ship_to(order.ship_to, order.customer_address, past.ship_tos),
        Risk.POSTAL_MISMATCH: postal_mismatch(order.ship_to),
    }
    return {risk: words for risk, words in found.items() if words is not None}


def quantity_outlier(
    lines: Sequence[PricedLine],
    past_quantities: Sequence[int],
    past_nets: Sequence[Decimal],
    factor: Decimal,
    min_history: int,
) -> str | None:
    """A line far above this customer's median line: the classic 1 typed as 10."""
    if len(past_quantities) < min_history:
        return None
    usual_qty = Decimal(median(past_quantities))
    usual_net = Decimal(median(past_nets))
    for line in lines:
        if usual_qty and line.quantity > usual_qty * factor:
            return (
                f"{line.sku}: quantity {line.quantity} is more than {factor:f} times this "
                f"customer's median line of {usual_qty:f}"
            )
        if usual_net and line.net > usual_net * factor:
            return (
                f"{line.sku}: amount {line.net} is more than {factor:f} times this "
                f"customer's median line of {usual_net:.2f}"
            )
    return None


def _norm(address: Mapping[str, object]) -> tuple[str, ...]:
    keys = ("line1", "line2", "city", "postal_code", "country")
    return tuple(" ".join(str(address.get(k) or "").lower().split()) for k in keys)


def new_ship_to(
    ship_to: Mapping[str, object] | None,
    own_address: Mapping[str, object],
    past_ship_tos: Sequence[Mapping[str, object]],
) -> str | None:
    """A ship-to address this customer has never used (their own address counts as used)."""
    if ship_to is None:
        return None
    known = {_norm(own_address), *(_norm(a) for a in past_ship_tos)}
    if _norm(ship_to) in known:
        return None
    return f"ship-to address (country {ship_to.get('country')}) was never used by this customer"


def postal_mismatch(address: Mapping[str, object]) -> str | None:
    """A postal code that does not fit the city or region.

    Checked where a postal directory ships with a package (US ZIP codes, from `zipcodes`);
    other countries get the format check at intake only.
    """
    if str(address.get("country", "")).upper() != "US":
        return None
    code = str(address.get("postal_code", ""))[:5]
    try:
        places: list[dict[str, Any]] = zipcodes.matching(code)  # type: ignore[no-untyped-call]
    except ValueError:
        return f"ZIP code {code} is not a US ZIP code"
    if not places:
        return f"ZIP code {code} does not exist"
    city = str(address.get("city", "")).strip().lower()
    region = str(address.get("region") or "").strip().upper()
    for place in places:
        cities = {place["city"].lower(), *(c.lower() for c in place["acceptable_cities"])}
        if city in cities and (not region or region == place["state"]):
            return None
    return f"ZIP code {code} belongs to state {places[0]['state']}, not the city and state given"
