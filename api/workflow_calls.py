"""Starting order workflows and sending them messages, with Temporal errors mapped to ours."""

from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from api.errors import DependencyDown, Forbidden, NotAllowedNow, Unprocessable
from api.starter import WorkflowStarter
from config import Settings
from db.models import Order
from domain.messages import ReturnInput
from domain.refusals import FORBIDDEN, INVALID_DATA, INVALID_INPUT
from temporal_client import (
    OrderWorkflow,
    ProductionWorkflow,
    ReturnWorkflow,
    production_workflow_id,
    return_workflow_id,
    start_return_workflow,
    workflow_id,
)
from temporal_client import start_order_workflow as start_workflow_of

A = TypeVar("A")
T = TypeVar("T")
# A typed reference to one of the order workflow's updates (OrderWorkflow.cancel...): the wire
# name comes from the handler's name=, never from a string here.
# (The SDK types an async handler's result as its coroutine; the call answers the value.)
OrderUpdate = UpdateMethodMultiParam[[OrderWorkflow, A], Awaitable[T]]
ReturnUpdate = UpdateMethodMultiParam[[ReturnWorkflow, A], Awaitable[T]]
ProductionUpdate = UpdateMethodMultiParam[[ProductionWorkflow, A], Awaitable[T]]


async def start_order_workflow(
    client: Client, settings: Settings, order: Order, customer_owner: str | None
) -> None:
    """Start the order's workflow; Temporal unreachable is 503 (the sweeper starts it later)."""
    try:
        await start_workflow_of(client, settings, order, customer_owner)
    except RPCError as exc:
        raise DependencyDown(f"workflow service unavailable: {exc.message}") from exc
    except RuntimeError as exc:  # a client whose first connection never succeeded
        raise DependencyDown("workflow service unavailable") from exc


async def update_order(
    client: Client,
    order_id: str,
    update: OrderUpdate[A, T],
    arg: A,
    starter: WorkflowStarter | None = None,
) -> T:
    """Send an update (a typed reference: OrderWorkflow.record_payment...); an order whose
    start still waits in this API's starter is started first (a payment sent right after
    intake must not find no process)."""
    try:
        return await _update(client, order_id, update, arg)
    except _NotRunning:
        if starter is None or not await starter.start_now(order_id):
            raise NotAllowedNow("the order's process is not running") from None
    try:
        return await _update(client, order_id, update, arg)
    except _NotRunning:
        raise NotAllowedNow("the order's process is not running") from None


class _NotRunning(Exception):
    pass


async def _update(client: Client, order_id: str, update: OrderUpdate[A, T], arg: A) -> T:
    handle = client.get_workflow_handle_for(OrderWorkflow.run, workflow_id(order_id))
    return await _execute(handle, update, arg)


async def start_return(client: Client, settings: Settings, r: ReturnInput) -> None:
    """Start a return's workflow (again: the one started stands); Temporal down is 503."""
    try:
        await start_return_workflow(client, settings, r)
    except RPCError as exc:
        raise DependencyDown(f"workflow service unavailable: {exc.message}") from exc
    except RuntimeError as exc:  # a client whose first connection never succeeded
        raise DependencyDown("workflow service unavailable") from exc


async def update_return(
    client: Client, settings: Settings, r: ReturnInput, update: ReturnUpdate[A, T], arg: A
) -> T:
    """Send a return's workflow an update, starting it first if its start was lost."""
    await start_return(client, settings, r)
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(r.rma))
    try:
        return await _execute(handle, update, arg)
    except _NotRunning:
        raise NotAllowedNow("the return's process is not running") from None


async def update_production(
    client: Client, order_id: str, update: ProductionUpdate[A, T], arg: A
) -> T:
    """A plant's event or customer service's decision to the order's production workflow
    (409 when it is not running: production not started yet, or ended)."""
    handle = client.get_workflow_handle_for(
        ProductionWorkflow.run, production_workflow_id(order_id)
    )
    try:
        return await _execute(handle, update, arg)
    except _NotRunning:
        raise NotAllowedNow("the production's process is not running") from None


async def _execute(handle: WorkflowHandle[Any, Any], update: Any, arg: Any) -> T:
    try:
        return cast(T, await handle.execute_update(update, arg))
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError):
            cause = cause.cause  # the activity's own refusal (data the database would not take)
        if isinstance(cause, ApplicationError):
            if cause.type == FORBIDDEN:
                raise Forbidden(cause.message) from exc
            if cause.type in (INVALID_INPUT, INVALID_DATA):
                raise Unprocessable(cause.message) from exc
            raise NotAllowedNow(cause.message) from exc
        raise NotAllowedNow(str(cause or exc)) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise _NotRunning() from exc
        if exc.status == RPCStatusCode.FAILED_PRECONDITION:
            raise NotAllowedNow("the order's process has ended") from exc
        raise DependencyDown(f"workflow service unavailable: {exc.message}") from exc


async def nudge_orders(client: Client, order_ids: list[str]) -> None:
    """Tell orders that were served from a receipt; each also rechecks on its own timer."""
    for order_id in order_ids:
        try:
            handle = client.get_workflow_handle_for(OrderWorkflow.run, workflow_id(order_id))
            await handle.signal(OrderWorkflow.stock_available)
        except RPCError:
            continue
