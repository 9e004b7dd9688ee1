"""Personal data in Temporal is encrypted (stack/codec.py), on the real dev server: a street
and a phone number given to a running order are nowhere in the raw history, the search
attributes or the workflow's metadata; the API's codec endpoint opens them for an admin only
(through the Temporal CLI too, as the UI would), and lets the UI's origin call it."""

import asyncio
import base64
import json
import os
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from config import Settings
from db.engine import SessionFactory
from stack.binaries import temporal_cli
from stack.processes import free_port
from temporal_client import connect_temporal
from tests.harness import Desk, eventually, open_desk
from workflows.host import workflow_id

STREET = "Kanarienweg 77"
PHONE = "+49 170 5550123"
UI = "http://localhost:8233"


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    address = dev_env.client.service_client.config.target_host
    # The API's and the worker's client seal payloads, as in every deployment.
    sealed = await connect_temporal(Settings(), address)
    async with open_desk(dev_env, sessions, client=sealed) as desk:
        yield desk


def to_json(payloads: Any) -> dict[str, Any]:
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                "data": base64.b64encode(p.data).decode(),
            }
            for p in payloads
        ]
    }


async def test_personal_data_is_sealed_in_temporal_and_opened_for_admins_only(
    desk: Desk,
) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    address = {"line1": STREET, "city": "Berlin", "postal_code": "10178", "country": "DE"}
    change = {"ship_to": address, "reason": f"customer called from {PHONE}"}
    await desk.ok("service", "POST", f"/orders/{order_id}/changes", json=change)

    # Raw, as Temporal stores it (the environment's own client has no codec).
    handle = desk.env.client.get_workflow_handle(workflow_id(order_id))
    events = [e async for e in handle.fetch_history_events()]
    raw = b"".join(e.SerializeToString() for e in events)
    for canary in (STREET, PHONE, "5550123", "Kanarienweg"):
        assert canary.encode() not in raw
    description = await handle.describe()
    metadata = description.raw_description.SerializeToString()
    assert b"Kanarienweg" not in metadata and b"5550123" not in metadata

    # The change's payloads, as the UI would send them to the codec endpoint.
    (accepted,) = [
        e
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.meta
    ][-1:]
    sealed = to_json(
        accepted.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads
    )
    opened = await desk.call("admin", "POST", "/codec/decode", json=sealed)
    assert opened.status_code == 200, opened.text
    assert STREET in _decoded_text(opened.json())
    assert PHONE in _decoded_text(opened.json())
    assert (await desk.call("finance", "POST", "/codec/decode", json=sealed)).status_code == 403
    assert (await desk.http.post("/codec/decode", json=sealed)).status_code == 401
    bad = {"payloads": [{**sealed["payloads"][0], "data": "AAAA"}]}
    refused = await desk.call("admin", "POST", "/codec/decode", json=bad)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "payloads",
        0,
    ]

    # The Temporal UI calls from its own origin; other sites get no CORS grant.
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    granted = await desk.http.options("/codec/decode", headers=preflight)
    assert granted.status_code == 200
    assert granted.headers["access-control-allow-origin"] == UI
    denied = await desk.http.options(
        "/codec/decode", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in denied.headers

    # The Temporal CLI, pointed at the codec endpoint with an admin's token, shows the data.
    async with served(desk) as url:
        shown = await cli_show(desk, order_id, url, desk.tokens["admin"])
        assert STREET in shown
        hidden = await cli_show(desk, order_id, url, None)
        assert STREET not in hidden


def _decoded_text(body: dict[str, Any]) -> str:
    return " ".join(base64.b64decode(p["data"]).decode() for p in body["payloads"])


class served:
    """The desk's app on a real port, for clients outside this process."""

    def __init__(self, desk: Desk) -> None:
        self.port = free_port()
        config = uvicorn.Config(desk.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())

        async def started() -> bool:
            return bool(self.server.started)

        await eventually(started)
        return f"http://127.0.0.1:{self.port}/codec"

    async def __aexit__(self, *_: object) -> None:
        self.server.should_exit = True
        await self.task


async def cli_show(desk: Desk, order_id: str, codec: str, token: str | None) -> str:
    auth = ["--codec-auth", f"Bearer {token}"] if token else []
    process = await asyncio.create_subprocess_exec(
        str(temporal_cli()),
        "workflow",
        "show",
        "-w",
        workflow_id(order_id),
        "--address",
        desk.env.client.service_client.config.target_host,
        "--codec-endpoint",
        codec,
        *auth,
        "-o",
        "json",
        stdout=PIPE,
        stderr=PIPE,
        env={**os.environ},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    if process.returncode != 0:
        return err.decode()
    # Payloads keep base64 data in JSON output: the text of every one, decoded.
    return " ".join(_payload_texts(json.loads(out)))


def _payload_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = []
        if "metadata" in node and isinstance(node.get("data"), str):
            found.append(base64.b64decode(node["data"]).decode(errors="replace"))
        for value in node.values():
            found += _payload_texts(value)
        return found
    if isinstance(node, list):
        return [text for item in node for text in _payload_texts(item)]
    return []
