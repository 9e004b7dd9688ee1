"""`orderflow search-attributes`: register the order search attributes on an existing
Temporal cluster (the dev server of `make run` and the compose job register them
themselves). Adds only the missing ones, so it is safe to run again and on a cluster with
running orders."""

import asyncio

from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from config import get_settings
from temporal_client import connect_temporal
from workflows.search_attributes import indexed_types


async def register(client: Client, namespace: str) -> list[str]:
    """The attributes added (none when all were there already)."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    known = set(existing.custom_attributes) | set(existing.system_attributes)
    missing = {k: v for k, v in indexed_types().items() if k not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


async def _main(address: str | None) -> None:
    settings = get_settings()
    target = address or settings.temporal.address
    if not target:
        raise SystemExit("give --address host:port or set TEMPORAL_ADDRESS")
    client = await connect_temporal(settings, target)
    added = await register(client, settings.temporal.namespace)
    print("added: " + ", ".join(added) if added else "all search attributes were registered")


def main(address: str | None = None) -> None:
    asyncio.run(_main(address))
