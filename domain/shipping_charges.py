"""Shipping charges as data: per shipping method, a charge per weight band, free above a
goods value. A section of the policy document; the charge becomes a charge line of the order
(taxed like goods of its tax class) and is billed with the order's first invoice."""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.carrier import ShippingMethod
from domain.money import ZERO
from domain.tax import TaxClass

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Weight = Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightBand(_Strict):
    """Orders weighing up to up_to_kg (None: any weight above the bands before)."""

    up_to_kg: Weight | None
    charge: Amount


class MethodCharges(_Strict):
    bands: Annotated[list[WeightBand], Field(min_length=1, max_length=30)]
    # The goods' net value (after discounts) from which shipping is free; None: never free.
    free_from: Amount | None = None

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        limits = [b.up_to_kg for b in self.bands]
        if None in limits[:-1]:
            raise ValueError("bands: only the last band may be open-ended (up_to_kg null)")
        bounded = [x for x in limits if x is not None]
        if bounded != sorted(set(bounded)):
            raise ValueError("bands: up_to_kg must rise from band to band")
        return self


class ShippingCharges(_Strict):
    methods: dict[ShippingMethod, MethodCharges]
    tax_class: TaxClass = TaxClass.STANDARD

    @model_validator(mode="after")
    def _every_method(self) -> Self:
        for method in ShippingMethod:
            if method not in self.methods:
                raise ValueError(f"shipping_charges.methods.{method}: missing")
        return self


class TooHeavy(ValueError):
    """Heavier than the method's last band."""


def shipping_charge(
    table: ShippingCharges, method: ShippingMethod, weight_kg: Decimal, goods_net: Decimal
) -> Decimal:
    charges = table.methods[method]
    if charges.free_from is not None and goods_net >= charges.free_from:
        return ZERO
    for band in charges.bands:
        if band.up_to_kg is None or weight_kg <= band.up_to_kg:
            return band.charge
    raise TooHeavy(
        f"{weight_kg} kg is above the heaviest band ({charges.bands[-1].up_to_kg} kg) "
        f"for {method} shipping"
    )


def _band(up_to: str | None, charge: str) -> WeightBand:
    return WeightBand(up_to_kg=None if up_to is None else Decimal(up_to), charge=Decimal(charge))


# Until an admin sets prices, shipping is not charged (the built-in policy).
NO_SHIPPING_CHARGES = ShippingCharges(
    methods={m: MethodCharges(bands=[_band(None, "0.00")]) for m in ShippingMethod}
)

# What `make run` seeds: parcel prices by weight, standard shipping free from 150.00 of goods.
EXAMPLE_SHIPPING_CHARGES = ShippingCharges(
    methods={
        ShippingMethod.STANDARD: MethodCharges(
            bands=[_band("2", "4.90"), _band("10", "6.90"), _band("31.5", "12.90"),
                   _band(None, "89.00")],
            free_from=Decimal("150.00"),
        ),
        ShippingMethod.EXPRESS: MethodCharges(
            bands=[_band("2", "12.90"), _band("10", "16.90"), _band("31.5", "24.90"),
                   _band(None, "149.00")],
        ),
        ShippingMethod.PICKUP: MethodCharges(bands=[_band(None, "0.00")]),
    }
)  # fmt: skip
