"""The allocation rule: whole order from one warehouse, the nearest; else split, nearest first."""

import pytest

from domain.allocation import (
    FARTHEST,
    ZoneRow,
    allocate,
    allocate_available,
    nearest_first,
    zone_of,
)

ZONES = [
    ZoneRow("MUC", "DE", "", 2),
    ZoneRow("MUC", "DE", "8", 1),
    ZoneRow("HAM", "DE", "", 2),
    ZoneRow("HAM", "DE", "2", 1),
    ZoneRow("HAM", "DE", "20", 0),
    ZoneRow("HAM", "NL", "", 2),
]


@pytest.mark.parametrize(
    ("warehouse", "country", "postal", "zone"),
    [
        ("MUC", "DE", "80331", 1),  # prefix 8
        ("MUC", "DE", "20095", 2),  # whole country
        ("HAM", "DE", "20095", 0),  # the longest prefix decides
        ("HAM", "DE", "21073", 1),
        ("HAM", "nl", "1012 LG", 2),  # case and spaces do not matter
        ("MUC", "NL", "1012 LG", FARTHEST),  # no row for the country
    ],
)
def test_zone_of_a_destination(warehouse: str, country: str, postal: str, zone: int) -> None:
    assert zone_of(ZONES, warehouse, country, postal) == zone


def test_nearest_first_breaks_ties_by_code() -> None:
    assert nearest_first(["MUC", "HAM"], ZONES, "DE", "80331") == ["MUC", "HAM"]
    assert nearest_first(["MUC", "HAM"], ZONES, "DE", "20095") == ["HAM", "MUC"]
    assert nearest_first(["MUC", "HAM"], ZONES, "DE", "50667") == ["HAM", "MUC"]  # both zone 2


@pytest.mark.parametrize(
    ("needs", "available", "ranked", "takes", "shortages"),
    [
        # The nearest warehouse serves the whole order: one parcel.
        (
            {"A": 2, "B": 1},
            {("A", "MUC"): 5, ("B", "MUC"): 5, ("A", "HAM"): 5, ("B", "HAM"): 5},
            ["HAM", "MUC"],
            {("A", "HAM"): 2, ("B", "HAM"): 1},
            {},
        ),
        # The nearer one cannot serve it all, a farther one can: still one parcel, from there.
        (
            {"A": 2, "B": 1},
            {("A", "HAM"): 2, ("A", "MUC"): 5, ("B", "MUC"): 1},
            ["HAM", "MUC"],
            {("A", "MUC"): 2, ("B", "MUC"): 1},
            {},
        ),
        # Nobody has it all: split, each line from the nearest first.
        (
            {"A": 3, "B": 1},
            {("A", "HAM"): 2, ("A", "MUC"): 5, ("B", "HAM"): 1},
            ["HAM", "MUC"],
            {("A", "HAM"): 2, ("A", "MUC"): 1, ("B", "HAM"): 1},
            {},
        ),
        # Short overall: nothing taken, the shortage per sku.
        (
            {"A": 8, "B": 1},
            {("A", "HAM"): 2, ("A", "MUC"): 5, ("B", "HAM"): 1},
            ["HAM", "MUC"],
            {},
            {"A": 1},
        ),
    ],
)
def test_allocate(
    needs: dict[str, int],
    available: dict[tuple[str, str], int],
    ranked: list[str],
    takes: dict[tuple[str, str], int],
    shortages: dict[str, int],
) -> None:
    result = allocate(needs, available, ranked)
    assert result.takes == takes
    assert result.shortages == shortages
    for sku, qty in needs.items():
        taken = sum(q for (s, _), q in result.takes.items() if s == sku)
        assert taken in (0, qty)
        for (s, w), q in result.takes.items():
            assert q <= available[(s, w)]


def test_allocate_available_takes_what_there_is_and_names_the_rest() -> None:
    result = allocate_available(
        {"A": 5, "B": 1, "C": 2},
        {("A", "HAM"): 2, ("A", "MUC"): 1, ("B", "MUC"): 1},
        ["HAM", "MUC"],
    )
    assert result.takes == {("A", "HAM"): 2, ("A", "MUC"): 1, ("B", "MUC"): 1}
    assert result.shortages == {"A": 2, "C": 2}


def test_allocate_available_with_enough_is_the_whole_order_rule() -> None:
    needs = {"A": 1, "B": 1}
    available = {("A", "HAM"): 1, ("A", "MUC"): 1, ("B", "MUC"): 1}
    assert allocate_available(needs, available, ["HAM", "MUC"]) == allocate(
        needs, available, ["HAM", "MUC"]
    )
