"""Tax as data: a rate per destination country (and region where it differs) and product tax
class, and the reverse charge of business customers across EU borders. Pure rules: the
table is a section of the policy document (domain/policy.py), edited by an admin, versioned.

Rates are the seller's to keep right (finance checks the seed against the year's law); a
destination the table does not list is refused at intake rather than guessed.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from stdnum.eu import vat

from domain.money import ZERO


class TaxClass(StrEnum):
    STANDARD = "standard"
    REDUCED = "reduced"
    ZERO = "zero"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Rate = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
PostalPrefix = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,10}$")]


class Rates(_Strict):
    standard: Rate
    reduced: Rate
    zero: Rate = ZERO

    def of(self, tax_class: TaxClass) -> Decimal:
        return Decimal(getattr(self, tax_class.value))


class Region(Rates):
    """Where a country's rates differ (the Canary Islands, Heligoland): matched by the
    address's region or its postal code's prefix."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    postal_prefixes: Annotated[list[PostalPrefix], Field(max_length=100)] = []

    def holds(self, region: str | None, postal_code: str | None) -> bool:
        if region and region.strip().casefold() == self.name.casefold():
            return True
        code = (postal_code or "").replace(" ", "").upper()
        return any(code.startswith(p.upper()) for p in self.postal_prefixes)


class CountryRates(Rates):
    regions: Annotated[list[Region], Field(max_length=50)] = []


class TaxTable(_Strict):
    countries: dict[Country, CountryRates]
    # Member states of the EU VAT area: a business customer of another member state with a
    # valid VAT id is reverse-charged (Art. 196 of Directive 2006/112/EC).
    eu: Annotated[list[Country], Field(max_length=40)]

    @model_validator(mode="after")
    def _eu_listed(self) -> Self:
        for country in self.eu:
            if country not in self.countries:
                raise ValueError(f"tax.eu: {country} has no rates in tax.countries")
        return self


@dataclass(frozen=True)
class Destination:
    country: str
    region: str | None = None
    postal_code: str | None = None


class NoTaxRate(ValueError):
    """The destination is not in the tax table."""


REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)"
)


def is_valid_vat_id(vat_id: str | None) -> bool:
    """A VAT id of an EU member state in its valid format, check digits included."""
    return vat_id is not None and bool(vat.is_valid(vat_id))


def is_eu_vat_prefix(vat_id: str) -> bool:
    """Whether the id claims to be an EU one (Greece's prefix is EL)."""
    prefix = vat_id[:2].upper()
    return prefix == "EL" or prefix in EU_MEMBERS


def reverse_charged(
    table: TaxTable, seller_country: str, destination: Destination, vat_id: str | None
) -> bool:
    """Goods to a business customer (a valid VAT id) in another EU member state."""
    eu = set(table.eu)
    return (
        seller_country in eu
        and destination.country in eu
        and destination.country != seller_country
        and is_valid_vat_id(vat_id)
    )


def rate_of(table: TaxTable, destination: Destination, tax_class: TaxClass) -> Decimal:
    country = table.countries.get(destination.country)
    if country is None:
        raise NoTaxRate(f"no tax rate for destination {destination.country}")
    for region in country.regions:
        if region.holds(destination.region, destination.postal_code):
            return region.of(tax_class)
    return country.of(tax_class)


@dataclass(frozen=True)
class TaxPlace:
    """Where an order is taxed and whether it is reverse-charged: what its rates follow."""

    table: TaxTable
    destination: Destination
    reverse_charge: bool

    def rate(self, tax_class: TaxClass) -> Decimal:
        # The destination must be known even when reverse-charged: it is what the table holds.
        rate = rate_of(self.table, self.destination, tax_class)
        return ZERO if self.reverse_charge else rate


def _r(standard: str, reduced: str, *regions: Region) -> CountryRates:
    return CountryRates(standard=Decimal(standard), reduced=Decimal(reduced), regions=list(regions))


EU_MEMBERS = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip

# The seed: standard and main reduced rates of the member states (2026), zero-rated exports
# to a few common destinations outside the EU. Outside the EU VAT area within a member state:
# the Canary Islands, Ceuta and Melilla, Heligoland and Buesingen, the Aaland Islands.
_OUTSIDE = Decimal("0")
DEFAULT_TAX_TABLE = TaxTable(
    countries={
        "AT": _r("20", "10"), "BE": _r("21", "6"), "BG": _r("20", "9"), "CY": _r("19", "5"),
        "CZ": _r("21", "12"), "DK": _r("25", "25"), "EE": _r("24", "9"), "FI": _r(
            "25.5", "14",
            Region(name="Aland", postal_prefixes=["22"], standard=_OUTSIDE, reduced=_OUTSIDE),
        ),
        "FR": _r("20", "5.5"), "GR": _r("24", "13"), "HR": _r("25", "13"),
        "HU": _r("27", "5"), "IE": _r("23", "13.5"), "IT": _r("22", "10"), "LT": _r("21", "9"),
        "LU": _r("17", "8"), "LV": _r("21", "12"), "MT": _r("18", "5"), "NL": _r("21", "9"),
        "PL": _r("23", "8"), "PT": _r("23", "6"), "RO": _r("21", "11"), "SE": _r("25", "12"),
        "SI": _r("22", "9.5"), "SK": _r("23", "19"),
        "DE": _r(
            "19", "7",
            Region(name="Helgoland", postal_prefixes=["27498"], standard=_OUTSIDE,
                   reduced=_OUTSIDE),
            Region(name="Buesingen", postal_prefixes=["78266"], standard=_OUTSIDE,
                   reduced=_OUTSIDE),
        ),
        "ES": _r(
            "21", "10",
            Region(name="Canarias", postal_prefixes=["35", "38"], standard=_OUTSIDE,
                   reduced=_OUTSIDE),
            Region(name="Ceuta", postal_prefixes=["51"], standard=_OUTSIDE, reduced=_OUTSIDE),
            Region(name="Melilla", postal_prefixes=["52"], standard=_OUTSIDE, reduced=_OUTSIDE),
        ),
        "CH": _r("0", "0"), "GB": _r("0", "0"), "NO": _r("0", "0"), "US": _r("0", "0"),
        "CA": _r("0", "0"), "AU": _r("0", "0"), "JP": _r("0", "0"),
    },
    eu=EU_MEMBERS,
)  # fmt: skip
