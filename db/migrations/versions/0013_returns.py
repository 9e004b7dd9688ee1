"""returns and exchanges

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("rma", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(24), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("goods_due_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warehouse", sa.String(16), nullable=True),
        sa.Column("received_by", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded", sa.Numeric(14, 2), nullable=True),
        sa.Column("exchange_shipment_id", sa.String(40), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("returns_order", "returns", ["order_id"])
    op.create_table(
        "return_lines",
        sa.Column("rma", sa.String(40), sa.ForeignKey("returns.rma"), primary_key=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("sellable", sa.Integer, nullable=False, server_default="0"),
        sa.Column("damaged", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("quantity > 0", name="return_quantity_positive"),
        sa.CheckConstraint(
            "sellable >= 0 AND damaged >= 0 AND sellable + damaged <= quantity",
            name="return_received_within_authorized",
        ),
    )
    op.add_column("shipments", sa.Column("rma", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("shipments", "rma")
    op.drop_table("return_lines")
    op.drop_index("returns_order", "returns")
    op.drop_table("returns")
