"""Durations as the API reads and writes them: RFC 3339 (appendix A) durations, which JSON
Schema's `duration` format checks. That grammar has no fractions, no sign, and no days right
after years; pydantic's own output ("P1Y31D" for 396 days) breaks the last rule, so we write
whole days and a time part, and accept only whole, non-negative seconds.
"""

from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


def rfc3339_duration(d: timedelta) -> str:
    """`P396DT1H30M`, `PT1H0M5S` (the grammar wants the minutes between), `PT0S`."""
    hours, rest = divmod(d.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    time = ""
    if hours:
        time = f"{hours}H" + (f"{minutes}M" if minutes or seconds else "")
    elif minutes:
        time = f"{minutes}M"
    if seconds:
        time += f"{seconds}S"
    if not d.days and not time:
        return "PT0S"
    return "P" + (f"{d.days}D" if d.days else "") + (f"T{time}" if time else "")


def _whole_and_not_negative(d: timedelta) -> timedelta:
    if d < timedelta(0):
        raise ValueError("a duration is not negative")
    if d.microseconds:
        raise ValueError("a duration counts whole seconds")
    return d


Duration = Annotated[
    timedelta,
    AfterValidator(_whole_and_not_negative),
    PlainSerializer(rfc3339_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration"}),
]
