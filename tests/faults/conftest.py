"""A stack of separate processes per fault test (bench/cluster.py): a fault kills or hangs
one part, so no test shares its servers with another."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench.cluster import Cluster
from bench.traffic import Traffic


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    cluster = Cluster(tmp_path)
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop()


@pytest.fixture
async def traffic(cluster: Cluster) -> AsyncIterator[Traffic]:
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=30) as http:
        traffic = Traffic(http, cluster.tokens())
        await traffic.prepare(skus=4, stock=1000, customers=10)
        yield traffic
