"""order versions: changes with their diff

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("orders", sa.Column("changed_by", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "order_versions",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("reason", sa.String(2000), nullable=False, server_default=""),
        sa.Column("diff", sa.JSON, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_versions")
    op.drop_column("orders", "changed_by")
    op.drop_column("orders", "version")
