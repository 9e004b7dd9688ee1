"""The adapter to the plant's production system.

The real interface is ProductionSystem below: we create a production order there with our
id as its idempotency key, and the plant reports progress to us through the API
(`POST /production-orders/{id}/events`: started, material_short, finished, quality_passed,
quality_failed, each with a free-text detail). SimulatedProductionSystem stands in for the
plant in development and tests, and says so in its name: it accepts every order and reports
nothing by itself (tests and the demo post the plant's events).
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


@dataclass(frozen=True)
class ProductionRequest:
    # Ours: the plant's idempotency key (sent again, the same production order).
    production_order_id: str
    order_id: str
    lines: tuple[tuple[str, int], ...]
    specification: dict[str, Any]
    wanted_by: date


class ProductionSystem(Protocol):
    async def create_order(self, request: ProductionRequest) -> str:
        """Create the production order; returns the plant's reference. Idempotent by
        `production_order_id`."""
        ...


class SimulatedProductionSystem:
    """A stand-in plant: the reference is derived from our id, so a retry gets the same."""

    async def create_order(self, request: ProductionRequest) -> str:
        digest = hashlib.sha256(request.production_order_id.encode()).hexdigest()[:10]
        return f"SIM-PLANT-{digest.upper()}"
