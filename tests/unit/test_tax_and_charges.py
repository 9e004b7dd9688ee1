"""The tax table (destination, region, tax class, reverse charge) and the shipping charge
bands, as the pricing rules apply them."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.carrier import ShippingMethod
from domain.policy import DEFAULT_POLICY, PolicyDocument
from domain.pricing import LineRequest, PricingBasis, price_order
from domain.shipping_charges import (
    EXAMPLE_SHIPPING_CHARGES,
    NO_SHIPPING_CHARGES,
    TooHeavy,
    shipping_charge,
)
from domain.tax import (
    DEFAULT_TAX_TABLE,
    Destination,
    NoTaxRate,
    TaxClass,
    TaxPlace,
    is_valid_vat_id,
    rate_of,
    reverse_charged,
)

D = Decimal
T = DEFAULT_TAX_TABLE


@pytest.mark.parametrize(
    ("country", "region", "postal_code", "tax_class", "rate"),
    [
        ("DE", None, "80802", TaxClass.STANDARD, "19"),
        ("DE", None, "80802", TaxClass.REDUCED, "7"),
        ("DE", None, "80802", TaxClass.ZERO, "0"),
        ("AT", None, "1010", TaxClass.STANDARD, "20"),
        ("FR", None, "75001", TaxClass.REDUCED, "5.5"),
        ("FI", None, "00100", TaxClass.STANDARD, "25.5"),
        # Regions outside the EU VAT area, by postal code or by the address's region.
        ("ES", None, "35001", TaxClass.STANDARD, "0"),
        ("ES", "canarias", "99999", TaxClass.STANDARD, "0"),
        ("ES", None, "28001", TaxClass.STANDARD, "21"),
        ("DE", None, "27498", TaxClass.STANDARD, "0"),
        # Exports outside the EU are zero-rated.
        ("CH", None, "8001", TaxClass.STANDARD, "0"),
        ("US", "NY", "10001", TaxClass.REDUCED, "0"),
    ],
)
def test_rates_by_destination_region_and_class(
    country: str, region: str | None, postal_code: str, tax_class: TaxClass, rate: str
) -> None:
    assert rate_of(T, Destination(country, region, postal_code), tax_class) == D(rate)


def test_a_destination_not_in_the_table_is_refused_not_guessed() -> None:
    with pytest.raises(NoTaxRate, match="BR"):
        rate_of(T, Destination("BR"), TaxClass.STANDARD)


@pytest.mark.parametrize(
    ("vat_id", "destination", "expected"),
    [
        ("ATU13585627", "AT", True),  # an Austrian business, goods to Austria
        ("NL004495445B01", "NL", True),
        ("ATU13585627", "DE", False),  # delivered in the seller's own country: domestic
        ("ATU13585627", "CH", False),  # outside the EU: an export, not a reverse charge
        ("ATU13585628", "AT", False),  # check digit wrong: not a valid VAT id
        (None, "AT", False),  # a consumer: the destination's rate
    ],
)
def test_reverse_charge_for_eu_businesses_across_borders(
    vat_id: str | None, destination: str, expected: bool
) -> None:
    assert reverse_charged(T, "DE", Destination(destination), vat_id) is expected


def test_vat_ids_are_checked_with_their_check_digits() -> None:
    assert is_valid_vat_id("DE136695976")
    assert not is_valid_vat_id("DE136695975")
    assert not is_valid_vat_id("XX123")


@pytest.mark.parametrize(
    ("method", "weight", "goods", "charge"),
    [
        (ShippingMethod.STANDARD, "0.5", "20.00", "4.90"),
        (ShippingMethod.STANDARD, "2", "20.00", "4.90"),  # a band's limit is in the band
        (ShippingMethod.STANDARD, "2.001", "20.00", "6.90"),
        (ShippingMethod.STANDARD, "31.5", "149.99", "12.90"),
        (ShippingMethod.STANDARD, "40", "149.99", "89.00"),  # freight: the open band
        (ShippingMethod.STANDARD, "40", "150.00", "0.00"),  # free from 150.00 of goods
        (ShippingMethod.EXPRESS, "1", "5000.00", "12.90"),  # express is never free
        (ShippingMethod.PICKUP, "100", "1.00", "0.00"),
    ],
)
def test_shipping_charge_bands(
    method: ShippingMethod, weight: str, goods: str, charge: str
) -> None:
    assert shipping_charge(EXAMPLE_SHIPPING_CHARGES, method, D(weight), D(goods)) == D(charge)


def test_heavier_than_the_last_band_is_refused() -> None:
    express = EXAMPLE_SHIPPING_CHARGES.methods[ShippingMethod.EXPRESS]
    bounded = EXAMPLE_SHIPPING_CHARGES.model_copy(
        update={
            "methods": {
                **EXAMPLE_SHIPPING_CHARGES.methods,
                ShippingMethod.EXPRESS: express.model_copy(update={"bands": express.bands[:-1]}),
            }
        }
    )
    with pytest.raises(TooHeavy, match=r"31\.5 kg"):
        shipping_charge(bounded, ShippingMethod.EXPRESS, D("32"), D("1"))


def test_bands_must_rise_and_every_method_be_priced() -> None:
    document = DEFAULT_POLICY.model_dump(mode="json")
    document["shipping_charges"] = EXAMPLE_SHIPPING_CHARGES.model_dump(mode="json")
    document["shipping_charges"]["methods"]["standard"]["bands"] = [
        {"up_to_kg": "10", "charge": "5"},
        {"up_to_kg": "2", "charge": "3"},
    ]
    with pytest.raises(ValidationError, match="must rise"):
        PolicyDocument.model_validate(document)
    del document["shipping_charges"]["methods"]["standard"]
    with pytest.raises(ValidationError, match="standard: missing"):
        PolicyDocument.model_validate(document)
    document = DEFAULT_POLICY.model_dump(mode="json")
    document["tax"]["eu"].append("BR")
    with pytest.raises(ValidationError, match="BR has no rates"):
        PolicyDocument.model_validate(document)


def _basis(country: str, vat_id: str | None = None, postal_code: str = "1010") -> PricingBasis:
    destination = Destination(country, None, postal_code)
    return PricingBasis(
        place=TaxPlace(T, destination, reverse_charged(T, "DE", destination, vat_id)),
        tax_classes={"BOOK": TaxClass.REDUCED, "LAMP": TaxClass.STANDARD},
        weights={"BOOK": D("0.8"), "LAMP": D("1.5")},
        charges=EXAMPLE_SHIPPING_CHARGES,
    )


def test_an_order_is_priced_per_line_at_its_class_with_the_charge_taxed() -> None:
    lines = [LineRequest("BOOK", 2, D("20.00")), LineRequest("LAMP", 1, D("39.90"))]
    at = price_order(lines, ShippingMethod.STANDARD, _basis("AT"))
    assert [x.tax_rate for x in at.lines] == [D("10"), D("20")]
    # 3.1 kg: the 10 kg band; the charge is taxed at the standard rate.
    assert (at.charge.net, at.charge.tax_rate, at.charge.tax) == (D("6.90"), D("20"), D("1.38"))
    assert at.totals.tax == D("4.00") + D("7.98") + D("1.38")
    assert at.totals.total == D("79.90") + D("6.90") + at.totals.tax
    reversed_ = price_order(lines, ShippingMethod.STANDARD, _basis("AT", "ATU13585627"))
    assert reversed_.reverse_charge and reversed_.totals.tax == D("0")
    assert reversed_.totals.total == D("86.80")


def test_the_built_in_policy_charges_no_shipping() -> None:
    assert DEFAULT_POLICY.shipping_charges == NO_SHIPPING_CHARGES
    for method in ShippingMethod:
        assert shipping_charge(NO_SHIPPING_CHARGES, method, D("500"), D("1")) == D("0")
