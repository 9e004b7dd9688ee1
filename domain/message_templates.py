"""The messages the desk sends, per kind and language (English and German): subject and body
as Jinja templates over the message's parameters (a parameter that is itself words, such as
what a reminder is about, comes in both languages: `what.en`, `what.de`). Pure: db/notify.py
renders them into the outbox row when the message is written; the notifier sends what was
rendered.

A kind without a German text is sent in English; a parameter a template names but the
message lacks is an error at writing time (StrictUndefined), not a blank in a customer's mail.
"""

from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
# Where the customer's language is not given: German in the German-speaking countries.
GERMAN_SPEAKING = frozenset({"DE", "AT", "CH", "LI"})

_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

# kind -> language -> (subject, body)
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    # To customers.
    "order_received": {
        "en": (
            "We received your order {{ order }}",
            "Thank you: order {{ order }} over {{ total }} {{ currency }} is received and being "
            "checked. We will write again when it is confirmed.",
        ),
        "de": (
            "Ihre Bestellung {{ order }} ist eingegangen",
            "Vielen Dank: Bestellung {{ order }} über {{ total }} {{ currency }} ist eingegangen "
            "und wird geprüft. Wir melden uns, sobald sie bestätigt ist.",
        ),
    },
    "order_confirmed": {
        "en": (
            "Order {{ order }} is confirmed",
            "Order {{ order }} over {{ total }} {{ currency }} is confirmed. Expected delivery: "
            "{{ expected }}.{% if awaiting_payment %} We ship once your payment is in.{% endif %}"
            "{% if track is defined %} Follow your order: {{ track }}{% endif %}",
        ),
        "de": (
            "Bestellung {{ order }} ist bestätigt",
            "Bestellung {{ order }} über {{ total }} {{ currency }} ist bestätigt. "
            "Voraussichtliche Lieferung: {{ expected }}.{% if awaiting_payment %} Wir versenden "
            "nach Zahlungseingang.{% endif %}"
            "{% if track is defined %} Ihre Bestellung verfolgen: {{ track }}{% endif %}",
        ),
    },
    "waiting_for_stock": {
        "en": (
            "Order {{ order }} waits for stock",
            "Some goods of order {{ order }} are not in stock.{% if expected %} We expect them by "
            "{{ expected }}.{% endif %} We ship as soon as they arrive.",
        ),
        "de": (
            "Bestellung {{ order }} wartet auf Ware",
            "Ein Teil der Ware von Bestellung {{ order }} ist nicht vorrätig.{% if expected %} "
            "Wir erwarten sie bis {{ expected }}.{% endif %} Wir versenden, sobald sie eintrifft.",
        ),
    },
    "substitution": {
        "en": (
            "A substitute for your order {{ order }}",
            "Some of order {{ order }} is out of stock; we can send {{ what }} instead, at the "
            'same or a lower price: {{ link }} (POST with {"decision": "accept"} or "decline"; '
            "valid until {{ until }} UTC).",
        ),
        "de": (
            "Ersatz für Ihre Bestellung {{ order }}",
            "Ein Teil von Bestellung {{ order }} ist nicht vorrätig; wir können stattdessen "
            "{{ what }} zum gleichen oder niedrigeren Preis senden: {{ link }} (POST mit "
            '{"decision": "accept"} oder "decline"; gültig bis {{ until }} UTC).',
        ),
    },
    "confirm": {
        "en": (
            "Please confirm your order {{ order }}",
            "Please confirm your order {{ order }} over {{ total }} {{ currency }}: {{ link }} "
            '(POST with {"decision": "confirm"} or "decline"; valid until {{ until }} UTC).',
        ),
        "de": (
            "Bitte bestätigen Sie Ihre Bestellung {{ order }}",
            "Bitte bestätigen Sie Ihre Bestellung {{ order }} über {{ total }} {{ currency }}: "
            '{{ link }} (POST mit {"decision": "confirm"} oder "decline"; gültig bis {{ until }} '
            "UTC).",
        ),
    },
    "shipped": {
        "en": (
            "Order {{ order }} is on its way",
            "Order {{ order }} has shipped.{% for p in parcels %} Parcel {{ p.tracking }} with "
            "{{ p.carrier }}{% if p.page %}: {{ p.page }}{% endif %}.{% endfor %}",
        ),
        "de": (
            "Bestellung {{ order }} ist unterwegs",
            "Bestellung {{ order }} ist versandt.{% for p in parcels %} Paket {{ p.tracking }} mit "
            "{{ p.carrier }}{% if p.page %}: {{ p.page }}{% endif %}.{% endfor %}",
        ),
    },
    "delivered": {
        "en": ("Order {{ order }} is delivered", "Order {{ order }} has been delivered."),
        "de": ("Bestellung {{ order }} ist zugestellt", "Bestellung {{ order }} wurde zugestellt."),
    },
    "order_cancelled": {
        "en": (
            "Order {{ order }} is cancelled",
            "Order {{ order }} is cancelled. Anything you paid is refunded.",
        ),
        "de": (
            "Bestellung {{ order }} ist storniert",
            "Bestellung {{ order }} ist storniert. Bereits Gezahltes erstatten wir.",
        ),
    },
    "invoice_issued": {
        "en": (
            "Invoice {{ invoice }} for order {{ order }}",
            "Invoice {{ invoice }} over {{ total }} {{ currency }} for order {{ order }}, due "
            "{{ due }}.",
        ),
        "de": (
            "Rechnung {{ invoice }} zu Bestellung {{ order }}",
            "Rechnung {{ invoice }} über {{ total }} {{ currency }} zu Bestellung {{ order }}, "
            "fällig am {{ due }}.",
        ),
    },
    "credit_remind_before": {
        "en": (
            "{{ what.en }} falls due soon",
            "{{ what.en }} for order {{ order }} ({{ amount }} {{ currency }}) falls due soon.",
        ),
        "de": (
            "{{ what.de }} wird bald fällig",
            "{{ what.de }} zu Bestellung {{ order }} ({{ amount }} {{ currency }}) wird bald "
            "fällig.",
        ),
    },
    "credit_overdue": {
        "en": (
            "{{ what.en }} is overdue",
            "{{ what.en }} for order {{ order }} ({{ amount }} {{ currency }}) is overdue.",
        ),
        "de": (
            "{{ what.de }} ist überfällig",
            "{{ what.de }} zu Bestellung {{ order }} ({{ amount }} {{ currency }}) ist überfällig.",
        ),
    },
    "credit_remind_after": {
        "en": (
            "{{ what.en }} is still unpaid",
            "{{ what.en }} for order {{ order }} ({{ amount }} {{ currency }}) is still unpaid.",
        ),
        "de": (
            "{{ what.de }} ist noch offen",
            "{{ what.de }} zu Bestellung {{ order }} ({{ amount }} {{ currency }}) ist noch offen.",
        ),
    },
    # To staff.
    "approval": {
        "en": (
            "Order {{ order }}: {{ level }} approval {{ 'due' if reminder else 'needed' }}",
            "Order {{ order }} for {{ total }} {{ currency }} awaits a {{ level }} decision by "
            "{{ deadline }} UTC. Reasons: {{ reasons }}",
        ),
        "de": (
            "Bestellung {{ order }}: Freigabe {{ level }} {{ 'fällig' if reminder else 'nötig' }}",
            "Bestellung {{ order }} über {{ total }} {{ currency }} wartet auf eine Entscheidung "
            "({{ level }}) bis {{ deadline }} UTC. Gründe: {{ reasons }}",
        ),
    },
    "request": {
        "en": (
            "Order {{ order }}: {{ what }} to confirm",
            "{{ why }}. Order total {{ total }} {{ currency }}.",
        ),
        "de": (
            "Bestellung {{ order }}: {{ what }} zu bestätigen",
            "{{ why }}. Bestellsumme {{ total }} {{ currency }}.",
        ),
    },
    "credit_hold": {
        "en": (
            "{{ customer }} put on credit hold",
            "{{ what.en }} of order {{ order }} is unpaid past its grace; new orders on account "
            "are "
            "rejected until the hold is lifted.",
        ),
        "de": (
            "Kreditsperre für {{ customer }}",
            "{{ what.de }} zu Bestellung {{ order }} ist über die Frist hinaus offen; neue "
            "Bestellungen auf Rechnung werden abgelehnt, bis die Sperre aufgehoben ist.",
        ),
    },
    "low_stock": {
        "en": (
            "{{ sku }} is below its reorder point",
            "{{ sku }}: {{ available }} available, reorder point {{ point }}.",
        ),
        "de": (
            "{{ sku }} unter Meldebestand",
            "{{ sku }}: {{ available }} verfügbar, Meldebestand {{ point }}.",
        ),
    },
    "late": {
        "en": (
            "Order {{ order }} is late",
            "Order {{ order }} ({{ method }}) is not delivered within the promised time; the "
            "customer may ask.",
        ),
        "de": (
            "Bestellung {{ order }} ist verspätet",
            "Bestellung {{ order }} ({{ method }}) ist nicht in der zugesagten Zeit zugestellt; "
            "der Kunde fragt vielleicht nach.",
        ),
    },
    "delegation": {
        "en": (
            "{{ delegator }} hands you their approvals",
            "From {{ since }} to {{ until }} UTC you decide {{ delegator }}'s approvals.",
        ),
        "de": (
            "{{ delegator }} überträgt Ihnen Freigaben",
            "Von {{ since }} bis {{ until }} UTC entscheiden Sie die Freigaben von "
            "{{ delegator }}.",
        ),
    },
}


def language_for(given: str | None, country: str | None) -> str:
    if given in LANGUAGES:
        return given
    return "de" if (country or "").upper() in GERMAN_SPEAKING else DEFAULT_LANGUAGE


def render(kind: str, language: str, params: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of a message of this kind, in the language (English where the kind
    has no text in it)."""
    subject, body = _compiled(kind, language)
    return subject.render(params), body.render(params)


@cache
def _compiled(kind: str, language: str) -> tuple[Template, Template]:
    """Each text compiled once per process: compiling on every message took 3 % of the
    worker's CPU under load (py-spy, `make bench`)."""
    texts = TEMPLATES[kind]
    subject, body = texts.get(language) or texts[DEFAULT_LANGUAGE]
    return _env.from_string(subject), _env.from_string(body)
