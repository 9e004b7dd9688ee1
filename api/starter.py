"""Intake answers first; the order's workflow is started right after, outside the request.

A start costs the Temporal server several milliseconds of CPU. Under a burst of orders on a
small machine, making every caller wait for its own start queued them behind each other's
starts: intake's p99 was the whole burst. So intake commits the order and answers, and this
starter starts the workflows: at once when intake is quiet, during a burst only once an order
has waited MAX_DELAY. An order whose start is lost (the API process stopped, Temporal down)
is started by the worker's sweeper; a message to an order not yet started starts it first.
"""

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

StartFn = Callable[[], Awaitable[None]]

MAX_DELAY_SECONDS = 5.0
CONCURRENT_STARTS = 4
_POLL_SECONDS = 0.05


class WorkflowStarter:
    def __init__(self) -> None:
        # Each start with the context of the request that asked for it (its trace, its ids).
        self._waiting: dict[str, tuple[float, StartFn, contextvars.Context]] = {}
        self._intake_in_flight = 0
        self._wakeup: asyncio.Event | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._starting: dict[str, asyncio.Task[None]] = {}

    @asynccontextmanager
    async def intake(self) -> AsyncIterator[None]:
        """Marks a request taking an order: starts wait while intake is busy."""
        self._intake_in_flight += 1
        try:
            yield
        finally:
            self._intake_in_flight -= 1

    def submit(self, order_id: str, start: StartFn) -> None:
        loop = asyncio.get_running_loop()
        self._waiting.setdefault(order_id, (loop.time(), start, contextvars.copy_context()))
        if self._loop_task is None or self._loop_task.done():
            self._wakeup = asyncio.Event()
            self._loop_task = loop.create_task(self._run())
        assert self._wakeup is not None
        self._wakeup.set()

    async def start_now(self, order_id: str) -> bool:
        """Start this order's workflow now if it waits here; True if it did (or had)."""
        if order_id in self._starting:
            await asyncio.shield(self._starting[order_id])
            return True
        waiting = self._waiting.pop(order_id, None)
        if waiting is None:
            return False
        try:
            await waiting[1]()
        except Exception:
            log.warning("could not start the workflow of order %s yet", order_id)
            raise
        return True

    async def drain(self) -> None:
        """Start what waits now and wait for every start under way (shutdown, tests)."""
        for order_id in list(self._waiting):
            with contextlib.suppress(Exception):  # logged; the sweeper starts it later
                await self.start_now(order_id)
        if self._starting:
            await asyncio.gather(*self._starting.values(), return_exceptions=True)
        if self._loop_task is not None:
            self._loop_task.cancel()
            self._loop_task = None

    async def _run(self) -> None:
        assert self._wakeup is not None
        slots = asyncio.Semaphore(CONCURRENT_STARTS)
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                loop = asyncio.get_running_loop()
                order_id, (since, start, context) = next(iter(self._waiting.items()))
                if self._intake_in_flight and loop.time() - since < MAX_DELAY_SECONDS:
                    await asyncio.sleep(_POLL_SECONDS)
                    continue
                del self._waiting[order_id]
                await slots.acquire()
                task = loop.create_task(self._start(order_id, start, slots), context=context)
                self._starting[order_id] = task

    async def _start(self, order_id: str, start: StartFn, slots: asyncio.Semaphore) -> None:
        try:
            await start()
        except Exception:  # Temporal unreachable: the worker's sweeper starts it later
            log.warning("could not start the workflow of order %s yet", order_id)
        finally:
            slots.release()
            self._starting.pop(order_id, None)
