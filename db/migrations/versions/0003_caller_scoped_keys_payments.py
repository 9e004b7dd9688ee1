"""caller-scoped idempotency, payment keys, workflow start marker, customer creator

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Idempotency is the caller's: keys and external references are unique per creator.
    op.drop_constraint("orders_idempotency_key_key", "orders", type_="unique")
    op.drop_constraint("orders_channel_external_ref", "orders", type_="unique")
    op.create_unique_constraint(
        "orders_caller_idempotency_key", "orders", ["created_by", "idempotency_key"]
    )
    op.create_unique_constraint(
        "orders_caller_channel_external_ref",
        "orders",
        ["created_by", "channel", "external_ref"],
    )
    op.add_column("orders", sa.Column("request_hash", sa.String(length=64), nullable=True))
    op.add_column(
        "orders", sa.Column("workflow_started_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Orders past RECEIVED have a workflow for sure; RECEIVED ones are left to the sweeper,
    # whose start is idempotent.
    op.execute("UPDATE orders SET workflow_started_at = created_at WHERE status <> 'RECEIVED'")
    op.create_index(
        "orders_without_workflow",
        "orders",
        ["created_at"],
        postgresql_where=sa.text("workflow_started_at IS NULL"),
    )
    op.add_column("customers", sa.Column("created_by", sa.String(length=64), nullable=True))
    # Payments: keyed by order, kind and reference; a provider's reference pays one order.
    op.drop_constraint("payments_pkey", "payments", type_="primary")
    op.drop_index("ix_payments_order_id", table_name="payments")
    op.add_column("payments", sa.Column("gateway_ref", sa.String(length=100), nullable=True))
    op.create_primary_key("payments_pkey", "payments", ["order_id", "kind", "reference"])
    op.create_index(
        "payments_provider_reference",
        "payments",
        ["method", "reference"],
        unique=True,
        postgresql_where=sa.text("kind = 'payment'"),
    )


def downgrade() -> None:
    op.drop_index("payments_provider_reference", table_name="payments")
    op.drop_constraint("payments_pkey", "payments", type_="primary")
    op.drop_column("payments", "gateway_ref")
    op.create_primary_key("payments_pkey", "payments", ["reference"])
    op.create_index("ix_payments_order_id", "payments", ["order_id"])
    op.drop_column("customers", "created_by")
    op.drop_index("orders_without_workflow", table_name="orders")
    op.drop_column("orders", "workflow_started_at")
    op.drop_column("orders", "request_hash")
    op.drop_constraint("orders_caller_channel_external_ref", "orders", type_="unique")
    op.drop_constraint("orders_caller_idempotency_key", "orders", type_="unique")
    op.create_unique_constraint(
        "orders_channel_external_ref", "orders", ["channel", "external_ref"]
    )
    op.create_unique_constraint("orders_idempotency_key_key", "orders", ["idempotency_key"])
