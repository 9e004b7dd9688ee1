"""an order's history rows carry the order's creation time, for the KPIs' time in each status

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every writer of history rows (intake, status changes, events, a bulk load) gets it alike.
FILL = (
    """
    CREATE FUNCTION order_history_order_created() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.order_created_at := (SELECT created_at FROM orders WHERE id = NEW.order_id);
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER order_history_order_created BEFORE INSERT ON order_history
      FOR EACH ROW EXECUTE FUNCTION order_history_order_created()
    """,
)


def upgrade() -> None:
    # The KPIs are over the orders created in a period: with the creation time on each stay,
    # a status's stays in a month are one range of this index, read without visiting the
    # table or joining the orders (the join was most of the report, `python -m bench.kpis`).
    op.add_column("order_history", sa.Column("order_created_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE order_history h SET order_created_at = o.created_at"
        " FROM orders o WHERE o.id = h.order_id"
    )
    for statement in FILL:
        op.execute(statement)
    op.create_index(
        "order_history_stays",
        "order_history",
        ["to_status", "order_created_at"],
        postgresql_include=["at", "left_at"],
        postgresql_where=sa.text("left_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("order_history_stays", table_name="order_history")
    op.execute("DROP TRIGGER order_history_order_created ON order_history")
    op.execute("DROP FUNCTION order_history_order_created()")
    op.drop_column("order_history", "order_created_at")
