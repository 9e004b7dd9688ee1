"""The same-shape baseline: a workflow with as many activities, timers, updates and signals as
an auto-approved order had in the same run (counted from their histories), whose activities do
nothing. It runs in a worker process of its own with the order worker's settings (cache size,
activity slots, the encrypting data converter) on the same Temporal server, so our throughput
divided by the baseline's says what our own code costs, whatever the machine.

    python -m bench.baseline   # the worker; bench/run.py starts it and drives the workflows
"""

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

TASK_QUEUE = "bench-baseline"


class Shape(BaseModel):
    activities: int
    timers: int
    updates: int
    signals: int


@activity.defn(name="baseline_noop")
async def noop(step: int) -> int:
    return step


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    def __init__(self) -> None:
        self.updates = 0
        self.signals = 0

    @workflow.run
    async def run(self, shape: Shape) -> int:
        for step in range(shape.activities):
            await workflow.execute_activity(
                noop, step, start_to_close_timeout=timedelta(seconds=30)
            )
            if step < shape.timers:
                await workflow.sleep(timedelta(milliseconds=50))
        await workflow.wait_condition(
            lambda: self.updates >= shape.updates and self.signals >= shape.signals
        )
        return shape.activities

    @workflow.update(name="baseline_update")
    async def update(self, n: int) -> int:
        self.updates += 1
        return n

    @workflow.signal(name="baseline_signal")
    def signal(self, n: int) -> None:
        self.signals += 1


@dataclass(frozen=True)
class Counted:
    shape: Shape
    orders: int


async def shape_of(client: Client, workflow_ids: list[str]) -> Counted:
    """The median order's activities, timers, updates and signals, from their histories."""
    per_order: list[Counter[int]] = []
    for workflow_id in workflow_ids:
        counts: Counter[int] = Counter()
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
            counts[event.event_type] += 1
        per_order.append(counts)

    def median(kind: int) -> int:
        values = sorted(c[kind] for c in per_order)
        return values[len(values) // 2] if values else 0

    shape = Shape(
        activities=median(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        timers=median(EventType.EVENT_TYPE_TIMER_STARTED),
        updates=median(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        signals=median(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    )
    return Counted(shape, len(per_order))


def baseline_worker(client: Client, max_cached: int, slots: int) -> Worker:
    return Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[BaselineWorkflow],
        activities=[noop],
        max_cached_workflows=max_cached,
        max_concurrent_activities=slots,
        activity_executor=ThreadPoolExecutor(slots),
    )


async def _main() -> None:
    from config import get_settings
    from temporal_client import connect_temporal

    settings = get_settings()
    assert settings.temporal.address, "TEMPORAL_ADDRESS"
    client = await connect_temporal(settings, settings.temporal.address)
    slots = 2 * settings.database.pool_size  # as the order worker's
    await baseline_worker(client, settings.worker_cached_workflows, slots).run()


if __name__ == "__main__":
    asyncio.run(_main())
