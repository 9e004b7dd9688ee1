"""The Alembic migrations build exactly the schema the models describe."""

import asyncio
import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from db.migrate import alembic_config
from db.models import Base
from stack.postgres import admin_url, database_url, ensure_database


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_the_database_refuses_overselling(engine: AsyncEngine) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    async with engine.connect() as connection:
        await connection.execute(
            text(
                "INSERT INTO warehouses (code, name) VALUES ('WH1', 'Main') ON CONFLICT DO NOTHING"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO products (sku, name, unit_price, weight_kg) "
                "VALUES ('CHK-1', 'x', 1, 1)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO stock (sku, warehouse, on_hand, reserved) "
                "VALUES ('CHK-1', 'WH1', 2, 0)"
            )
        )
        try:
            await connection.execute(text("UPDATE stock SET reserved = 3 WHERE sku = 'CHK-1'"))
            raise AssertionError("reserved above on hand was accepted")
        except IntegrityError:
            pass
        finally:
            await connection.rollback()


async def test_upgrading_keeps_earlier_approvals_in_the_inbox(postgres_server: object) -> None:
    """0001 -> 0002 on a database with a pending approval from before the approval desk."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("needs a server of its own to create a database on")
    name = f"orderflow_upgrade_{uuid.uuid4().hex[:8]}"
    await ensure_database(admin_url(postgres_server), name)
    url = database_url(postgres_server, name)
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0001")
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO customers (id, name, email, phone, line1, city, postal_code,"
                " country, credit_limit, tier, on_credit_hold)"
                " VALUES ('c1', 'C', 'c@x.example', '+4930901820', 'L', 'Berlin', '10115',"
                " 'DE', 0, 'standard', false)",
                "INSERT INTO orders (id, channel, customer_id, status, payment_method,"
                " shipping_method, ship_to, currency, subtotal, discount, tax, total,"
                " review_reasons, created_by)"
                " VALUES ('o1', 'web', 'c1', 'AWAITING_APPROVAL', 'cod', 'standard', '{}',"
                " 'EUR', 1, 0, 0, 1, '[]', 'shop')",
                "INSERT INTO approvals (order_id, level, status, reasons)"
                " VALUES ('o1', 'manager', 'pending', '[]')",
            ):
                await connection.execute(text(statement))
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT current_level, opened_at IS NOT NULL, approvers_needed, mode"
                        " FROM approvals"
                    )
                )
            ).one()
        assert tuple(row) == ("manager", True, 1, "parallel")
    finally:
        await engine.dispose()
