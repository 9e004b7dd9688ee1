"""The request's session is closed after the answer has started: a database that hangs or
goes away just then must not raise (the server would drop the connection unanswered), and
anything else still does."""

import logging
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import close_quietly


class ClosingFails:
    """A session whose close meets the given error (as a rollback on a hung connection
    times out)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.closed = False

    async def close(self) -> None:
        self.closed = True
        raise self.error


def session(error: Exception) -> Any:
    return ClosingFails(error)


async def test_a_hung_database_at_close_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hung = session(TimeoutError())
    with caplog.at_level(logging.WARNING, logger="api.deps"):
        await close_quietly(cast(AsyncSession, hung))
    assert hung.closed
    assert "closing a session failed: TimeoutError" in caplog.text


async def test_a_bug_at_close_still_raises() -> None:
    with pytest.raises(ValueError):
        await close_quietly(cast(AsyncSession, session(ValueError("bug"))))
