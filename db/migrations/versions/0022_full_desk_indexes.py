"""indexes for a full desk: the inbox, the order list, the KPIs over 100,000 open orders

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A page of the inbox reads one level's open approvals in its order and stops: without
    # it, 100,000 waiting orders were sorted for every page.
    op.create_index(
        "approvals_inbox",
        "approvals",
        ["current_level", "deadline", "order_id", "level"],
        postgresql_where=sa.text("status = 'pending' AND opened_at IS NOT NULL"),
    )
    # Measured with `bench.run --mode open_orders` at 100,000 orders, each a scan of the table:
    # the newest orders first (a sort of every order, 58 ms), one customer's (their rows
    # sorted), the review verdicts counted (38 ms), late orders (37 ms), delivered ones found
    # in the history (39 ms), pending approvals of orders awaiting approval (100 ms).
    op.create_index("orders_created", "orders", ["created_at", "id"])
    op.create_index("orders_customer_created", "orders", ["customer_id", "created_at", "id"])
    op.drop_index("orders_customer", table_name="orders")  # the one above serves its lookups
    op.create_index("orders_review_decision", "orders", ["review_decision"])
    op.create_index("orders_late", "orders", ["id"], postgresql_where=sa.text("late"))
    op.create_index("order_history_to_status", "order_history", ["to_status", "order_id"])
    op.create_index("orders_status_id", "orders", ["status", "id"])
    op.create_index("approvals_pending", "approvals", ["order_id", "current_level", "level"],
                    postgresql_where=sa.text("status = 'pending'"))  # fmt: skip


def downgrade() -> None:
    for index, table in (
        ("approvals_pending", "approvals"),
        ("orders_status_id", "orders"),
        ("order_history_to_status", "order_history"),
        ("orders_late", "orders"),
        ("orders_review_decision", "orders"),
        ("orders_customer_created", "orders"),
        ("orders_created", "orders"),
    ):
        op.drop_index(index, table_name=table)
    op.create_index("orders_customer", "orders", ["customer_id"])
    op.drop_index("approvals_inbox", table_name="approvals")
