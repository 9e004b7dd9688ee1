"""The kinds of order the desk takes: each a path through the order workflow, chosen by the
order's `type` at intake and searchable as the OrderType search attribute."""

from enum import StrEnum


class OrderType(StrEnum):
    # Review, stock, approvals, payment, shipping: what every order did before the types.
    STANDARD = "standard"
    # For products not yet released: a deposit takes a place in the queue, served in order
    # once the release comes (domain/presale.py).
    PRESALE = "presale"
    # Business customers: the lines delivered in scheduled batches, each reserved a set
    # number of days before its date, shipped then and invoiced on its own (domain/bulk.py).
    BULK = "bulk"
    # Made to order: the customer signs the specification off, the plant produces it (a
    # production child workflow on the plant's events), then it ships (domain/custom.py).
    CUSTOM = "custom"
