"""Checks of customer contact data: phone numbers and postal codes by country."""

import re

import phonenumbers

POSTAL_CODE_PATTERNS: dict[str, str] = {
    "AT": r"\d{4}",
    "BE": r"\d{4}",
    "CH": r"\d{4}",
    "DE": r"\d{5}",
    "DK": r"\d{4}",
    "ES": r"\d{5}",
    "FR": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "IT": r"\d{5}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "PL": r"\d{2}-\d{3}",
    "SE": r"\d{3} ?\d{2}",
    "US": r"\d{5}(-\d{4})?",
}
GENERIC_POSTAL_CODE = r"[A-Z0-9][A-Z0-9 \-]{1,8}[A-Z0-9]"


def is_valid_postal_code(postal_code: str, country: str) -> bool:
    pattern = POSTAL_CODE_PATTERNS.get(country.upper(), GENERIC_POSTAL_CODE)
    return re.fullmatch(pattern, postal_code.strip().upper()) is not None


def is_valid_country(country: str) -> bool:
    return country.upper() in phonenumbers.SUPPORTED_REGIONS


def is_valid_phone(phone: str, country: str) -> bool:
    try:
        parsed = phonenumbers.parse(phone, country.upper())
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))
