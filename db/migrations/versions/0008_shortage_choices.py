"""shortage choices: reservations in parts, substitutes, expected stock dates

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An order shipped in parts reserves the same sku at the same warehouse more than once.
    op.drop_constraint("reservations_pkey", "reservations", type_="primary")
    op.add_column("reservations", sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False))
    op.create_primary_key("reservations_pkey", "reservations", ["id"])
    op.create_index("ix_reservations_order_id", "reservations", ["order_id"])
    op.add_column("reservations", sa.Column("shipment_id", sa.String(40), nullable=True))
    # Pick lists issued before: their reservations belong to the order's shipment there.
    op.execute(
        "UPDATE reservations r SET shipment_id = s.id FROM shipments s "
        "WHERE s.order_id = r.order_id AND (s.warehouse = r.warehouse OR s.warehouse IS NULL)"
    )
    op.add_column(
        "orders",
        sa.Column("on_shortage", sa.String(12), nullable=False, server_default="backorder"),
    )
    op.add_column("orders", sa.Column("expected_stock_date", sa.Date, nullable=True))
    op.add_column(
        "products", sa.Column("substitutes", sa.JSON, nullable=False, server_default="[]")
    )
    op.add_column("stock_transfers", sa.Column("expected_on", sa.Date, nullable=True))
    op.create_table(
        "order_substitutions",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("substitute", sa.String(64), sa.ForeignKey("products.sku"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column(
            "proposed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("order_substitutions")
    op.drop_column("stock_transfers", "expected_on")
    op.drop_column("products", "substitutes")
    op.drop_column("orders", "expected_stock_date")
    op.drop_column("orders", "on_shortage")
    op.drop_column("reservations", "shipment_id")
    op.drop_index("ix_reservations_order_id", table_name="reservations")
    op.drop_constraint("reservations_pkey", "reservations", type_="primary")
    op.drop_column("reservations", "id")
    op.create_primary_key("reservations_pkey", "reservations", ["order_id", "sku", "warehouse"])
