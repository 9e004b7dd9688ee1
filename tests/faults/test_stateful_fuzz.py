"""Stateful fuzzing over HTTP: schemathesis chains operations along the links it infers from
the schema (a customer made, then read, changed, ordered for; an order placed, then read,
cancelled, paid ...) against the real API process of a running stack, signed in as an admin;
every answer must be documented (status, content type, body) and none a 5xx. Takes minutes:
`make faults`."""

import asyncio
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase

from bench.cluster import Cluster
from tests.api.test_fuzz import CHECKS

pytestmark = [pytest.mark.long, pytest.mark.timeout(1200)]
SCENARIOS = 300
STEPS = 12


async def test_chained_operations_get_documented_answers(cluster: Cluster) -> None:
    schema = schemathesis.openapi.from_url(f"{cluster.api_url}/openapi.json")
    token = cluster.tokens()["admin"]
    calls: list[int] = []
    # Collected, not raised: Hypothesis would replay a failing sequence against a server that
    # has moved on since, and report that instead.
    failures: list[str] = []

    class Desk(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # Signed in by bearer token (a generated API key would be a second identity).
            for name in [h for h in (case.headers or {}) if h.lower() == "x-api-key"]:
                del case.headers[name]

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {token}"}, "timeout": 60}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            calls.append(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseExceptionGroup as found:
                failures.append(str(found))

    # One scenario per run: within a run Hypothesis expects a replayed prefix to meet the same
    # answers, which a live server that keeps what earlier scenarios made cannot promise.
    settings = hypothesis.settings(
        max_examples=1,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        # No shrinking: the server keeps what earlier steps made, so a replayed sequence
        # meets another state; a failure is reported with its steps as they ran.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    def scenarios() -> None:
        for _ in range(SCENARIOS):
            Desk.run(settings=settings)

    # Blocking HTTP calls in a thread: the stack's processes answer them.
    await asyncio.to_thread(scenarios)
    assert failures == [], "\n\n".join(failures[:5])
    assert len(calls) > SCENARIOS
    # The chains reached real resources, not only 404s of made-up ids.
    assert sum(1 for code in calls if code < 300) > len(calls) // 10, calls
