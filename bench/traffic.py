"""Orders of a realistic mix through the API over HTTP, and the people who move them along:
approvers deciding after a delay, finance booking payments, the warehouse receiving stock for
shortages. Used by the benchmark's load generator and by the fault tests.

Kinds of order (the mix gives each a share):
- `cod`: cash on delivery, auto-approved; the simulated carrier delivers and collects.
- `prepaid`: auto-approved, paid by card once it waits for payment.
- `credit`: on credit terms; a customer's first such order needs finance, later ones pass;
  paid once delivered.
- `one_approval`: 15 % below the catalogue price: a sales supervisor approves.
- `two_approvals`: above 10,000 and discounted: a manager and a sales supervisor approve.
- `shortage`: more than the stock on hand; waits until the warehouse receives the rest.
"""

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from domain.status import FINAL_STATUSES

KINDS = ("cod", "prepaid", "credit", "one_approval", "two_approvals", "shortage")
# The desk's usual day: most orders pass on their own.
REALISTIC_MIX = {
    "cod": 0.45,
    "prepaid": 0.25,
    "credit": 0.15,
    "one_approval": 0.08,
    "two_approvals": 0.04,
    "shortage": 0.03,
}
# Who decides at each approval level (managers twice for two-manager rules: four eyes).
APPROVERS = {
    "sales_supervisor": ["supervisor"],
    "manager": ["manager", "manager2"],
    "finance": ["finance"],
}
ENDED = {s.value for s in FINAL_STATUSES}
PRICE = Decimal("20.00")
BIG_PRICE = Decimal("6000.00")


def customer_body(n: int) -> dict[str, Any]:
    return {
        "name": f"Bench Kunde {n} GmbH",
        "email": f"buyer{n}@kunde.example",
        "phone": "+49 30 901820",
        "address": {
            "line1": "Alexanderplatz 1",
            "city": "Berlin",
            "postal_code": "10178",
            "country": "DE",
        },
        "language": "en",
    }


def kinds(mix: dict[str, float], seed: int = 7) -> Iterator[str]:
    """An endless stream of order kinds in the mix's shares (seeded: runs are comparable)."""
    rng = random.Random(seed)
    names, weights = list(mix), list(mix.values())
    while True:
        yield rng.choices(names, weights)[0]


@dataclass
class Placed:
    order_id: str
    kind: str
    latency: float  # seconds of POST /orders
    placed_at: float  # time.monotonic()
    placed_wall: float = field(default_factory=time.time)
    done_at: float | None = None
    status: str = "RECEIVED"
    # What its approvals said at the last look (to tell why an order is stuck).
    approvals: list[tuple[str, str, str | None]] = field(default_factory=list)


