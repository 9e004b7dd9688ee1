"""Engine and session factory, built by the composition roots, never at import.

How a request or an activity uses its session, everywhere:

- Writes happen in short `async with session.begin():` blocks: the block commits when it ends
  and rolls back when an exception leaves it. Nobody calls commit() or rollback() by hand.
- No transaction is held open across a Temporal call (a workflow update can take seconds; an
  open transaction would hold its connection, and its row locks, that long). Read what the
  call needs in one block, end it, then call Temporal; record what it answered in another.
- A read-only request may read without a block: the session's own transaction ends when the
  request's session closes.
- Objects stay readable after their block (expire_on_commit=False); one that another process
  may have changed since is read again with `populate_existing`.
"""

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from domain.confirmation_links import LinkSigner

# The key of the link signer in a session's info.
LINKS = "links"

if TYPE_CHECKING:
    from config import DatabaseSettings

SessionFactory = async_sessionmaker[AsyncSession]


def asyncpg_url(url: str) -> str:
    """Accept plain postgresql:// URLs (as libpq tools print them) as well as asyncpg ones."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    pool_size: int = 10,
    command_timeout: float = 10.0,
    connect_timeout: float = 5.0,
    pool_timeout: float = 5.0,
    pre_ping: bool = True,
) -> AsyncEngine:
    """An engine that gives up instead of hanging, and never logs statement parameters.

    A hung server (SIGSTOP, a network partition) enforces no statement_timeout of its own, so
    the client-side command_timeout bounds every statement, pings included; pool_timeout
    bounds the wait for a connection. Both end as errors the API answers with 503 and an
    activity retries. Parameters carry customers' names and addresses: hidden from errors.
    """
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=pool_timeout,
        hide_parameters=True,
        connect_args={
            "timeout": connect_timeout,
            "command_timeout": command_timeout,
            # The server's own limit too, for statements that run long on a healthy server.
            "server_settings": {"statement_timeout": str(int(command_timeout * 1000))},
        },
    )


def engine_from_settings(
    url: str, database: "DatabaseSettings", pre_ping: bool = True
) -> AsyncEngine:
    """pre_ping=False (the API): no round trip before each use of a pooled connection. After a
    database restart the first request meets the dead connection and answers 503, and the
    pool drops every connection of that generation; the ping cost ~9 % of intake's CPU."""
    return make_engine(
        url,
        database.pool_size,
        command_timeout=database.command_timeout,
        connect_timeout=database.connect_timeout,
        pool_timeout=database.pool_timeout,
        pre_ping=pre_ping,
    )


def make_sessions(engine: AsyncEngine, links: LinkSigner | None = None) -> SessionFactory:
    """`links` signs the tracking link a confirmation carries (db/customer_messages.py reads
    it from the session's info): the worker's sessions have it; without it, none is sent."""
    info = {LINKS: links} if links is not None else None
    return async_sessionmaker(engine, expire_on_commit=False, info=info)
