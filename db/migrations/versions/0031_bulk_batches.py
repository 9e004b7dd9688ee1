"""bulk orders: their delivery batches, and the warehouse stock is set aside from

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_batches",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("batch_no", sa.Integer(), primary_key=True),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        # The day its stock is reserved (the policy's days before, fixed at intake).
        sa.Column("reserve_on", sa.Date(), nullable=False),
        # [[sku, quantity], ...]
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="scheduled"),
        sa.Column("reserved_at", sa.DateTime(timezone=True)),
        sa.Column("shipped_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_order_batches_due", "order_batches", ["status", "delivery_date"])
    op.add_column(
        "orders",
        sa.Column("set_aside_warehouse", sa.String(16), sa.ForeignKey("warehouses.code")),
    )


def downgrade() -> None:
    op.drop_column("orders", "set_aside_warehouse")
    op.drop_index("ix_order_batches_due", table_name="order_batches")
    op.drop_table("order_batches")