@dataclass
class Traffic:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    approval_delay: float = 1.0
    skus: list[str] = field(default_factory=list)
    short_sku: str = ""
    customers: list[str] = field(default_factory=list)
    # Customers of large orders: their usual is large, so no typo guard asks them.
    big_customers: list[str] = field(default_factory=list)
    approval_latencies: list[float] = field(default_factory=list)
    orders: dict[str, Placed] = field(default_factory=dict)
    _acted: dict[str, float] = field(default_factory=dict)
    _restocked: set[str] = field(default_factory=set)
    # Orders nobody acts on (left to their timers), though still watched.
    hold: set[str] = field(default_factory=set)
    # Send the carrier's scans as webhooks (when the simulated carrier is off).
    carrier_webhooks: bool = False

    async def call(self, user: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def ok(self, user: str, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.call(user, method, url, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json()

    async def prepare(self, skus: int = 4, stock: int = 100_000, customers: int = 20) -> None:
        """A catalogue with plenty of stock, one short sku, and customers on credit terms."""
        tag = uuid.uuid4().hex[:6]
        for n in range(skus + 1):
            sku = f"BENCH-{tag}-{n}"
            await self.ok(
                "admin",
                "POST",
                "/products",
                json={"sku": sku, "name": f"Bench item {n}", "unit_price": str(PRICE),
                      "weight_kg": "1.0"},
            )  # fmt: skip
            if n < skus:
                await self.receive(sku, stock)
                self.skus.append(sku)
            else:
                self.short_sku = sku
        for n in range(customers + 4):
            body = await self.ok("sales1", "POST", "/customers", json=customer_body(n))
            await self.ok(
                "finance",
                "PUT",
                f"/customers/{body['id']}/credit",
                json={"credit_limit": "10000000"},
            )
            (self.customers if n < customers else self.big_customers).append(body["id"])

    async def receive(self, sku: str, quantity: int) -> None:
        await self.ok(
            "warehouse",
            "POST",
            "/inventory/receipts",
            json={"sku": sku, "warehouse": "WH1", "quantity": quantity},
        )

    def body(self, kind: str, n: int) -> dict[str, Any]:
        sku = self.skus[n % len(self.skus)]
        customer = self.customers[n % len(self.customers)]
        line: dict[str, Any] = {"sku": sku, "quantity": 1}
        payment = {"cod": "cod", "prepaid": "prepaid", "credit": "credit"}.get(kind, "prepaid")
        if kind == "one_approval":
            line["unit_price"] = str(PRICE * Decimal("0.85"))
        elif kind == "two_approvals":
            customer = self.big_customers[n % len(self.big_customers)]
            line = {"sku": sku, "quantity": 600, "unit_price": str(PRICE * Decimal("0.85"))}
        elif kind == "shortage":
            line = {"sku": self.short_sku, "quantity": 1}
        return {
            "channel": "web",
            "external_ref": f"bench-{uuid.uuid4().hex[:12]}",
            "customer": {"id": customer},
            "lines": [line],
            "shipping": {"method": "standard"},
            "payment": {"method": payment},
            "on_shortage": "backorder",
        }

    async def place(self, kind: str, n: int, key: str | None = None) -> Placed:
        """One order, retried with its key until the API takes it (as an upstream would)."""
        body = self.body(kind, n)
        headers = {"Idempotency-Key": key or f"bench-{uuid.uuid4().hex}"}
        while True:
            started = time.monotonic()
            try:
                response = await self.call("shop", "POST", "/orders", json=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            latency = time.monotonic() - started
            if response.status_code in (200, 201):
                break
            if response.status_code < 500:
                raise RuntimeError(f"order refused: {response.status_code} {response.text}")
            await asyncio.sleep(0.5)
        placed = Placed(response.json()["order_id"], kind, latency, started)
        self.orders[placed.order_id] = placed
        return placed

    def open_orders(self) -> list[Placed]:
        return [p for p in self.orders.values() if p.done_at is None]

    async def advance(self, placed: Placed) -> None:
        """Looks at one order and does what a person would now: approve, pay, receive."""
        try:
            response = await self.call("admin", "GET", f"/orders/{placed.order_id}")
        except httpx.TransportError:
            return
        if response.status_code != 200:
            return
        await self.act(placed, response.json())

    async def act(self, placed: Placed, order: dict[str, Any]) -> None:
        """What a person does now, given the order as GET /orders/{id} shows it (the bench
        builds that view from the database, to keep its polling off the API)."""
        placed.status = order["status"]
        placed.approvals = [(a["level"], a["status"], a["decided_by"]) for a in order["approvals"]]
        if placed.status in ENDED:
            placed.done_at = time.monotonic()
            return
        since = self._acted.get(placed.order_id)
        if placed.order_id in self.hold:
            return
        if since is not None and time.monotonic() - since < 2.0:
            return  # acted a moment ago: let the workflow catch up
        if placed.status == "AWAITING_APPROVAL":
            await self._approve(placed, order)
        elif placed.status == "AWAITING_PAYMENT":
            await self._pay(placed, order, Decimal(order["totals"]["total"]))
        elif placed.status in ("DELIVERED", "AWAITING_SETTLEMENT"):
            # Credit terms: finance books the customer's transfer once the goods arrived.
            owed = sum((Decimal(i["open_amount"]) for i in order["invoices"]), Decimal(0))
            await self._pay(placed, order, owed)
        elif placed.status == "AWAITING_STOCK" and placed.order_id not in self._restocked:
            await self._restock(placed)
        elif placed.status in ("SHIPPED", "PARTIALLY_SHIPPED") and self.carrier_webhooks:
            await self._carrier_scans(placed, order)

    async def _carrier_scans(self, placed: Placed, order: dict[str, Any]) -> None:
        """The carrier's webhooks: picked up, then delivered (with the cash it collected)."""
        for shipment in order["shipments"]:
            tracking = shipment["tracking_number"]
            if not tracking or shipment["status"] in ("delivered", "lost"):
                continue
            cod = (
                {"cod_amount": order["totals"]["total"]} if order["payment_method"] == "cod" else {}
            )
            for event, extra in (("picked_up", {}), ("delivered", cod)):
                body = {"event": event, "tracking_number": tracking, **extra}
                try:
                    await self.call(
                        "shop", "POST", f"/orders/{placed.order_id}/shipment-events", json=body
                    )
                except httpx.TransportError:
                    return
        self._acted[placed.order_id] = time.monotonic()

    async def _approve(self, placed: Placed, order: dict[str, Any]) -> None:
        if time.monotonic() - placed.placed_at < self.approval_delay:
            return
        for approval in order["approvals"]:
            if approval["status"] != "pending" or not approval["current_level"]:
                continue
            for user in APPROVERS.get(approval["current_level"], []):
                started = time.monotonic()
                try:
                    response = await self.call(
                        user,
                        "POST",
                        f"/orders/{placed.order_id}/approvals",
                        json={
                            "decision": "approve",
                            # A new click, a new decision (the API picks the level).
                            "decision_id": f"{user}-{uuid.uuid4().hex}",
                        },
                    )
                except httpx.TransportError:
                    continue
                if response.status_code < 300:
                    self.approval_latencies.append(time.monotonic() - started)
                    self._acted[placed.order_id] = time.monotonic()
                    return

    async def _pay(self, placed: Placed, order: dict[str, Any], amount: Decimal) -> None:
        owed = amount - sum((Decimal(p["amount"]) for p in order["payments"]), Decimal(0))
        if order["payment_method"] != "prepaid":
            owed = amount
        if owed <= 0:
            return
        # One reference per payment: a retry after a lost answer books it once.
        reference = f"pay-{placed.order_id}-{len(order['payments'])}"
        try:
            response = await self.call(
                "finance",
                "POST",
                f"/orders/{placed.order_id}/payments",
                json={"reference": reference, "amount": str(owed),
                      "method": "card"},
            )  # fmt: skip
        except httpx.TransportError:
            return
        if response.status_code < 300:
            self._acted[placed.order_id] = time.monotonic()

    async def _restock(self, placed: Placed) -> None:
        try:
            await self.receive(self.short_sku, 1)
        except (httpx.TransportError, RuntimeError):
            return
        self._restocked.add(placed.order_id)
        self._acted[placed.order_id] = time.monotonic()

    async def advance_all(self, parallel: int = 20) -> int:
        """One look at every open order (at most `parallel` at once); how many are open."""
        gate = asyncio.Semaphore(parallel)

        async def one(placed: Placed) -> None:
            async with gate:
                await self.advance(placed)

        await asyncio.gather(*(one(p) for p in self.open_orders()))
        return len(self.open_orders())

    async def until_all_ended(self, timeout: float, every: float = 0.5) -> None:
        deadline = time.monotonic() + timeout
        while await self.advance_all():
            if time.monotonic() > deadline:
                waiting = {p.order_id: (p.kind, p.status, p.approvals) for p in self.open_orders()}
                raise TimeoutError(f"{len(waiting)} orders still open: {waiting}")
            await asyncio.sleep(every)
