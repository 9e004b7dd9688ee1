"""Engine and session factory, built by the composition roots, never at import."""

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]


def asyncpg_url(url: str) -> str:
    """Accept plain postgresql:// URLs (as libpq tools print them) as well as asyncpg ones."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(asyncpg_url(url), pool_size=pool_size, pool_pre_ping=True)


def make_sessions(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)
