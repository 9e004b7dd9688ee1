"""Outgoing webhooks: the events upstream systems subscribe to, and the signature each
delivery carries. Pure; the subscriptions and deliveries are in db/webhooks.py.

Signature (the `Orderflow-Signature` header): `t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256 with the subscription's secret over `"<t>.<raw body>"`. A receiver recomputes it
over the body exactly as received, compares in constant time, and refuses a `t` too old (say
five minutes) against replays. `Orderflow-Event-Id` (also the body's `id`) is the same on
every retry of one event: receivers deduplicate by it.
"""

import hashlib
import hmac
from enum import StrEnum


class WebhookEvent(StrEnum):
    ORDER_STATUS_CHANGED = "order.status_changed"
    INVOICE_ISSUED = "invoice.issued"
    PAYMENT_RECORDED = "payment.recorded"


SIGNATURE_HEADER = "Orderflow-Signature"
EVENT_ID_HEADER = "Orderflow-Event-Id"
EVENT_HEADER = "Orderflow-Event"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
