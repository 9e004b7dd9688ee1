"""What an order does when its stock is short: the customer's choice, taken at intake and
changeable by customer service while the order waits."""

from enum import StrEnum


class ShortageChoice(StrEnum):
    # Wait for stock (up to the backorder wait), with the expected date when one is known.
    BACKORDER = "backorder"
    # Ship what is there now; the rest follows as further shipments.
    PARTIAL = "partial"
    # Propose an in-stock substitute at the same or a lower price; declined: backorder.
    SUBSTITUTE = "substitute"
    # Cancel at once (reason out_of_stock), holding nothing.
    CANCEL = "cancel"
