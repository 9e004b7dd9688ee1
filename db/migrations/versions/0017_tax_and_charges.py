"""tax classes, per-line tax rates, shipping charge lines, reverse charge

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column(
        "products",
        sa.Column("tax_class", sa.String(16), nullable=False, server_default="standard"),
    )
    # Lines priced before tax tables were taxed at the one flat rate, 19 %.
    op.add_column(
        "order_lines",
        sa.Column("tax_rate", sa.Numeric(5, 2), nullable=False, server_default="19"),
    )
    op.alter_column("order_lines", "tax_rate", server_default=None)
    op.add_column("orders", sa.Column("shipping_charge", MONEY, nullable=False, server_default="0"))
    op.add_column(
        "orders",
        sa.Column("shipping_tax_rate", sa.Numeric(5, 2), nullable=False, server_default="0"),
    )
    op.add_column(
        "orders",
        sa.Column("reverse_charge", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "invoices",
        sa.Column("reverse_charge", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("invoices", "reverse_charge")
    for column in ("reverse_charge", "shipping_tax_rate", "shipping_charge"):
        op.drop_column("orders", column)
    op.drop_column("order_lines", "tax_rate")
    op.drop_column("products", "tax_class")
