"""invoices per shipment with gapless numbers, credit notes, buyer VAT ids

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("series", sa.String(8), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    # Numbering goes on from the invoices numbered by the old sequence.
    op.execute(
        "INSERT INTO document_counters (series, year, last) "
        "SELECT 'INV', split_part(number, '-', 2)::int, max(split_part(number, '-', 3)::int) "
        "FROM invoices WHERE number ~ '^INV-[0-9]{4}-[0-9]+$' GROUP BY 2"
    )
    op.drop_constraint("invoices_pkey", "invoices", type_="primary")
    op.create_primary_key("invoices_pkey", "invoices", ["number"])
    op.drop_constraint("invoices_number_key", "invoices", type_="unique")
    op.create_index("invoices_order", "invoices", ["order_id"])
    op.add_column("invoices", sa.Column("shipment_id", sa.String(40), nullable=True))
    op.add_column(
        "invoices", sa.Column("currency", sa.String(3), nullable=False, server_default="EUR")
    )
    op.add_column("invoices", sa.Column("payment_terms", sa.String(16), nullable=True))
    op.add_column("invoices", sa.Column("seller", sa.JSON, nullable=True))
    op.add_column("invoices", sa.Column("buyer", sa.JSON, nullable=True))
    op.create_unique_constraint("invoices_shipment", "invoices", ["shipment_id"])
    op.create_table(
        "invoice_lines",
        sa.Column(
            "invoice_number", sa.String(32), sa.ForeignKey("invoices.number"), primary_key=True
        ),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("order_line_no", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("tax_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("tax", MONEY, nullable=False),
    )
    op.create_table(
        "credit_notes",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column(
            "invoice_number", sa.String(32), sa.ForeignKey("invoices.number"), nullable=False
        ),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "issued_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.UniqueConstraint("invoice_number", "reason", "reference", name="credit_notes_once"),
    )
    op.create_index("credit_notes_order", "credit_notes", ["order_id"])
    op.create_table(
        "credit_note_lines",
        sa.Column(
            "credit_note_number",
            sa.String(32),
            sa.ForeignKey("credit_notes.number"),
            primary_key=True,
        ),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("order_line_no", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("tax_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("tax", MONEY, nullable=False),
    )
    op.add_column("customers", sa.Column("vat_id", sa.String(20), nullable=True))
    op.execute("DROP SEQUENCE invoice_number_seq")


def downgrade() -> None:
    op.execute("CREATE SEQUENCE invoice_number_seq")
    op.drop_column("customers", "vat_id")
    op.drop_table("credit_note_lines")
    op.drop_index("credit_notes_order", "credit_notes")
    op.drop_table("credit_notes")
    op.drop_table("invoice_lines")
    op.drop_constraint("invoices_shipment", "invoices", type_="unique")
    for column in ("buyer", "seller", "payment_terms", "currency", "shipment_id"):
        op.drop_column("invoices", column)
    op.drop_index("invoices_order", "invoices")
    op.create_unique_constraint("invoices_number_key", "invoices", ["number"])
    op.drop_constraint("invoices_pkey", "invoices", type_="primary")
    op.create_primary_key("invoices_pkey", "invoices", ["order_id"])
    op.drop_table("document_counters")
