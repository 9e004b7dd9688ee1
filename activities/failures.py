"""Errors that no retry can fix stop an activity at once instead of retrying it for ever.

A value the database refuses (a data error, a broken constraint that is not a lost race) fails
the same way on every attempt; retrying it would hold the order's workflow, and every message
queued behind it, until someone terminated it. Such an error becomes a non-retryable
ApplicationError of type INVALID_DATA that the workflow handles like any business refusal.
"""

import logging
import time
from typing import Any

import structlog
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from domain.refusals import INVALID_DATA
from domain.text import UnstorableText

# SQLSTATE classes: 22 data exception, 23 integrity constraint violation, 42 syntax or access.
# Inserts that may race use ON CONFLICT, so an integrity error is never a lost race here;
# deadlocks (40) and lost connections (08) still retry.
_FINAL_SQLSTATE_CLASSES = {"22", "23", "42"}


def is_final(exc: BaseException) -> bool:
    """A database error that every retry would meet again."""
    if isinstance(exc, DataError | IntegrityError | ProgrammingError):
        return True
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    return isinstance(exc, DBAPIError) and sqlstate[:2] in _FINAL_SQLSTATE_CLASSES


def _describe(exc: BaseException) -> str:
    """The kind of error and its SQLSTATE, never its text: a driver's message may quote the
    value it refused (a customer's name), and this one goes to logs and workflow histories."""
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None)
    return f"{type(orig).__name__}" + (f" (SQLSTATE {sqlstate})" if sqlstate else "")


class _FailFast(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except (DBAPIError, UnstorableText, UnicodeEncodeError) as exc:
            if isinstance(exc, DBAPIError) and not is_final(exc):
                raise
            raise ApplicationError(_describe(exc), type=INVALID_DATA, non_retryable=True) from None


class FailFastOnBadData(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FailFast(next)


# After this many failed attempts an order's activity counts as failing: the order shows it
# in the FailingActivity search attribute until an attempt succeeds.
FAILING_AFTER_ATTEMPTS = 3
log = logging.getLogger(__name__)


async def _tell_order(signal: str) -> None:
    info = activity.info()
    if not info.workflow_id or not info.workflow_id.startswith("order-"):
        return
    try:
        handle = activity.client().get_workflow_handle(info.workflow_id)
        await handle.signal(signal, info.activity_type)
    except Exception:  # the order may have ended; telling it is best effort
        log.warning("could not tell %s that %s is %s", info.workflow_id, info.activity_type, signal)


class _ReportFailing(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        attempt = activity.info().attempt
        try:
            result = await super().execute_activity(input)
        except ApplicationError as exc:
            if not exc.non_retryable and attempt >= FAILING_AFTER_ATTEMPTS:
                await _tell_order("activity_failing")
            raise
        except Exception:
            if attempt >= FAILING_AFTER_ATTEMPTS:
                await _tell_order("activity_failing")
            raise
        if attempt > FAILING_AFTER_ATTEMPTS:
            await _tell_order("activity_recovered")
        return result


class _LogContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        workflow_id = info.workflow_id or ""
        ids = {"workflow_id": workflow_id, "activity": info.activity_type}
        if workflow_id.startswith("order-"):
            ids["order_id"] = workflow_id.removeprefix("order-")
        with structlog.contextvars.bound_contextvars(**ids):
            started = time.perf_counter()
            try:
                result = await super().execute_activity(input)
            except Exception as exc:
                # The error's kind only: its text may quote a value (a customer's name).
                log.warning("activity failed: %s (attempt %s)", type(exc).__name__, info.attempt)
                raise
            log.info("activity done in %.0f ms", (time.perf_counter() - started) * 1000)
            return result


class LogContext(Interceptor):
    """Every log line of an activity names its order, workflow and activity."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _LogContext(next)


class ReportFailingActivities(Interceptor):
    """Tells an order's workflow when one of its activities keeps failing, and when it
    recovers, so operators find such orders by the FailingActivity search attribute."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ReportFailing(next)
