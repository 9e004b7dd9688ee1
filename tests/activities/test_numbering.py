"""Document numbers are gapless per series and year: concurrent issuers queue on the counter
row, and a transaction that rolls back gives its number back."""

import asyncio
import random
import uuid

from db.documents import next_number
from db.engine import SessionFactory


class RolledBack(Exception):
    pass


async def test_numbers_have_no_gaps_under_concurrency_and_rollbacks(
    sessions: SessionFactory,
) -> None:
    series = f"T{uuid.uuid4().hex[:6].upper()}"
    kept: list[str] = []

    async def issue(i: int) -> None:
        try:
            async with sessions.begin() as session:
                number = await next_number(session, series)
                await asyncio.sleep(random.uniform(0, 0.02))  # the document's other writes
                if i % 3 == 0:
                    raise RolledBack()  # e.g. a database error after the number was taken
                kept.append(number)
        except RolledBack:
            pass

    await asyncio.gather(*(issue(i) for i in range(30)))
    year = kept[0].split("-")[1]
    assert sorted(kept) == [f"{series}-{year}-{n:06d}" for n in range(1, 21)]
    async with sessions.begin() as session:
        assert await next_number(session, series) == f"{series}-{year}-000021"


async def test_each_series_counts_on_its_own(sessions: SessionFactory) -> None:
    invoices, notes = (f"{p}{uuid.uuid4().hex[:6].upper()}" for p in ("I", "C"))
    async with sessions.begin() as session:
        taken = [await next_number(session, s) for s in (invoices, notes, notes, invoices)]
    assert [int(n[-6:]) for n in taken] == [1, 1, 2, 2]
