"""`orderflow migrate`: schema and reference data (warehouses, users) on DATABASE_URL."""

import asyncio

from config import get_settings
from db.engine import make_engine, make_sessions
from db.migrate import upgrade_head_async
from stack.seed import seed_all


async def migrate(url: str) -> None:
    await upgrade_head_async(url)
    engine = make_engine(url, pool_size=1)
    try:
        await seed_all(make_sessions(engine), demo=False)
    finally:
        await engine.dispose()


def main() -> None:
    url = get_settings().database.url
    if not url:
        raise SystemExit("set DATABASE_URL (an asyncpg URL)")
    asyncio.run(migrate(url))
