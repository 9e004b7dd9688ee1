"""Request and response bodies of the customer routes (also a new customer inside an order)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    EmailStr,
    StringConstraints,
    Tag,
    model_validator,
)

from api.fields import In, MoneyIn, Text, Username
from domain.contact import is_valid_country, is_valid_phone, is_valid_postal_code
from domain.tax import is_eu_vat_prefix, is_valid_vat_id

# The customer groups: priority, approval rules and group price lists follow them.
CustomerTier = Literal["standard", "vip"]


class AddressIn(In):
    line1: Text
    line2: Text | None = None
    city: Text
    region: Text | None = None
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12)
    ]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]

    @model_validator(mode="after")
    def _postal_code_fits_country(self) -> Self:
        if not is_valid_country(self.country):
            raise ValueError(f"country: {self.country} is not an ISO 3166 alpha-2 code")
        if not is_valid_postal_code(self.postal_code, self.country):
            raise ValueError(f"postal_code: {self.postal_code} is not valid in {self.country}")
        return self


class CustomerIn(In):
    name: Text
    email: EmailStr
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
    address: AddressIn
    # Finance and admin only; others leave it out and the policy's default limit applies.
    credit_limit: MoneyIn | None = None
    tier: CustomerTier = "standard"
    # A business customer's VAT id (country prefix, then 2 to 13 letters or digits): printed
    # on its invoices; an EU one (checked with its check digits) makes deliveries to another
    # member state reverse-charged.
    vat_id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{2,13}$")] | None = None
    # The language of its messages; left out: German in DE, AT, CH and LI, else English.
    language: Literal["en", "de"] | None = None

    @model_validator(mode="after")
    def _phone_fits_country(self) -> Self:
        if not is_valid_phone(self.phone, self.address.country):
            raise ValueError(
                f"phone: {self.phone} is not a valid number for {self.address.country}"
            )
        if self.vat_id and is_eu_vat_prefix(self.vat_id) and not is_valid_vat_id(self.vat_id):
            raise ValueError(f"vat_id: {self.vat_id} is not a valid EU VAT id")
        return self


class CustomerContactOut(BaseModel):
    """What the warehouse sees of a customer: no credit data."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    email: str
    phone: str
    address: AddressIn


class CustomerOut(CustomerContactOut):
    credit_limit: Decimal
    tier: str
    vat_id: str | None = None
    language: str | None = None
    on_credit_hold: bool
    owner: str | None


class CreditIn(In):
    """A customer's credit terms, as finance sets them."""

    credit_limit: MoneyIn
    on_credit_hold: bool = False


class CustomerRef(In):
    id: Annotated[str, StringConstraints(min_length=1, max_length=36)]


def _customer_kind(value: Any) -> str:
    # A reference carries only the id; anything else is a new customer given inline. Chosen
    # up front, so errors name the fields of the one meant (customer.new.address.city).
    if isinstance(value, CustomerRef) or (isinstance(value, dict) and set(value) == {"id"}):
        return "ref"
    return "new"


CustomerChoice = Annotated[
    Annotated[CustomerRef, Tag("ref")] | Annotated[CustomerIn, Tag("new")],
    Discriminator(_customer_kind),
]


class OwnerIn(In):
    owner: Username


class AccountOut(BaseModel):
    customer_id: str
    credit_limit: Decimal
    # Invoiced, less credit notes, not paid.
    open_balance: Decimal
    # The open balance plus approved credit-terms orders not invoiced yet.
    exposure: Decimal
    overdue: Decimal
    on_credit_hold: bool


class CreditHoldIn(In):
    on_hold: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class StatementEntryOut(BaseModel):
    at: datetime
    # invoice | credit_note | payment | refund
    kind: str
    document: str
    order_id: str
    # What it adds to what the customer owes (payments and credit notes are negative).
    amount: Decimal
    balance: Decimal


class StatementOut(BaseModel):
    customer_id: str
    opening_balance: Decimal
    entries: list[StatementEntryOut]
    closing_balance: Decimal
