"""Payment terms an order can carry."""

from enum import StrEnum


class PaymentMethod(StrEnum):
    PREPAID = "prepaid"
    COD = "cod"
    CREDIT = "credit"
    # Credit paid in parts on a schedule (domain/installments.py).
    INSTALLMENTS = "installments"


# The goods leave before the money: the customer's credit line carries the order (credit
# limit, exposure, credit hold and dunning apply).
ON_ACCOUNT = frozenset({PaymentMethod.CREDIT, PaymentMethod.INSTALLMENTS})
