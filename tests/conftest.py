"""Shared fixtures: real PostgreSQL (embedded unless DATABASE_URL is set) and Temporal servers."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config import Settings
from db.engine import SessionFactory, make_engine, make_sessions
from db.migrate import upgrade_head_async
from stack.binaries import temporal_cli, temporal_test_server
from stack.postgres import admin_url, database_url, ensure_database, start_embedded
from workflows import search_attributes


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if os.environ.get("DATABASE_URL"):
        yield None
        return
    server = start_embedded(tmp_path_factory.mktemp("pg") / "data")
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
async def database(postgres_server: Any) -> str:
    """A fresh database for this test session, built by the Alembic migrations."""
    name = f"orderflow_test_{uuid.uuid4().hex[:8]}"
    external = os.environ.get("DATABASE_URL")
    if external:
        base, _, _ = external.rpartition("/")
        await ensure_database(external.replace("+asyncpg", ""), name)
        url = f"{base}/{name}"
    else:
        await ensure_database(admin_url(postgres_server), name)
        url = database_url(postgres_server, name)
    await upgrade_head_async(url)
    return url


@pytest.fixture(scope="session")
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> SessionFactory:
    # As the worker's: confirmations carry their signed tracking link.
    return make_sessions(engine, Settings().link_signer())


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: hours and days of timers pass in milliseconds.

    One per test: skipping time is global to a server, and a test must not inherit another's
    clock or leftovers (seen: a skip stalled after an earlier module's tests on a shared one).
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default", search_attributes=search_attributes.indexed_types()
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (the one `make run` starts), in memory, on free ports."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.enableUpdateWorkflowExecution=true",
        ],
    )
    yield env
    await env.shutdown()


def test_settings(task_queue: str, **process: Any) -> Settings:
    settings = Settings()
    settings.temporal.task_queue = task_queue
    # Orders flow through packing on their own unless a test packs them by hand (manual).
    settings.process.warehouse_confirmation = "auto"
    settings.process.auto_pack_seconds = 1
    for key, value in process.items():
        setattr(settings.process, key, value)
    return settings


def fresh_task_queue() -> str:
    return f"orders-test-{uuid.uuid4().hex[:8]}"


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
