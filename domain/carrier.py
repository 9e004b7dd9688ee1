"""Carrier and service choice by shipping method, weight and destination."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class ShippingMethod(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"
    PICKUP = "pickup"


@dataclass(frozen=True)
class CarrierChoice:
    carrier: str
    service: str


PARCEL_MAX_KG = Decimal("31.5")

# What the desk promises per shipping method, from the booking: later than this, the order is
# flagged late (shown, counted, customer service told).
PROMISED_DELIVERY: dict[ShippingMethod, timedelta] = {
    ShippingMethod.STANDARD: timedelta(days=5),
    ShippingMethod.EXPRESS: timedelta(days=1),
    ShippingMethod.PICKUP: timedelta(days=3),
}


# What the desk promises per shipping method for the goods to leave, in days from when the
# order is confirmed (or from when the stock it waits for is expected): later, it shipped late.
PROMISED_SHIP_DAYS: dict[ShippingMethod, int] = {
    ShippingMethod.STANDARD: 2,
    ShippingMethod.EXPRESS: 1,
    ShippingMethod.PICKUP: 1,
}


def promised_ship_date(today: date, method: ShippingMethod, stock_expected: date | None) -> date:
    """The day a confirmed order is promised to leave by."""
    start = max(today, stock_expected) if stock_expected else today
    return start + timedelta(days=PROMISED_SHIP_DAYS[method])


def choose_carrier(
    method: ShippingMethod, weight_kg: Decimal, country: str, home_country: str
) -> CarrierChoice:
    if method == ShippingMethod.PICKUP:
        return CarrierChoice("pickup", "warehouse-counter")
    if weight_kg > PARCEL_MAX_KG:
        return CarrierChoice(
            "freightco", "express-freight" if method == ShippingMethod.EXPRESS else "freight"
        )
    domestic = country.upper() == home_country.upper()
    if method == ShippingMethod.EXPRESS:
        return CarrierChoice("swiftair", "next-day" if domestic else "international-express")
    return CarrierChoice("parcelpost", "standard" if domestic else "international")
