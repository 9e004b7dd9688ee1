"""Text the database can store, and the limits of its number columns.

PostgreSQL refuses a NUL character in text and cannot encode an unpaired UTF-16 surrogate;
both would otherwise reach an activity and fail it on every retry. The API refuses them at the
edge and the workflow's validators refuse them in messages, with the same rule.
"""

import re
from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel

# NUL, and the surrogate range that only a broken UTF-16 decoder (or a JSON \\ud800) yields.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The same rule as a JSON-schema pattern, so clients and fuzzers know it.
STORABLE_PATTERN = "^[^\\u0000\\ud800-\\udfff]*$"

# NUMERIC(14, 2): money columns; INTEGER: stock quantities.
MAX_MONEY = Decimal("999999999999.99")
MAX_QUANTITY = 2_147_483_647


class UnstorableText(ValueError):
    """Text holding a character the database cannot store."""


def unstorable_char(text: str) -> str | None:
    """The first character of text the database cannot store, as U+XXXX; None if all fit."""
    found = _UNSTORABLE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_storable(fields: Iterable[tuple[str, str | None]]) -> None:
    """Raise UnstorableText naming the first field whose text the database cannot store."""
    for name, text in fields:
        char = unstorable_char(text or "")
        if char is not None:
            raise UnstorableText(f"{name}: the character {char} is not allowed in text")


def _texts(value: object, name: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _texts(item, f"{name}.{i}")


def check_storable_message(message: BaseModel) -> None:
    """Raise UnstorableText naming the first text field of a workflow message the database
    cannot store: the workflow refuses such a message before it reaches an activity."""
    check_storable(_texts(message.model_dump(mode="python"), ""))
