"""Every message kind renders in English and German from the parameters its writers give,
and a customer's language follows their country unless they chose one."""

from datetime import date
from decimal import Decimal

import pytest
from jinja2 import UndefinedError

from domain.carrier import ShippingMethod
from domain.customer_messages import (
    CUSTOMER_STATUS,
    STATUS_MESSAGES,
    expected_delivery,
    tracking_page,
)
from domain.message_templates import LANGUAGES, TEMPLATES, language_for, render
from domain.status import OrderStatus

PARAMS = {
    "order": "ord-1",
    "total": Decimal("119.00"),
    "currency": "EUR",
    "expected": date(2026, 12, 3),
    "awaiting_payment": True,
    "what": {"en": "Invoice INV-2026-000001", "de": "Rechnung INV-2026-000001"},
    "link": "http://localhost:8000/confirmations/x",
    "until": "2026-12-01 10:00",
    "parcels": [{"tracking": "PP123", "carrier": "parcelpost", "page": "https://t/PP123"}],
    "invoice": "INV-2026-000001",
    "due": date(2026, 12, 28),
    "amount": Decimal("59.50"),
    "level": "finance",
    "deadline": "2026-12-01 10:00",
    "reasons": "first order on credit terms",
    "reminder": False,
    "why": "cancellation requested",
    "customer": "Acme GmbH",
    "sku": "LAMP-01",
    "available": 3,
    "point": 10,
    "method": "standard",
    "delegator": "manager",
    "since": "2026-12-01 00:00",
}


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_renders_in_every_language(kind: str, language: str) -> None:
    subject, body = render(kind, language, PARAMS)
    assert subject and body and "{{" not in subject + body


def test_a_missing_parameter_is_an_error_not_a_blank() -> None:
    with pytest.raises(UndefinedError):
        render("invoice_issued", "en", {"order": "ord-1"})


def test_german_and_english_say_the_same_thing() -> None:
    en = render("shipped", "en", PARAMS)[1]
    de = render("shipped", "de", PARAMS)[1]
    assert "PP123" in en and "https://t/PP123" in en and "PP123" in de
    assert render("order_confirmed", "de", PARAMS)[1].endswith("nach Zahlungseingang.")


@pytest.mark.parametrize(
    ("given", "country", "language"),
    [
        (None, "DE", "de"),
        (None, "AT", "de"),
        (None, "NL", "en"),
        ("en", "DE", "en"),
        ("xx", "CH", "de"),
    ],
)
def test_language_follows_the_country_unless_chosen(
    given: str | None, country: str, language: str
) -> None:
    assert language_for(given, country) == language


def test_every_status_message_has_a_template_and_a_tracking_page() -> None:
    assert set(STATUS_MESSAGES.values()) <= set(TEMPLATES)
    assert tracking_page("parcelpost", "PP1") == "https://track.parcelpost.example/PP1"
    assert tracking_page("pickup", "X") is None
    assert expected_delivery(date(2026, 12, 1), ShippingMethod.EXPRESS, None) == date(2026, 12, 2)
    assert expected_delivery(
        date(2026, 12, 1), ShippingMethod.STANDARD, date(2026, 12, 10)
    ) == date(2026, 12, 15)


def test_the_tracking_page_has_customer_words_for_every_status() -> None:
    assert set(CUSTOMER_STATUS) == set(OrderStatus)
    # The desk's own verdicts stay inside: a rejected order reads as cancelled.
    assert CUSTOMER_STATUS[OrderStatus.REJECTED] == CUSTOMER_STATUS[OrderStatus.CANCELLED]


@pytest.mark.parametrize(("language", "words"), [("en", "Follow your order"), ("de", "verfolgen")])
def test_a_confirmation_carries_its_tracking_link_when_there_is_one(
    language: str, words: str
) -> None:
    params = {"order": "o-1", "total": "10.00", "currency": "EUR", "expected": "2026-12-09"}
    link = "http://localhost:8000/track/abc.def.ghi"
    with_link = render(
        "order_confirmed", language, {**params, "awaiting_payment": False, "track": link}
    )[1]
    assert f"{words}: {link}" in with_link
    without = render("order_confirmed", language, {**params, "awaiting_payment": False})[1]
    assert "/track/" not in without
