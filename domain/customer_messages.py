"""Which status changes the customer hears of, and in which message (templates in
domain/message_templates.py). Each is sent once per order: a status entered again (a second
wait for stock) tells them nothing new."""

from datetime import date, timedelta

from domain.carrier import PROMISED_DELIVERY, ShippingMethod
from domain.status import OrderStatus

S = OrderStatus
STATUS_MESSAGES: dict[OrderStatus, str] = {
    S.UNDER_REVIEW: "order_received",
    S.AWAITING_STOCK: "waiting_for_stock",
    # Approved (and holding its stock): confirmed, with the date to expect it.
    S.AWAITING_PAYMENT: "order_confirmed",
    S.READY_TO_SHIP: "order_confirmed",
    S.PICKING: "order_confirmed",
    S.PARTIALLY_SHIPPED: "shipped",
    S.SHIPPED: "shipped",
    S.DELIVERED: "delivered",
    S.CANCELLED: "order_cancelled",
}

# The carriers' public tracking pages ({tracking}: the parcel's number); pickup has none.
TRACKING_PAGES: dict[str, str] = {
    "parcelpost": "https://track.parcelpost.example/{tracking}",
    "swiftair": "https://swiftair.example/tracking?number={tracking}",
    "freightco": "https://freightco.example/track/{tracking}",
}


def tracking_page(carrier: str | None, tracking: str) -> str | None:
    page = TRACKING_PAGES.get(carrier or "")
    return page.format(tracking=tracking) if page else None


def expected_delivery(today: date, method: ShippingMethod, stock_expected: date | None) -> date:
    """When a confirmed order should arrive: its method's promise from today (or from when
    the stock it waits for is expected)."""
    start = max(today, stock_expected) if stock_expected else today
    return start + timedelta(days=PROMISED_DELIVERY[method].days or 1)


# What a customer reads of each status on the tracking page (the desk's words stay inside:
# a rejected order is cancelled to the customer, a review is a check).
CUSTOMER_STATUS: dict[OrderStatus, str] = {
    S.RECEIVED: "Received",
    S.UNDER_REVIEW: "Being checked",
    S.AWAITING_APPROVAL: "Being checked",
    S.AWAITING_STOCK: "Waiting for stock",
    S.AWAITING_CUSTOMER: "Waiting for your answer",
    S.AWAITING_PAYMENT: "Waiting for your payment",
    S.AWAITING_DEPOSIT: "Waiting for your deposit",
    S.QUEUED: "Pre-ordered: waiting for the release",
    S.SCHEDULED: "Scheduled: delivered on the agreed dates",
    S.IN_PRODUCTION: "Being made for you",
    S.READY_TO_SHIP: "Being prepared",
    S.PICKING: "Being prepared",
    S.PARTIALLY_SHIPPED: "Partly shipped",
    S.SHIPPED: "Shipped",
    S.SHIPMENT_EXCEPTION: "Delayed in transit",
    S.DELIVERED: "Delivered",
    S.AWAITING_SETTLEMENT: "Delivered",
    S.COMPLETED: "Delivered",
    S.RETURNED: "Returned",
    S.REJECTED: "Cancelled",
    S.CANCELLED: "Cancelled",
}
