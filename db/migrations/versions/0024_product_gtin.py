"""products carry their barcode (GTIN-14), one product per code

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("gtin", sa.String(14), nullable=True))
    op.create_unique_constraint("products_gtin_key", "products", ["gtin"])


def downgrade() -> None:
    op.drop_constraint("products_gtin_key", "products")
    op.drop_column("products", "gtin")
