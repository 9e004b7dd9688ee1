"""price lists with quantity breaks, promotions, and how each order line was priced

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "price_lists",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id")),
        sa.Column("customer_group", sa.String(16)),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "customer_id IS NULL OR customer_group IS NULL", name="price_list_one_audience"
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="price_list_dates"),
    )
    op.create_table(
        "price_list_entries",
        sa.Column(
            "price_list_id", sa.BigInteger(), sa.ForeignKey("price_lists.id"), primary_key=True
        ),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), primary_key=True),
        sa.Column("min_quantity", sa.Integer(), primary_key=True),
        sa.Column("unit_price", MONEY, nullable=False),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(64)),
        sa.Column("min_order_total", MONEY, server_default="0", nullable=False),
        sa.Column("stackable", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="promotion_dates"),
    )
    op.add_column("order_lines", sa.Column("list_price", MONEY))
    op.add_column(
        "order_lines",
        sa.Column("price_source", sa.String(200), server_default="catalogue", nullable=False),
    )
    op.add_column(
        "order_lines", sa.Column("promotions", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column(
        "order_lines",
        sa.Column("promotion_discount", MONEY, server_default="0", nullable=False),
    )


def downgrade() -> None:
    for column in ("promotion_discount", "promotions", "price_source", "list_price"):
        op.drop_column("order_lines", column)
    op.drop_table("promotions")
    op.drop_table("price_list_entries")
    op.drop_table("price_lists")
