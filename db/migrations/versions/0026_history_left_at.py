"""when an order left each status, for the KPIs' time in each status

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STAY = "left_at IS NULL AND from_status IS DISTINCT FROM to_status"


def upgrade() -> None:
    # Pairing each status change with the order's next one took over a second of the report
    # at 100,000 orders (`python -m bench.kpis`); the next change now writes the end itself.
    op.add_column("order_history", sa.Column("left_at", sa.DateTime(timezone=True)))
    # Stays already over end at the order's next status change (events within a status,
    # whose from and to are the same, neither start nor end one).
    op.execute(
        """
        UPDATE order_history h SET left_at = next.at
        FROM (
            SELECT id, lead(at) OVER (PARTITION BY order_id ORDER BY id) AS at
            FROM order_history WHERE from_status IS DISTINCT FROM to_status
        ) next
        WHERE h.id = next.id AND next.at IS NOT NULL
        """
    )
    op.create_index(
        "order_history_open_stay",
        "order_history",
        ["order_id"],
        postgresql_where=sa.text(OPEN_STAY),
    )


def downgrade() -> None:
    op.drop_index("order_history_open_stay", table_name="order_history")
    op.drop_column("order_history", "left_at")
