"""Reading an import file row by row (CSV, or the first sheet of an XLSX workbook), without
loading it at once, and turning each run of rows with one `external_ref` into an order
request; errors are reported per row and column.

One row per order line; the order's own columns (customer, channel, shipping, payment) must
agree on all its rows, and its rows must come together (a reference seen again after other
orders is refused, rather than silently making a second order).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import load_workbook

COLUMNS = (
    "external_ref",
    "customer_id",
    "sku",
    "quantity",
    "unit_price",
    "discount_pct",
    "shipping_method",
    "payment_method",
    "channel",
)
REQUIRED = (
    "external_ref",
    "customer_id",
    "sku",
    "quantity",
    "shipping_method",
    "payment_method",
    "channel",
)
# The order's own columns: the same on every row of one order.
ORDER_COLUMNS = ("customer_id", "shipping_method", "payment_method", "channel")


class FileRefused(ValueError):
    """The file as a whole cannot be read (format, header)."""


Row = dict[str, str]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel stores 19.99 as a float: its shortest repr is what the person typed.
        value = Decimal(repr(value))
        return str(value.quantize(Decimal(1)) if value == value.to_integral() else value)
    return str(value).strip()


def _header(cells: Iterable[Any]) -> list[str]:
    names = [_text(c).lower() for c in cells]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise FileRefused(f"missing columns: {', '.join(missing)}")
    return names


def rows_of(file: BinaryIO, name: str) -> Iterator[tuple[int, Row]]:
    """(row number as the file shows it, the row's known columns)."""
    cells: Iterator[Sequence[Any]]
    if name.lower().endswith(".xlsx"):
        try:
            book = load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:
            raise FileRefused(f"not a readable XLSX workbook: {type(exc).__name__}") from None
        cells = book.worksheets[0].iter_rows(values_only=True)
    elif name.lower().endswith(".csv"):
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        cells = csv.reader(text)
    else:
        raise FileRefused("the file must be .csv or .xlsx")
    try:
        header = _header(next(cells, ()))
        for no, values in enumerate(cells, start=2):
            row = {k: _text(v) for k, v in zip(header, values, strict=False) if k in COLUMNS}
            if any(row.values()):
                yield no, row
    except UnicodeDecodeError:
        raise FileRefused("the CSV file is not UTF-8") from None


@dataclass
class Group:
    """The rows of one order, in file order."""

    external_ref: str
    rows: list[tuple[int, Row]] = field(default_factory=list)
    # Errors found before validation, by row number and column.
    errors: dict[int, dict[str, str]] = field(default_factory=dict)


def groups(rows: Iterable[tuple[int, Row]]) -> Iterator[Group]:
    """Runs of rows with one external_ref; a reference seen again later is refused."""
    seen: dict[str, int] = {}
    current: Group | None = None
    for no, row in rows:
        ref = row.get("external_ref", "")
        if current is None or ref != current.external_ref:
            if current is not None:
                yield current
            current = Group(ref)
            if ref in seen:
                current.errors[no] = {
                    "external_ref": f"the rows of {ref} must be together (first at row {seen[ref]})"
                }
            seen.setdefault(ref, no)
        current.rows.append((no, row))
    if current is not None:
        yield current


def order_body(group: Group) -> dict[str, Any]:
    """The order request the rows make (validated by the API's own schema next); rows whose
    order columns differ from the first row's are marked."""
    first = group.rows[0][1]
    for no, row in group.rows[1:]:
        for column in ORDER_COLUMNS:
            if row.get(column, "") != first.get(column, ""):
                group.errors.setdefault(no, {})[column] = (
                    f"differs from row {group.rows[0][0]} of the same order"
                )
    lines = []
    for _, row in group.rows:
        line: dict[str, Any] = {"sku": row.get("sku", ""), "quantity": row.get("quantity", "")}
        if row.get("unit_price"):
            line["unit_price"] = row["unit_price"]
        if row.get("discount_pct"):
            line["discount_pct"] = row["discount_pct"]
        lines.append(line)
    return {
        "external_ref": group.external_ref or None,
        "channel": first.get("channel", ""),
        "customer": {"id": first.get("customer_id", "")},
        "lines": lines,
        "shipping": {"method": first.get("shipping_method", "")},
        "payment": {"method": first.get("payment_method", "")},
    }


# Where an error at a field of the order request points in the file.
_ORDER_FIELDS = {
    "external_ref": "external_ref",
    "channel": "channel",
    "customer": "customer_id",
    "shipping": "shipping_method",
    "payment": "payment_method",
}


def place(group: Group, loc: tuple[str | int, ...], message: str) -> None:
    """Records an error of the order request at its row and column."""
    parts = [p for p in loc if p != "body"]
    if parts and parts[0] == "lines" and len(parts) > 1 and isinstance(parts[1], int):
        no = group.rows[min(parts[1], len(group.rows) - 1)][0]
        column = str(parts[2]) if len(parts) > 2 else "sku"
    else:
        no = group.rows[0][0]
        column = _ORDER_FIELDS.get(str(parts[0]) if parts else "", "external_ref")
    group.errors.setdefault(no, {}).setdefault(column, message)
