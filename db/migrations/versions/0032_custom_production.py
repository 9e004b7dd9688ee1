"""custom orders: made-to-order products, the order's specification and lead time, and the
production orders with the plant's events

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("production_days", sa.Integer()))
    op.add_column("orders", sa.Column("specification", sa.JSON()))
    op.add_column("orders", sa.Column("estimated_ready", sa.Date()))
    op.create_table(
        "production_orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("plant_ref", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reworks", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("production_days", sa.Integer(), nullable=False),
        sa.Column("estimated_ready", sa.Date(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("order_id", name="production_orders_order"),
    )
    op.create_index("ix_production_orders_status", "production_orders", ["status"])
    op.create_table(
        "production_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "production_order_id",
            sa.String(40),
            sa.ForeignKey("production_orders.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("detail", sa.String(2000)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("production_events")
    op.drop_index("ix_production_orders_status", table_name="production_orders")
    op.drop_table("production_orders")
    op.drop_column("orders", "estimated_ready")
    op.drop_column("orders", "specification")
    op.drop_column("products", "production_days")
