"""fulfilment: warehouse zones, shipments per warehouse with pick lists and packages, bins

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouse_zones",
        sa.Column("warehouse", sa.String(16), sa.ForeignKey("warehouses.code"), primary_key=True),
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("postal_prefix", sa.String(12), primary_key=True, server_default=""),
        sa.Column("zone", sa.Integer, nullable=False),
    )
    op.add_column("products", sa.Column("bin_location", sa.String(32), nullable=True))
    # A shipment gets its own id: an order may now have several (one per warehouse). Earlier
    # shipments keep the order's id as theirs.
    op.add_column("shipments", sa.Column("id", sa.String(40), nullable=True))
    op.execute("UPDATE shipments SET id = order_id")
    op.alter_column("shipments", "id", nullable=False)
    op.drop_constraint("shipments_pkey", "shipments", type_="primary")
    op.create_primary_key("shipments_pkey", "shipments", ["id"])
    op.create_index("ix_shipments_order_id", "shipments", ["order_id"])
    op.add_column("shipments", sa.Column("warehouse", sa.String(16), nullable=True))
    for column in ("carrier", "service", "tracking_number"):
        op.alter_column("shipments", column, nullable=True)
    op.add_column("shipments", sa.Column("packages", sa.JSON, nullable=True))
    op.add_column("shipments", sa.Column("packaging", sa.String(16), nullable=True))
    op.add_column("shipments", sa.Column("packed_by", sa.String(64), nullable=True))
    op.add_column("shipments", sa.Column("packed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("shipments", sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE shipments SET booked_at = created_at")
    op.create_table(
        "shipment_lines",
        sa.Column("shipment_id", sa.String(40), sa.ForeignKey("shipments.id"), primary_key=True),
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shipment_lines")
    for column in ("booked_at", "packed_at", "packed_by", "packaging", "packages", "warehouse"):
        op.drop_column("shipments", column)
    op.drop_index("ix_shipments_order_id", table_name="shipments")
    op.drop_constraint("shipments_pkey", "shipments", type_="primary")
    op.execute("DELETE FROM shipments WHERE id <> order_id")
    op.create_primary_key("shipments_pkey", "shipments", ["order_id"])
    op.drop_column("shipments", "id")
    op.drop_column("products", "bin_location")
    op.drop_table("warehouse_zones")
