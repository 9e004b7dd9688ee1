"""stock transfers between warehouses, reorder points and the low-stock list

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "products", sa.Column("reorder_point", sa.Integer, nullable=False, server_default="0")
    )
    op.create_table(
        "stock_transfers",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), nullable=False),
        sa.Column(
            "from_warehouse", sa.String(16), sa.ForeignKey("warehouses.code"), nullable=False
        ),
        sa.Column("to_warehouse", sa.String(16), sa.ForeignKey("warehouses.code"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("received_by", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name="transfer_quantity_positive"),
        sa.CheckConstraint("from_warehouse <> to_warehouse", name="transfer_between_two"),
    )
    op.create_index(
        "stock_transfers_in_transit",
        "stock_transfers",
        ["sku"],
        postgresql_where=sa.text("status = 'in_transit'"),
    )
    op.create_table(
        "low_stock",
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), primary_key=True),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_table("low_stock")
    op.drop_index("stock_transfers_in_transit", table_name="stock_transfers")
    op.drop_table("stock_transfers")
    op.drop_column("products", "reorder_point")
