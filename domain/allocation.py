"""Which warehouse serves which line: the one rule, written once.

1. A warehouse that can serve the whole order, the nearest such one (fewest parcels).
2. Otherwise the order is split: each line is taken from the nearest warehouses first.

Nearness comes from the zone table (data, per warehouse): rows of (country, postal prefix,
zone), the longest prefix matching the destination deciding; a lower zone is nearer. A
warehouse with no row for the destination's country is the farthest.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FARTHEST = 1_000_000


@dataclass(frozen=True)
class ZoneRow:
    warehouse: str
    country: str
    postal_prefix: str
    zone: int


def zone_of(rows: Iterable[ZoneRow], warehouse: str, country: str, postal_code: str) -> int:
    """The warehouse's zone for a destination: its most specific matching row."""
    best: tuple[int, int] | None = None  # (prefix length, zone)
    postal = postal_code.replace(" ", "").upper()
    for r in rows:
        if r.warehouse != warehouse or r.country.upper() != country.upper():
            continue
        prefix = r.postal_prefix.replace(" ", "").upper()
        if postal.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), r.zone)
    return FARTHEST if best is None else best[1]


def nearest_first(
    warehouses: Iterable[str], zones: Iterable[ZoneRow], country: str, postal_code: str
) -> list[str]:
    rows = list(zones)
    return sorted(set(warehouses), key=lambda w: (zone_of(rows, w, country, postal_code), w))


@dataclass(frozen=True)
class Allocation:
    """Quantities per (sku, warehouse); empty with shortages when the order cannot be served."""

    takes: dict[tuple[str, str], int]
    shortages: dict[str, int]

    @property
    def warehouses(self) -> list[str]:
        return sorted({w for _, w in self.takes})


def allocate(
    needs: Mapping[str, int],
    available: Mapping[tuple[str, str], int],
    order_of_warehouses: list[str],
) -> Allocation:
    """All of the order or nothing, from the warehouses ranked nearest first."""
    shortages = {
        sku: qty - total
        for sku, qty in needs.items()
        if (total := sum(available.get((sku, w), 0) for w in order_of_warehouses)) < qty
    }
    if shortages:
        return Allocation({}, shortages)
    for w in order_of_warehouses:
        if all(available.get((sku, w), 0) >= qty for sku, qty in needs.items()):
            return Allocation({(sku, w): qty for sku, qty in needs.items() if qty > 0}, {})
    return _nearest_first(needs, available, order_of_warehouses)


def allocate_available(
    needs: Mapping[str, int],
    available: Mapping[tuple[str, str], int],
    order_of_warehouses: list[str],
) -> Allocation:
    """What there is now, nearest first; the rest as shortages (the partial-shipment choice).
    Everything there is, when that covers the order, goes by the whole-order rule."""
    whole = allocate(needs, available, order_of_warehouses)
    if not whole.shortages:
        return whole
    return _nearest_first(needs, available, order_of_warehouses)


def _nearest_first(
    needs: Mapping[str, int],
    available: Mapping[tuple[str, str], int],
    order_of_warehouses: list[str],
) -> Allocation:
    """Each line from the nearest warehouses first, as far as they have it."""
    takes: dict[tuple[str, str], int] = {}
    shortages: dict[str, int] = {}
    for sku, qty in needs.items():
        for w in order_of_warehouses:
            take = min(qty, available.get((sku, w), 0))
            if take > 0:
                takes[(sku, w)] = take
                qty -= take
        if qty > 0:
            shortages[sku] = qty
    return Allocation(takes, shortages)
