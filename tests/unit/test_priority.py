"""Priority from the policy's rules: the most urgent matching rule wins; normal otherwise."""

from datetime import date
from decimal import Decimal

import pytest

from domain.priority import DEFAULT_PRIORITY_RULES, Priority, PriorityFacts, priority_of

TODAY = date(2026, 11, 28)


def facts(**overrides: object) -> PriorityFacts:
    base: dict[str, object] = {
        "tier": "standard",
        "total": Decimal("100"),
        "shipping_method": "standard",
        "requested_delivery": None,
        "today": TODAY,
    }
    return PriorityFacts(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Priority.NORMAL),
        ({"tier": "vip"}, Priority.HIGH),
        ({"total": Decimal("10000")}, Priority.HIGH),
        ({"total": Decimal("9999.99")}, Priority.NORMAL),
        ({"shipping_method": "express"}, Priority.URGENT),
        ({"requested_delivery": date(2026, 11, 30)}, Priority.URGENT),  # 2 days ahead
        ({"requested_delivery": date(2026, 12, 1)}, Priority.NORMAL),  # 3 days ahead
        # The most urgent match wins, whatever the order of the rules.
        ({"tier": "vip", "shipping_method": "express"}, Priority.URGENT),
    ],
)
def test_default_rules(overrides: dict[str, object], expected: Priority) -> None:
    assert priority_of(DEFAULT_PRIORITY_RULES, facts(**overrides)) == expected
    assert priority_of(tuple(reversed(DEFAULT_PRIORITY_RULES)), facts(**overrides)) == expected


def test_no_rules_means_every_order_is_normal() -> None:
    assert priority_of([], facts(tier="vip", shipping_method="express")) == Priority.NORMAL
