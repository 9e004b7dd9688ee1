"""Liveness and readiness, without authentication."""

from fastapi import APIRouter
from sqlalchemy import text
from temporalio.service import RPCError

from api.deps import SessionDep, TemporalDep
from api.errors import DependencyDown

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(session: SessionDep, temporal: TemporalDep) -> dict[str, str]:
    """PostgreSQL and Temporal both answer."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:
        raise DependencyDown(f"database: {exc}") from exc
    try:
        serving = await temporal.service_client.check_health()
    except RPCError as exc:
        raise DependencyDown(f"temporal: {exc.message}") from exc
    if not serving:
        raise DependencyDown("temporal is not serving")
    return {"status": "ready"}
