"""approval desk, auth, audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:46:09.163862
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "approval_policies",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("decision_id", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("audit_action", "audit_log", ["action", "id"], unique=False)
    op.create_index("audit_actor", "audit_log", ["actor", "id"], unique=False)
    op.create_index("audit_order", "audit_log", ["order_id", "id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index(op.f("ix_notifications_order_id"), "notifications", ["order_id"], unique=False)
    op.create_table(
        "delegations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delegator", sa.String(length=64), nullable=False),
        sa.Column("stand_in", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("delegator <> stand_in", name="delegation_other_person"),
        sa.CheckConstraint("starts_at < ends_at", name="delegation_period"),
        sa.ForeignKeyConstraint(
            ["delegator"],
            ["users.username"],
        ),
        sa.ForeignKeyConstraint(
            ["stand_in"],
            ["users.username"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("delegations_stand_in", "delegations", ["stand_in", "ends_at"], unique=False)
    op.create_table(
        "approval_decisions",
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column(
            "decided_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    op.create_index(
        op.f("ix_approval_decisions_order_id"), "approval_decisions", ["order_id"], unique=False
    )
    op.add_column("approvals", sa.Column("current_level", sa.String(length=32), nullable=True))
    op.add_column(
        "approvals", sa.Column("approvers_needed", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "approvals", sa.Column("approvers_given", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "approvals",
        sa.Column("mode", sa.String(length=16), server_default="parallel", nullable=False),
    )
    op.add_column(
        "approvals", sa.Column("rule_ids", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("approvals", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("approvals", sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("approvals", sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("approvals", sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
    op.add_column("approvals", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("approvals", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "approvals_open", "approvals", ["status", "current_level", "deadline"], unique=False
    )
    op.add_column("orders", sa.Column("policy_version", sa.Integer(), nullable=True))
    op.add_column("orders", sa.Column("review_decision", sa.String(length=16), nullable=True))
    op.add_column(
        "products",
        sa.Column("category", sa.String(length=64), server_default="general", nullable=False),
    )
    op.add_column("users", sa.Column("active", sa.Boolean(), server_default="true", nullable=False))
    op.add_column(
        "users", sa.Column("approval_limit", sa.Numeric(precision=14, scale=2), nullable=True)
    )
    # Approvals of orders from before the desk: decided by their own level, open since asked.
    op.execute(
        "UPDATE approvals SET current_level = level, opened_at = requested_at "
        "WHERE current_level IS NULL"
    )
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
    )
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC")


# The trigger binds every role that writes through the application, table owner included;
# only dropping the trigger (a migration, by a DBA) could change the log.
APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
    op.execute("DROP FUNCTION audit_log_is_append_only()")
    op.drop_column("users", "approval_limit")
    op.drop_column("users", "active")
    op.drop_column("products", "category")
    op.drop_column("orders", "review_decision")
    op.drop_column("orders", "policy_version")
    op.drop_index("approvals_open", table_name="approvals")
    op.drop_column("approvals", "escalated_at")
    op.drop_column("approvals", "reminded_at")
    op.drop_column("approvals", "deadline")
    op.drop_column("approvals", "escalate_at")
    op.drop_column("approvals", "remind_at")
    op.drop_column("approvals", "opened_at")
    op.drop_column("approvals", "rule_ids")
    op.drop_column("approvals", "mode")
    op.drop_column("approvals", "approvers_given")
    op.drop_column("approvals", "approvers_needed")
    op.drop_column("approvals", "current_level")
    op.drop_index(op.f("ix_approval_decisions_order_id"), table_name="approval_decisions")
    op.drop_table("approval_decisions")
    op.drop_index("delegations_stand_in", table_name="delegations")
    op.drop_table("delegations")
    op.drop_index(op.f("ix_notifications_order_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("audit_order", table_name="audit_log")
    op.drop_index("audit_actor", table_name="audit_log")
    op.drop_index("audit_action", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("approval_policies")
    op.drop_table("api_keys")
