"""Liveness and readiness probes."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionFactoryDep, TemporalDep
from api.errors import DependencyDown

router = APIRouter(tags=["health"])


# A load balancer asks often and must hear "not ready" quickly, not after the pool's timeout.
READY_WITHIN_SECONDS = 1.5


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(sessions: SessionFactoryDep, temporal: TemporalDep) -> dict[str, str]:
    """PostgreSQL and Temporal both answer, each within 1.5 seconds (else 503)."""

    async def database() -> bool:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
        return True

    if not await _answers(database):
        raise DependencyDown("database: no answer")
    if not await _answers(temporal.service_client.check_health):
        raise DependencyDown("temporal: not serving")
    return {"status": "ready"}


async def _answers(check: Callable[[], Awaitable[bool]]) -> bool:
    """True if check answered True in time. A hung check is left to end on its own timeouts:
    waiting for its cleanup (a rollback on a hung connection) would make readiness hang too."""
    task: asyncio.Future[Any] = asyncio.ensure_future(check())
    done, _ = await asyncio.wait({task}, timeout=READY_WITHIN_SECONDS)
    if not done:
        task.cancel()
        task.add_done_callback(_swallow)
        return False
    return task.exception() is None and bool(task.result())


def _swallow(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not report it as lost
