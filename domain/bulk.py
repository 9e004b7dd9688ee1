"""Bulk orders (business customers): the order's lines delivered in scheduled batches.

Each batch names its date and lines; the batches' lines add up, per sku, to the order's
lines. A batch's stock is reserved a set number of days before its date (policy), it ships
on its date and is invoiced on its own; the order is complete when every batch is paid.
A batch's money is its share of each line, by quantity, to the cent: the cents that do not
divide evenly go to the line's last batch, so the batches add up to the order exactly.
Pure rules; the workflow and the rows use them.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from domain.money import CENT, ZERO
from domain.pricing import PricedLine

MAX_BATCHES = 24
# How far ahead a schedule may reach.
MAX_AHEAD = timedelta(days=730)
# Reserve this many days before a batch's date unless the policy says otherwise.
DEFAULT_RESERVE_DAYS_BEFORE = 3


@dataclass(frozen=True)
class Batch:
    date: date
    # sku -> quantity
    lines: tuple[tuple[str, int], ...]

    @property
    def quantities(self) -> dict[str, int]:
        return dict(self.lines)


@dataclass(frozen=True)
class Problem:
    """Where a schedule breaks a rule: the field's path (as the API names it) and why."""

    loc: tuple[str | int, ...]
    message: str


def schedule_problems(
    order_lines: dict[str, int], batches: Sequence[Batch], today: date
) -> list[Problem]:
    """What is wrong with a delivery schedule for these order lines (empty: nothing)."""
    problems: list[Problem] = []
    if not batches:
        return [Problem(("deliveries",), "a bulk order names at least one delivery")]
    if len(batches) > MAX_BATCHES:
        return [Problem(("deliveries",), f"at most {MAX_BATCHES} deliveries")]
    seen: set[date] = set()
    for i, b in enumerate(batches):
        if b.date < today:
            problems.append(Problem(("deliveries", i, "date"), "a delivery date is not past"))
        elif b.date > today + MAX_AHEAD:
            problems.append(Problem(("deliveries", i, "date"), "a delivery within two years"))
        if b.date in seen:
            problems.append(Problem(("deliveries", i, "date"), "one delivery per date"))
        seen.add(b.date)
        skus = [sku for sku, _ in b.lines]
        if not skus:
            problems.append(Problem(("deliveries", i, "lines"), "a delivery carries goods"))
        if len(set(skus)) != len(skus):
            problems.append(Problem(("deliveries", i, "lines"), "one line per sku in a delivery"))
        for j, (sku, qty) in enumerate(b.lines):
            if sku not in order_lines:
                problems.append(
                    Problem(("deliveries", i, "lines", j, "sku"), f"{sku} is not on the order")
                )
            if qty <= 0:
                problems.append(
                    Problem(("deliveries", i, "lines", j, "quantity"), "a quantity above zero")
                )
    scheduled = scheduled_quantities(batches)
    for sku, qty in order_lines.items():
        if scheduled.get(sku, 0) != qty:
            problems.append(
                Problem(
                    ("deliveries",),
                    f"{sku}: the deliveries carry {scheduled.get(sku, 0)}, the order {qty}",
                )
            )
    return problems


def scheduled_quantities(batches: Sequence[Batch]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for b in batches:
        for sku, qty in b.lines:
            total[sku] += qty
    return dict(total)


def in_date_order(batches: Sequence[Batch]) -> list[Batch]:
    return sorted(batches, key=lambda b: b.date)


def reserve_on(batch_date: date, days_before: int, today: date) -> date:
    """The day a batch's stock is reserved: the set days before its date, never before
    the order's approval (today)."""
    return max(batch_date - timedelta(days=days_before), today)


@dataclass(frozen=True)
class BatchMoney:
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def _shares(amount: Decimal, quantities: list[int]) -> list[Decimal]:
    """An amount split by quantity to the cent; the last share takes the odd cents."""
    whole = sum(quantities)
    if whole == 0:
        return [ZERO for _ in quantities]
    parts = [(amount * q / whole).quantize(CENT, rounding=ROUND_DOWN) for q in quantities]
    parts[-1] = amount - sum(parts[:-1], ZERO)
    return parts


def batch_money(
    lines: Sequence[PricedLine], batches: Sequence[Batch], charges: BatchMoney | None = None
) -> list[BatchMoney]:
    """Each batch's net and tax: its share of every line's net and tax, by quantity; the
    order's own charges (shipping) go with the first batch, which opens the account."""
    nets = [ZERO for _ in batches]
    taxes = [ZERO for _ in batches]
    if charges is not None and batches:
        nets[0], taxes[0] = charges.net, charges.tax
    for line in lines:
        quantities = [b.quantities.get(line.sku, 0) for b in batches]
        for k, (n, t) in enumerate(
            zip(_shares(line.net, quantities), _shares(line.tax, quantities), strict=True)
        ):
            nets[k] += n
            taxes[k] += t
    return [BatchMoney(n, t) for n, t in zip(nets, taxes, strict=True)]
