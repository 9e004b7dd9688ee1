"""Why an order was cancelled: a closed list, so cancellations can be counted and audited."""

from enum import StrEnum


class CancelReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_FAILED = "payment_failed"
    FRAUD_SUSPECTED = "fraud_suspected"
    DUPLICATE = "duplicate"
    OTHER = "other"
