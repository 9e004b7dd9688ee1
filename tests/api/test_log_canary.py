"""A forced database error leaves no personal data in any log line or in the answer."""

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, new_customer, open_desk

CANARY = "Kanarienvogel"


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def test_no_log_line_carries_personal_data(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    async with desk.sessions.begin() as session:
        # The database refuses this one customer: a failure no input check foresees.
        await session.execute(
            text(
                "CREATE OR REPLACE FUNCTION refuse_canary() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER refuse_canary BEFORE INSERT ON customers FOR EACH ROW "
                f"WHEN (NEW.name LIKE '{CANARY}%') EXECUTE FUNCTION refuse_canary()"
            )
        )
    body = new_customer()
    body["name"] = f"{CANARY} Erika Mustermann"
    body["email"] = f"{CANARY.lower()}@example.com"
    body["address"]["line1"] = f"{CANARY}gasse 7"
    try:
        with caplog.at_level(logging.DEBUG):
            response = await desk.call("sales1", "POST", "/customers", json=body)
    finally:
        async with desk.sessions.begin() as session:
            await session.execute(text("DROP TRIGGER refuse_canary ON customers"))
    assert response.status_code == 500
    assert CANARY.lower() not in response.text.lower()
    assert any("database error" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        line = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        assert CANARY.lower() not in line.lower(), line
        assert "Mustermann" not in line
