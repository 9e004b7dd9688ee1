"""No client input gets a 5xx, and every answer is one the OpenAPI schema documents (its
status, content type and body shape): requests generated from the schema, valid and invalid
(schemathesis + Hypothesis), sent with authentication to the real app with a real database
behind it. A quick pass in `make test`; a few hundred requests per operation in `make faults`.
The stateful run (operations chained by the links schemathesis infers) is in
tests/faults/test_stateful_fuzz.py."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, open_desk

EXAMPLES_PER_OPERATION = 15
LONG_TIMEOUT = pytest.mark.timeout(1800)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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


@pytest.mark.parametrize(
    "examples",
    [
        EXAMPLES_PER_OPERATION,
        pytest.param(100, marks=[pytest.mark.long, pytest.mark.timeout(1800)]),
    ],
)
async def test_generated_requests_get_documented_answers_never_a_server_error(
    desk: Desk, examples: int
) -> None:
    schema = schemathesis.openapi.from_dict(desk.app.openapi())
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err fails the test here
        user = "manager" if "approvals" in operation.path else "admin"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in generated(operation.as_strategy(generation_mode=mode), examples):
                kwargs = case.as_transport_kwargs(base_url="http://desk")
                # Signed in by bearer token (a generated API key would be a second identity).
                headers = {
                    k: v for k, v in kwargs.pop("headers", {}).items() if k.lower() != "x-api-key"
                }
                headers.update(desk.auth(user))
                kwargs.pop("cookies", None)
                if isinstance(kwargs.get("data"), bytes | str):  # raw bodies go as content
                    kwargs["content"] = kwargs.pop("data")
                response = await desk.http.request(headers=headers, **kwargs)
                sent += 1
                if "files" in kwargs:
                    # A multipart body cannot be read back for the report: status only.
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code} {case.as_curl_command()}")
                    continue
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseExceptionGroup as found:
                    failures.append(str(found))
    assert sent > 20 * examples
    assert failures == [], "\n\n".join(failures[:5])
