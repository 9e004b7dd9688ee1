"""Payment terms an order can carry."""

from enum import StrEnum


class PaymentMethod(StrEnum):
    PREPAID = "prepaid"
    COD = "cod"
    CREDIT = "credit"
