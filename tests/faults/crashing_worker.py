"""A worker that dies (as a power cut would: no cleanup, no report to Temporal) right after an
activity's transaction committed, once per activity type the test arms.

    CRASH_DIR=/some/dir python -m tests.faults.crashing_worker

The test arms `<type>` by creating CRASH_DIR/arm-<type>; the first successful run of that
activity afterwards renames it to fired-<type> and ends the process with exit code 137. A
supervisor in the test starts the worker again; Temporal retries the activity once its
start-to-close timeout passed, and the retry must find its own work.
"""

import asyncio
import os
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from config import get_settings
from stack.logs import configure_logging
from worker import run_worker

KILLED = 137


class CrashAfterCommit(Interceptor):
    def __init__(self, directory: str) -> None:
        self.directory = directory

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self.directory)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, directory: str) -> None:
        super().__init__(next)
        self.directory = directory

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        # Each activity is one transaction, committed when it returns.
        result = await super().execute_activity(input)
        kind = activity.info().activity_type
        armed = os.path.join(self.directory, f"arm-{kind}")
        try:
            os.rename(armed, os.path.join(self.directory, f"fired-{kind}"))
        except FileNotFoundError:
            return result
        os._exit(KILLED)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    assert settings.database.url and settings.temporal.address
    crash = CrashAfterCommit(os.environ["CRASH_DIR"])
    asyncio.run(run_worker(settings, settings.database.url, settings.temporal.address, [crash]))


if __name__ == "__main__":
    main()
