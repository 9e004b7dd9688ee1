"""installment payment terms: the count and interval on the order, the schedule's rows

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("installment_count", sa.Integer, nullable=True))
    op.add_column("orders", sa.Column("installment_interval_days", sa.Integer, nullable=True))
    op.create_table(
        "installments",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("no", sa.Integer, primary_key=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.CheckConstraint("amount >= 0", name="installment_amount_not_negative"),
    )


def downgrade() -> None:
    op.drop_table("installments")
    op.drop_column("orders", "installment_interval_days")
    op.drop_column("orders", "installment_count")
