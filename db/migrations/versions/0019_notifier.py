"""the notifier: outbox delivery state, languages, staff e-mail addresses

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Messages written before a sender existed are not sent now, days late.
    op.add_column(
        "notifications",
        sa.Column("status", sa.String(12), nullable=False, server_default="skipped"),
    )
    op.alter_column("notifications", "status", server_default="pending")
    op.add_column(
        "notifications", sa.Column("attempts", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column(
        "notifications",
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )
    op.add_column("notifications", sa.Column("last_error", sa.String(500), nullable=True))
    op.add_column(
        "notifications", sa.Column("language", sa.String(2), nullable=False, server_default="en")
    )
    op.create_index(
        "notifications_due",
        "notifications",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.add_column("customers", sa.Column("language", sa.String(2), nullable=True))
    op.add_column("users", sa.Column("email", sa.String(320), nullable=True))
    op.add_column("users", sa.Column("language", sa.String(2), nullable=False, server_default="en"))


def downgrade() -> None:
    op.drop_column("users", "language")
    op.drop_column("users", "email")
    op.drop_column("customers", "language")
    op.drop_index("notifications_due", table_name="notifications")
    for column in ("language", "last_error", "next_attempt_at", "attempts", "status"):
        op.drop_column("notifications", column)
