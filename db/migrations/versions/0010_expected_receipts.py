"""expected receipts: goods announced by a supplier, with the day they should come

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expected_receipts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), nullable=False),
        sa.Column("warehouse", sa.String(16), sa.ForeignKey("warehouses.code"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("expected_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name="expected_quantity_positive"),
    )
    op.create_index(
        "expected_receipts_open",
        "expected_receipts",
        ["sku"],
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("expected_receipts_open", table_name="expected_receipts")
    op.drop_table("expected_receipts")
