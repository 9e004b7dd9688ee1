"""Notifications really sent, on the dev server: the notifier workflow delivers the outbox to a
real SMTP server (aiosmtpd) that refuses the first tries, retries with backoff until it takes
them; a message refused every time becomes a dead letter listed by the API, retried by hand
and then delivered."""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import update
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.mail import SmtpMailer
from activities.notifier import NotifierActivities
from db.engine import SessionFactory
from db.models import Notification
from stack.processes import free_port
from tests.harness import Desk, eventually, new_customer, open_desk
from workflows.notifier import NotifierWorkflow


class FlakyInbox:
    """An SMTP server's handler: refuses the first `fail_first` messages (451, try later) and
    every message to an address in `refused` (550); keeps what it accepts."""

    def __init__(self, fail_first: int) -> None:
        self.fail_left = fail_first
        self.refused: set[str] = set()
        self.accepted: list[Message] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 try again later"
        content = envelope.original_content or b""
        self.accepted.append(message_from_bytes(content, policy=policy.default))
        return "250 accepted"

    def subjects_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.accepted if m["To"] == address]


@asynccontextmanager
async def notifier_running(client: Client, notifier: NotifierActivities) -> AsyncIterator[None]:
    """The notifier workflow on a queue of its own, polling every 0.2 s, with these
    activities (a mailer of the test's choice); terminated afterwards."""
    queue = f"notifier-{uuid.uuid4().hex[:8]}"
    activities = [notifier.deliver_notifications, notifier.deliver_webhooks]
    async with Worker(
        client, task_queue=queue, workflows=[NotifierWorkflow], activities=activities
    ):
        handle = await client.start_workflow(
            NotifierWorkflow.run, 0.2, id=f"notifier-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        try:
            yield
        finally:
            await handle.terminate("test over")


@pytest.fixture
def inbox() -> Iterator[tuple[FlakyInbox, int]]:
    handler = FlakyInbox(fail_first=2)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        # Messages earlier tests left in this database are not this test's to send.
        async with sessions.begin() as session:
            await session.execute(
                update(Notification)
                .where(Notification.status == "pending")
                .values(status="skipped")
            )
        yield desk


async def test_the_outbox_is_delivered_with_retries_and_dead_letters(
    desk: Desk, inbox: tuple[FlakyInbox, int], sessions: SessionFactory
) -> None:
    handler, port = inbox
    mailer = SmtpMailer("127.0.0.1", port, "orders@orderflow.example", starttls=False)
    notifier = NotifierActivities(sessions, mailer, max_attempts=3, backoff=timedelta(seconds=0.2))
    client = desk.env.client
    sku = await desk.product(price="10.00", stock=5)
    customer = new_customer()
    del customer["language"]  # a customer in Berlin: German unless they chose otherwise
    customer["email"] = good = f"buyer-{uuid.uuid4().hex[:6]}@kunde.example"
    body = {
        "channel": "web",
        "customer": customer,
        "lines": [{"sku": sku, "quantity": 1}],
        "shipping": {"method": "standard"},
        "payment": {"method": "prepaid"},
    }
    order_id = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    # A second customer whose mailbox does not exist.
    customer["email"] = bad = f"gone-{uuid.uuid4().hex[:6]}@kunde.example"
    handler.refused.add(bad)
    lost = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    await desk.status_is(lost, "AWAITING_PAYMENT")
    async with notifier_running(client, notifier):

        async def delivered() -> bool:
            return len(handler.subjects_to(good)) == 2

        await eventually(delivered, timeout=30)
        # In German: the customer lives in Berlin. Received, then confirmed with a date.
        assert handler.subjects_to(good) == [
            f"Ihre Bestellung {order_id} ist eingegangen",
            f"Bestellung {order_id} ist bestätigt",
        ]

        # Marked sent when the batch's transaction commits, just after the server took them.
        async def marked() -> Any:
            rows = await desk.ok("admin", "GET", f"/notifications?order_id={order_id}")
            return rows if {n["status"] for n in rows} == {"sent"} else None

        sent = await eventually(marked, timeout=30)
        # The server refused the first two tries (451): each message failed once, then went.
        assert [n["attempts"] for n in sent] == [1, 1]

        async def dead() -> list[dict[str, Any]]:
            rows = await desk.ok("service", "GET", f"/notifications?status=dead&order_id={lost}")
            return rows if len(rows) == 2 else []

        letters = await eventually(dead, timeout=30)
        assert all(n["attempts"] == 3 and "550" in n["last_error"] for n in letters)
        # Fixed (the mailbox exists again) and retried by hand: delivered.
        handler.refused.discard(bad)
        forbidden = await desk.call("service", "POST", f"/notifications/{letters[0]['id']}/retry")
        assert forbidden.status_code == 403
        for letter in letters:
            again = await desk.ok("admin", "POST", f"/notifications/{letter['id']}/retry")
            assert (again["status"], again["attempts"]) == ("pending", 0)
        twice = await desk.call("admin", "POST", f"/notifications/{letters[0]['id']}/retry")
        assert twice.status_code == 409

        async def recovered() -> bool:
            return len(handler.subjects_to(bad)) == 2

        await eventually(recovered, timeout=30)
