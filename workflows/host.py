"""What the order workflow offers the stages it runs (approvals, delivery, settlement), and
how every activity of an order is called.

The stages are plain objects living in the workflow sandbox; they reach the order only
through this interface, so each can be read (and tested) on its own.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from domain.cancellation import CancelReason
from domain.messages import OrderState, OrderWorkflowInput
from domain.refusals import INVALID_INPUT
from domain.status import OrderStatus
from domain.text import UnstorableText, check_storable_message
from workflows.ops_view import OpsView
from workflows.summaries import summary_of

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Errors that another attempt cannot fix; the rest (a database restart...) retry.
ACTIVITY_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["UnknownTrackingNumber", "IllegalTransition", "OrderNotFound"],
)


def workflow_id(order_id: str) -> str:
    """An order's workflow id: deterministic, so a retried start finds the running one."""
    return f"order-{order_id}"


async def run_activity(method: Callable[[Any, ArgT], Awaitable[ResultT]], arg: ArgT) -> ResultT:
    return await workflow.execute_activity_method(
        method,
        arg,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=ACTIVITY_RETRY,
        summary=summary_of(method.__name__, arg),
    )


def refuse_unstorable(message: Any) -> None:
    """Text the database cannot store would fail the activity that writes it: refused here,
    before the update is accepted, so the order never holds a message it cannot record."""
    try:
        check_storable_message(message)
    except UnstorableText as exc:
        raise ApplicationError(str(exc), type=INVALID_INPUT) from None


class OrderHost(Protocol):
    """The order workflow, as its stages see it."""

    order: OrderWorkflowInput
    # Decisions and events run one at a time, so a racing approve and reject see each other.
    lock: asyncio.Lock
    # What operators see in the Temporal UI: search attributes and current details.
    ops: OpsView

    @property
    def status(self) -> OrderStatus: ...

    def set_status(self, status: OrderStatus) -> None:
        """Notes a status an activity has written (and the search attribute operators filter)."""
        ...

    def payment_due(self) -> bool: ...

    def after_approvals(self) -> OrderStatus:
        """Where the last approval moves the order (its stock is held, or it is pre-sold)."""
        ...

    def before_release(self) -> bool:
        """A pre-sale order before its release: its lines stay as they are."""
        ...

    def goods_left(self) -> bool:
        """The first parcel is booked: no cancelling, no changing."""
        ...

    def goods_with_carrier(self) -> bool:
        """The carrier has picked (some of) the goods up: no cancelling any more."""
        ...

    def cancelling(self) -> bool:
        """A cancellation has been accepted (check_cancel will end the stage)."""
        ...

    def reviewed(self) -> bool:
        """The order's first review has run."""
        ...

    async def run_activity(
        self, method: Callable[[Any, ArgT], Awaitable[ResultT]], arg: ArgT
    ) -> ResultT: ...

    async def wait(self, condition: Callable[[], bool], timeout: timedelta | None) -> bool: ...

    async def review(self, to: OrderStatus, revision: int | None = None) -> bool:
        """Reviews the order (again; revision: the changed version) and sets its approval
        path; False when it rejects it."""
        ...

    def state(self) -> OrderState:
        """What the order's callers are answered."""
        ...

    async def reserve_outstanding(self) -> None:
        """Holds what the order still needs, waiting for stock as long as it takes."""
        ...

    async def cancellation_settled(self) -> None:
        """Returns once no cancellation awaits confirmation (a confirmed one ends the stage)."""
        ...

    def check_cancel(self) -> None:
        """Ends the current stage if a cancellation has been accepted."""
        ...

    async def change_status(self, to: OrderStatus, reason: str) -> None: ...

    async def close(
        self,
        to: OrderStatus,
        reason: str,
        actor: str = "system",
        code: CancelReason | None = None,
    ) -> None: ...
