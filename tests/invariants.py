"""What must hold of stock and money after any story: the desk's own checker (db/invariants.py,
`orderflow check`), scoped to what the story made and asserted empty."""

from datetime import datetime

from db.engine import SessionFactory
from db.invariants import database_findings, stock_findings


async def assert_stock_invariants(sessions: SessionFactory, since: datetime) -> None:
    async with sessions() as session:
        found = await stock_findings(session, since)
    assert not found, "\n".join(map(str, found))


async def assert_invariants(sessions: SessionFactory, since: datetime) -> None:
    async with sessions() as session:
        found = await database_findings(session, since)
    assert not found, "\n".join(map(str, found))
