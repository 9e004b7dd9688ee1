"""order imports: jobs and the result of every row

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("orders_created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("orders_duplicate", sa.Integer, nullable=False, server_default="0"),
        sa.Column("orders_rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "import_rows",
        sa.Column("import_id", sa.String(36), sa.ForeignKey("import_jobs.id"), primary_key=True),
        sa.Column("row_no", sa.Integer, primary_key=True),
        sa.Column("external_ref", sa.String(100), nullable=True),
        sa.Column("result", sa.String(12), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=True),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("import_rows")
    op.drop_table("import_jobs")
