"""Errors that no retry can fix stop an activity at once instead of retrying it for ever.

A value the database refuses (a data error, a broken constraint that is not a lost race) fails
the same way on every attempt; retrying it would hold the order's workflow, and every message
queued behind it, until someone terminated it. Such an error becomes a non-retryable
ApplicationError of type INVALID_DATA that the workflow handles like any business refusal.
"""

from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
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
