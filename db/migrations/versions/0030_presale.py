"""pre-sale products (release date, deposit, cap) and the order's type, deposit and release

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column("products", sa.Column("presale_release_date", sa.Date()))
    op.add_column("products", sa.Column("presale_deposit_pct", sa.Numeric(5, 2)))
    op.add_column("products", sa.Column("presale_deposit_amount", MONEY))
    op.add_column("products", sa.Column("presale_cap", sa.Integer()))
    op.add_column(
        "orders",
        sa.Column("order_type", sa.String(16), nullable=False, server_default="standard"),
    )
    op.add_column("orders", sa.Column("deposit", MONEY))
    op.add_column("orders", sa.Column("release_date", sa.Date()))
    op.add_column(
        "stock_waits",
        sa.Column("held_for_release", sa.Boolean(), nullable=False, server_default="false"),
    )


def downgrade() -> None:
    op.drop_column("stock_waits", "held_for_release")
    op.drop_column("orders", "release_date")
    op.drop_column("orders", "deposit")
    op.drop_column("orders", "order_type")
    op.drop_column("products", "presale_cap")
    op.drop_column("products", "presale_deposit_amount")
    op.drop_column("products", "presale_deposit_pct")
    op.drop_column("products", "presale_release_date")
