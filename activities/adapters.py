"""Adapters to external parties: the carrier and the payment gateway.

The real interfaces are the Protocols below; the Simulated* classes stand in for a real
carrier and gateway in development and tests, and say so in their names.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from domain.carrier import CarrierChoice, ShippingMethod, choose_carrier
from domain.messages import Package, ShipmentEventKind


@dataclass(frozen=True)
class ParcelRequest:
    order_id: str
    carrier: str
    service: str
    weight_kg: Decimal
    country: str
    postal_code: str
    # The shipper's reference for this parcel (the shipment id; the order id for orders
    # shipped as one parcel before pick and pack): the carrier's idempotency key.
    reference: str = ""
    # As packed: carriers price and route by each package's weight and size.
    packages: tuple[Package, ...] = ()


async def book_parcel(
    carrier: "CarrierAdapter",
    order_id: str,
    shipping_method: str,
    ship_to: dict[str, object],
    home_country: str,
    weight: Decimal,
    reference: str = "",
    packages: tuple[Package, ...] = (),
) -> tuple[CarrierChoice, str]:
    """The carrier and service for the parcel (by method, weight, destination), booked; returns
    the choice and the tracking number."""
    country = str(ship_to.get("country", home_country))
    choice = choose_carrier(ShippingMethod(shipping_method), weight, country, home_country)
    tracking = await carrier.create_shipment(
        ParcelRequest(
            order_id=order_id,
            carrier=choice.carrier,
            service=choice.service,
            weight_kg=weight,
            country=country,
            postal_code=str(ship_to.get("postal_code", "")),
            reference=reference,
            packages=packages,
        )
    )
    return choice, tracking


class CarrierAdapter(Protocol):
    async def create_shipment(self, parcel: ParcelRequest) -> str:
        """Book the parcel; returns the tracking number. Must be idempotent by the reference
        (real carriers take an idempotency key or a shipper reference)."""
        ...

    async def tracking_events(
        self, tracking_number: str, booked_at: datetime
    ) -> list[ShipmentEventKind]:
        """Every scan the carrier reports for the parcel so far, oldest first."""
        ...

    async def cancel_shipment(self, tracking_number: str, booked_at: datetime) -> bool:
        """Withdraw a booking before pickup; False when the carrier already has the parcel.
        Must be idempotent (a withdrawn booking withdrawn again answers True)."""
        ...


class PaymentGateway(Protocol):
    async def refund(self, order_id: str, reference: str, amount: Decimal) -> str:
        """Refund (part of) a captured payment; returns the gateway's refund reference.
        Must be idempotent by the original reference."""
        ...


PARCEL_STEPS = [
    ShipmentEventKind.PICKED_UP,
    ShipmentEventKind.IN_TRANSIT,
    ShipmentEventKind.DELIVERED,
]


class SimulatedCarrier:
    """A carrier that books instantly and, with step_seconds > 0, scans the parcel one step
    further each step_seconds after booking. With 0 it reports nothing: events then come
    through the API's shipment-events webhook."""

    def __init__(self, step_seconds: float = 0) -> None:
        self.step_seconds = step_seconds

    async def create_shipment(self, parcel: ParcelRequest) -> str:
        reference = parcel.reference or parcel.order_id
        digest = hashlib.sha256(f"{parcel.carrier}:{reference}".encode()).hexdigest()
        return f"{parcel.carrier[:3].upper()}{digest[:12].upper()}"

    async def tracking_events(
        self, tracking_number: str, booked_at: datetime
    ) -> list[ShipmentEventKind]:
        if self.step_seconds <= 0:
            return []
        elapsed = datetime.now(UTC) - booked_at
        steps = int(elapsed / timedelta(seconds=self.step_seconds))
        return PARCEL_STEPS[: max(0, min(steps, len(PARCEL_STEPS)))]

    async def cancel_shipment(self, tracking_number: str, booked_at: datetime) -> bool:
        # Withdrawn as long as its own timeline has not picked the parcel up.
        return not await self.tracking_events(tracking_number, booked_at)


class SimulatedPaymentGateway:
    """Accepts every refund; the reference is derived so a retry yields the same one."""

    async def refund(self, order_id: str, reference: str, amount: Decimal) -> str:
        return f"refund-{reference}"


class SimulatedPacker:
    """Stands in for the warehouse's packer in the demo (`ORDERFLOW_WAREHOUSE_CONFIRMATION=auto`):
    one standard box per shipment, weighing what its products weigh. A real warehouse confirms
    through `POST /shipments/{id}/packed`."""

    BOX_CM = (Decimal("40"), Decimal("30"), Decimal("20"))

    def packages(self, weight_kg: Decimal) -> list[Package]:
        length, width, height = self.BOX_CM
        weight = max(weight_kg, Decimal("0.1"))
        return [Package(weight_kg=weight, length_cm=length, width_cm=width, height_cm=height)]
