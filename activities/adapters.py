"""Adapters to external parties: the carrier and the payment gateway.

The real interfaces are the Protocols below; the Simulated* classes stand in for a real
carrier and gateway in development and tests, and say so in their names.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from domain.messages import ShipmentEventKind


@dataclass(frozen=True)
class ParcelRequest:
    order_id: str
    carrier: str
    service: str
    weight_kg: Decimal
    country: str
    postal_code: str


class CarrierAdapter(Protocol):
    async def create_shipment(self, parcel: ParcelRequest) -> str:
        """Book the parcel; returns the tracking number. Must be idempotent by order id
        (real carriers take an idempotency key or a shipper reference)."""
        ...

    async def tracking_events(
        self, tracking_number: str, booked_at: datetime
    ) -> list[ShipmentEventKind]:
        """Every scan the carrier reports for the parcel so far, oldest first."""
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
        digest = hashlib.sha256(f"{parcel.carrier}:{parcel.order_id}".encode()).hexdigest()
        return f"{parcel.carrier[:3].upper()}{digest[:12].upper()}"

    async def tracking_events(
        self, tracking_number: str, booked_at: datetime
    ) -> list[ShipmentEventKind]:
        if self.step_seconds <= 0:
            return []
        elapsed = datetime.now(UTC) - booked_at
        steps = int(elapsed / timedelta(seconds=self.step_seconds))
        return PARCEL_STEPS[: max(0, min(steps, len(PARCEL_STEPS)))]


class SimulatedPaymentGateway:
    """Accepts every refund; the reference is derived so a retry yields the same one."""

    async def refund(self, order_id: str, reference: str, amount: Decimal) -> str:
        return f"refund-{reference}"
