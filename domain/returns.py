"""Returns and exchanges: what may be returned, within which window, and what a return is
worth. Pure rules; the records are in db/returns.py, the process in workflows/return_flow.py."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


class Resolution(StrEnum):
    REFUND = "refund"
    EXCHANGE = "exchange"


class ReturnStatus(StrEnum):
    AUTHORIZED = "authorized"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    # The goods never arrived within the wait.
    EXPIRED = "expired"


class Condition(StrEnum):
    SELLABLE = "sellable"
    DAMAGED = "damaged"


def returnable(delivered: Mapping[str, int], returned: Mapping[str, int]) -> dict[str, int]:
    """What may still come back, per sku: delivered less what earlier returns claimed."""
    return {
        sku: q - returned.get(sku, 0) for sku, q in delivered.items() if q > returned.get(sku, 0)
    }


def over_return(
    asked: list[tuple[str, int]], still_returnable: Mapping[str, int]
) -> list[tuple[int, str]]:
    """The asked lines (by index) beyond what may come back, with why."""
    errors: list[tuple[int, str]] = []
    for i, (sku, quantity) in enumerate(asked):
        left = still_returnable.get(sku, 0)
        if quantity > left:
            errors.append((i, f"{sku}: {left} may still be returned, {quantity} asked"))
    return errors


def within_window(delivered_at: datetime | None, now: datetime, window_days: int) -> bool:
    return delivered_at is not None and now <= delivered_at + timedelta(days=window_days)
