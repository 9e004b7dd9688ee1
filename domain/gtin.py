"""Product barcodes: a GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14) is digits whose last one is a
check digit over the others. A scanner types the code and Enter; one wrong digit (a misread, a
typo) fails the check instead of finding another product."""

from stdnum import ean

LENGTHS = (8, 12, 13, 14)
PATTERN = r"^(\d{8}|\d{12,14})$"


def is_gtin(code: str) -> bool:
    return len(code) in LENGTHS and code.isdigit() and bool(ean.is_valid(code))


def canonical(code: str) -> str:
    """As stored and looked up: GTIN-14, left-padded with zeros (a UPC-A and its EAN-13 are
    one product)."""
    return code.zfill(14)
