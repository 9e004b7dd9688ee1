"""The policy's durations go out in a form JSON Schema's `duration` format accepts (the
fuzzer found pydantic's "P1Y31D" refused) and come back as the same duration."""

from datetime import timedelta

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from domain.durations import Duration, rfc3339_duration

CHECK = jsonschema_rs.validator_for({"type": "string", "format": "duration"}, validate_formats=True)
ADAPTER: TypeAdapter[timedelta] = TypeAdapter(Duration)

whole = st.integers(min_value=0, max_value=10**9).map(lambda s: timedelta(seconds=s))


@given(whole)
def test_every_whole_duration_is_written_by_the_rfc_and_read_back(d: timedelta) -> None:
    text = rfc3339_duration(d)
    assert CHECK.is_valid(text), text
    assert ADAPTER.validate_python(text) == d


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (timedelta(days=396), "P396D"),
        (timedelta(days=1, hours=2), "P1DT2H"),
        (timedelta(hours=1, seconds=5), "PT1H0M5S"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(0), "PT0S"),
    ],
)
def test_known_durations_read_as_people_write_them(d: timedelta, text: str) -> None:
    assert ADAPTER.dump_python(d, mode="json") == text


def test_a_year_and_a_month_are_read_and_written_as_days() -> None:
    assert ADAPTER.dump_python(ADAPTER.validate_python("P1Y1M1D"), mode="json") == "P396D"


@pytest.mark.parametrize("text", ["-P1D", "PT0.5S"])
def test_negative_and_fractional_durations_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(text)
