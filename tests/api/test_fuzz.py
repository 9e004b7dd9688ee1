"""No client input gets a 5xx: requests generated from the OpenAPI schema, valid and invalid
(schemathesis + Hypothesis), sent to the real app with a real database behind it."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, open_desk

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


def generated(strategy: Any, examples: int = EXAMPLES_PER_OPERATION) -> list[Any]:
    cases: list[Any] = []

    # Fixed seed and no example database: the same requests on every run and machine.
    @settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(case: Any) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:
        return []  # an operation with no inputs has no invalid variant
    return cases


async def test_no_generated_request_gets_a_server_error(desk: Desk) -> None:
    schema = schemathesis.openapi.from_dict(desk.app.openapi())
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err fails the test here
        user = "manager" if "approvals" in operation.path else "admin"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in generated(operation.as_strategy(generation_mode=mode)):
                kwargs = case.as_transport_kwargs(base_url="http://desk")
                headers = {**kwargs.pop("headers", {}), **desk.auth(user)}
                kwargs.pop("cookies", None)
                if isinstance(kwargs.get("data"), bytes | str):  # raw bodies go as content
                    kwargs["content"] = kwargs.pop("data")
                response = await desk.http.request(headers=headers, **kwargs)
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {case.as_curl_command()}")
    assert sent > 300
    assert failures == []
