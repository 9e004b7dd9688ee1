"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Base


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
