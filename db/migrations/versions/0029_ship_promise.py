"""the day an order is promised to leave by, and whether it did

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("promised_ship_date", sa.Date()))
    op.add_column("orders", sa.Column("shipped_on_time", sa.Boolean()))


def downgrade() -> None:
    op.drop_column("orders", "shipped_on_time")
    op.drop_column("orders", "promised_ship_date")
