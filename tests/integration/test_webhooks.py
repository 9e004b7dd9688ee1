"""Outgoing webhooks on the dev server: an upstream system subscribes, its receiver fails the
first tries and is retried until it takes each event (the same event id every time), the
signature checks out by an independent computation, and a receiver that keeps failing gets
dead letters that are retried by hand once it is back."""

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import text, update
from temporalio.testing import WorkflowEnvironment

from activities.mail import OutboxSink
from activities.notifier import NotifierActivities
from db.engine import SessionFactory
from db.models import WebhookDelivery, WebhookSubscription
from stack.processes import free_port
from tests.harness import Desk, eventually, open_desk
from tests.integration.test_notifier import notifier_running

SECRET = "s3cret-for-the-shop-0123456789"


class Receiver:
    """An upstream system's endpoint: answers 500 to the first `fail_first` requests (or to
    all while `down`), keeps every request it accepts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_left = fail_first
        self.down = False
        self.accepted: list[tuple[dict[str, str], bytes]] = []
        self.seen_ids: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen_ids.append(request.headers.get("Orderflow-Event-Id", ""))
        if self.down or self.fail_left > 0:
            self.fail_left -= 1
            return web.Response(status=500)
        self.accepted.append((dict(request.headers), body))
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, Receiver, int]]:
    flaky, broken = Receiver(fail_first=2), Receiver()
    broken.down = True
    app = web.Application()
    app.router.add_post("/flaky", flaky.handle)
    app.router.add_post("/broken", broken.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield flaky, broken, port
    finally:
        await runner.cleanup()


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        # Other tests' subscriptions are not this test's to deliver.
        async with sessions.begin() as session:
            await session.execute(update(WebhookSubscription).values(active=False))
        yield desk


def verified(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The receiver's own check, written from the documented format, not from our code."""
    fields = dict(part.split("=", 1) for part in headers["Orderflow-Signature"].split(","))
    expected = hmac.new(
        SECRET.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    event: dict[str, Any] = json.loads(body)
    assert event["id"] == headers["Orderflow-Event-Id"]
    return event


async def test_webhooks_are_signed_retried_and_dead_lettered(
    desk: Desk, receiver: tuple[Receiver, Receiver, int], sessions: SessionFactory
) -> None:
    flaky, broken, port = receiver
    events = ["order.status_changed", "payment.recorded"]
    async with sessions.begin() as session:
        # What earlier tests' subscriptions (the schema fuzz's among them, to addresses nobody
        # serves) still have to deliver is not this test's: out of its 30 s.
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 day' "
                "WHERE status = 'pending'"
            )
        )
    bad = await desk.call(
        "admin",
        "POST",
        "/webhooks/subscriptions",
        json={"url": "ftp://nope", "events": events, "secret": SECRET},
    )
    assert bad.status_code == 422 and "url" in bad.text
    short = {"url": f"http://127.0.0.1:{port}/flaky", "events": events, "secret": "short"}
    assert (
        await desk.call("admin", "POST", "/webhooks/subscriptions", json=short)
    ).status_code == 422
    assert (
        await desk.call("shop", "POST", "/webhooks/subscriptions", json=short)
    ).status_code == 403
    good = await desk.ok(
        "admin",
        "POST",
        "/webhooks/subscriptions",
        json={"url": f"http://127.0.0.1:{port}/flaky", "events": events, "secret": SECRET},
    )
    assert "secret" not in good
    dead_end = await desk.ok(
        "admin",
        "POST",
        "/webhooks/subscriptions",
        json={
            "url": f"http://127.0.0.1:{port}/broken",
            "events": ["payment.recorded"],
            "secret": SECRET,
        },
    )
    sku = await desk.product(price="10.00", stock=5)
    order_id = await desk.order(sku, 1, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    payment = {"reference": f"p-{order_id}", "amount": "11.90", "method": "card"}
    await desk.ok("finance", "POST", f"/orders/{order_id}/payments", json=payment)

    notifier = NotifierActivities(
        sessions, OutboxSink(), max_attempts=3, backoff=timedelta(seconds=0.2)
    )
    client = desk.env.client
    async with notifier_running(client, notifier):
        wanted = {
            ("order.status_changed", "RECEIVED", "UNDER_REVIEW"),
            ("order.status_changed", "UNDER_REVIEW", "AWAITING_PAYMENT"),
            ("payment.recorded", None, None),
        }

        async def all_delivered() -> list[dict[str, Any]]:
            got = [verified(h, b) for h, b in flaky.accepted]
            seen = {
                (e["type"], e["data"].get("from"), e["data"].get("to"))
                for e in got
                if e["data"]["order_id"] == order_id
            }
            return got if wanted <= seen else []

        # Delivered in any order: the first tries of some were refused and retried later.
        got = await eventually(all_delivered, timeout=30)
        mine = [e for e in got if e["data"]["order_id"] == order_id]
        [paid] = [e for e in mine if e["type"] == "payment.recorded"]
        assert paid["data"]["amount"] == "11.90"
        # Refused twice (500): the retries carried the same event id, so nothing is new twice.
        ids = [e["id"] for e in got]
        assert len(ids) == len(set(ids))
        for refused in flaky.seen_ids[:2]:
            assert flaky.seen_ids.count(refused) >= 2 and refused in ids

        async def dead() -> list[dict[str, Any]]:
            rows = await desk.ok(
                "admin", "GET", f"/webhooks/deliveries?status=dead&subscription_id={dead_end['id']}"
            )
            return list(rows)

        [letter] = await eventually(dead, timeout=30)
        assert (letter["attempts"], letter["response_status"]) == (3, 500)
        broken.down = False
        again = await desk.ok("admin", "POST", f"/webhooks/deliveries/{letter['id']}/retry")
        assert again["status"] == "pending"

        async def recovered() -> bool:
            return len(broken.accepted) == 1

        await eventually(recovered, timeout=30)
        assert verified(*broken.accepted[0])["id"] == letter["event_id"]
    # Every event the receiver took is marked sent; the order's later events (it moves on after
    # the payment) may still be pending when the notifier stops, but none is dead.
    books = await desk.ok("admin", "GET", f"/webhooks/deliveries?subscription_id={good['id']}")
    status = {d["event_id"]: d["status"] for d in books}
    assert {status[event_id] for event_id in ids} == {"sent"}
    assert "dead" not in status.values()


async def test_a_dead_subscribers_backlog_does_not_starve_the_others(
    receiver: tuple[Receiver, Receiver, int], sessions: SessionFactory
) -> None:
    """40 deliveries due to an endpoint that is down, queued before one to a live endpoint:
    the next batch of 20 still carries the live one (each subscriber gets its share)."""
    flaky, _, port = receiver
    flaky.fail_left = 0
    async with sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 day' "
                "WHERE status = 'pending'"
            )
        )
        dead = WebhookSubscription(
            url=f"http://127.0.0.1:{port}/broken",
            events=["payment.recorded"],
            secret=SECRET,
            created_by="admin",
        )
        live = WebhookSubscription(
            url=f"http://127.0.0.1:{port}/flaky",
            events=["payment.recorded"],
            secret=SECRET,
            created_by="admin",
        )
        session.add_all([dead, live])
        await session.flush()
        for n in range(40):
            session.add(
                WebhookDelivery(
                    event_id=str(uuid.uuid4()),
                    subscription_id=dead.id,
                    event="payment.recorded",
                    payload={"order_id": f"backlog-{n}"},
                )
            )
        await session.flush()
        live_event = str(uuid.uuid4())
        session.add(
            WebhookDelivery(
                event_id=live_event,
                subscription_id=live.id,
                event="payment.recorded",
                payload={"order_id": "fresh"},
            )
        )
    notifier = NotifierActivities(sessions, OutboxSink(), max_attempts=3)
    assert await notifier.deliver_webhooks(20) <= 20
    assert [json.loads(body)["id"] for _, body in flaky.accepted] == [live_event]
    async with sessions.begin() as session:
        await session.execute(
            text("UPDATE webhook_deliveries SET status = 'dead' WHERE subscription_id = :s"),
            {"s": dead.id},
        )
