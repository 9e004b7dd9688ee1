"""One-line summaries of an order's activities, shown in the Temporal UI's timeline: the
activity in words and the ids or codes that tell its calls apart (never personal data)."""

from typing import Any

# Fields of an activity's input worth naming, in the order they are shown.
_NAMED = (
    ("to", "to"),
    ("on_success", "then"),
    ("shipment_id", "shipment"),
    ("step", "step"),
    ("item", "for"),
    ("current_level", "level"),
)


def summary_of(name: str, arg: Any) -> str:
    words = name.replace("_", " ")
    parts = []
    for field, label in _NAMED:
        value = getattr(arg, field, None)
        if value is not None and not isinstance(value, dict | list):
            parts.append(f"{label} {getattr(value, 'value', value)}")
    payment = getattr(arg, "payment", None)
    if payment is not None and hasattr(payment, "reference"):
        parts.append(f"ref {payment.reference}")
    return f"{words}: {', '.join(parts)}" if parts else words
