"""order priority and requested delivery date

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("priority", sa.String(8), nullable=False, server_default="normal")
    )
    op.add_column("orders", sa.Column("requested_delivery_date", sa.Date, nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "requested_delivery_date")
    op.drop_column("orders", "priority")
