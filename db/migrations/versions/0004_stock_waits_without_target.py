"""a stock wait no longer carries the status its order moves to

The receipt only allocates stock to waiting orders; each order's own workflow moves its
status, so the target written at enqueue time is read by nobody.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("stock_waits", "on_success")


def downgrade() -> None:
    # Earlier code read the target when a receipt served the order; READY_TO_SHIP is where a
    # served order without approvals or prepayment went.
    op.add_column(
        "stock_waits",
        sa.Column("on_success", sa.String(32), nullable=False, server_default="READY_TO_SHIP"),
    )
    op.alter_column("stock_waits", "on_success", server_default=None)
