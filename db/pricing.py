"""The basis an order is priced on, read from the records: the policy's tax table and
shipping charges, the products' tax classes and weights, the buyer's VAT id. Used by intake,
changes and substitutions alike, inside the caller's transaction."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Product
from db.policies import current_policy
from domain.policy import PolicyDocument
from domain.pricing import PricingBasis
from domain.tax import Destination, TaxClass, TaxPlace, reverse_charged


def destination_of(ship_to: dict[str, Any]) -> Destination:
    return Destination(
        country=str(ship_to.get("country", "")).upper(),
        region=ship_to.get("region"),
        postal_code=ship_to.get("postal_code"),
    )


async def pricing_basis(
    session: AsyncSession,
    ship_to: dict[str, Any],
    vat_id: str | None,
    skus: Iterable[str],
    seller_country: str,
) -> PricingBasis:
    """Every sku must exist (the callers check them first, naming the field)."""
    policy = (await current_policy(session))[1]
    products = await session.execute(
        select(Product.sku, Product.tax_class, Product.weight_kg).where(
            Product.sku.in_(sorted(set(skus)))
        )
    )
    rows = [(sku, tax_class, weight) for sku, tax_class, weight in products]
    return basis_of(policy, ship_to, vat_id, rows, seller_country)


def basis_of(
    policy: PolicyDocument,
    ship_to: dict[str, Any],
    vat_id: str | None,
    products: Iterable[tuple[str, str, Decimal]],
    seller_country: str,
) -> PricingBasis:
    """The basis from records already read: the policy and each sku's tax class and weight
    (intake has the products in hand; reading them again is a round trip per order)."""
    classes, weights = {}, {}
    for sku, tax_class, weight in products:
        classes[sku], weights[sku] = TaxClass(tax_class), weight
    destination = destination_of(ship_to)
    place = TaxPlace(
        policy.tax,
        destination,
        reverse_charged(policy.tax, seller_country, destination, vat_id),
    )
    return PricingBasis(place, classes, weights, policy.shipping_charges)
