"""A worker asked to stop (SIGTERM: a rollout, `docker compose stop`) lets its running
activity finish and report, instead of leaving it to time out and run again elsewhere."""

import asyncio
import os
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import fresh_task_queue
from worker import run_until_stopped

PACKED: list[str] = []
STARTED = asyncio.Event()


@activity.defn
async def pack_slowly(parcel: str) -> str:
    STARTED.set()
    await asyncio.sleep(1.5)
    PACKED.append(parcel)
    return parcel


@workflow.defn(sandboxed=False)
class PackOneParcel:
    @workflow.run
    async def run(self, parcel: str) -> str:
        return await workflow.execute_activity(
            pack_slowly, parcel, start_to_close_timeout=timedelta(minutes=5)
        )


def worker_on(env: WorkflowEnvironment, queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[PackOneParcel],
        activities=[pack_slowly],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


async def test_sigterm_lets_the_running_activity_finish(dev_env: WorkflowEnvironment) -> None:
    queue = fresh_task_queue()
    stopping = asyncio.create_task(run_until_stopped(worker_on(dev_env, queue)))
    handle = await dev_env.client.start_workflow(
        PackOneParcel.run, "SHP-1", id=f"pack-{queue}", task_queue=queue
    )
    await asyncio.wait_for(STARTED.wait(), timeout=30)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(stopping, timeout=30)
    assert PACKED == ["SHP-1"]  # finished before the worker stopped, not cancelled
    async with worker_on(dev_env, queue):  # the next worker carries the workflow on
        assert await handle.result() == "SHP-1"
    assert PACKED == ["SHP-1"]  # and nothing ran twice
