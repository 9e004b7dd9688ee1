"""cancellation reason codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("cancel_reason_code", sa.String(24), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "cancel_reason_code")
