"""Starting order workflows and sending them messages, with Temporal errors mapped to ours."""

from typing import Any, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import DependencyDown, Forbidden, NotAllowedNow, Unprocessable
from config import Settings
from db.models import Order
from domain.messages import OrderWorkflowInput
from domain.refusals import FORBIDDEN, INVALID_DATA, INVALID_INPUT
from domain.review import PaymentMethod
from workflows import search_attributes as sa
from workflows.order import OrderWorkflow, workflow_id

T = TypeVar("T")


async def start_order_workflow(
    client: Client, settings: Settings, order: Order, customer_owner: str | None
) -> None:
    """Idempotent: a retried intake finds the running (or finished) workflow and starts none."""
    try:
        await client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(
                order_id=order.id,
                customer_id=order.customer_id,
                channel=order.channel,
                total=order.total,
                payment_method=PaymentMethod(order.payment_method),
                created_by=order.created_by,
                timeouts=settings.process.timeouts(),
                customer_owner=customer_owner,
            ),
            id=workflow_id(order.id),
            task_queue=settings.temporal.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.ORDER_STATUS, order.status),
                    SearchAttributePair(sa.CUSTOMER_ID, order.customer_id),
                    SearchAttributePair(sa.CHANNEL, order.channel),
                    SearchAttributePair(sa.ORDER_TOTAL, float(order.total)),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        return  # it ran to its end earlier: a retry starts nothing
    except RPCError as exc:
        raise DependencyDown(f"workflow service unavailable: {exc.message}") from exc


async def update_order(
    client: Client, order_id: str, update: str, arg: Any, result_type: type[T]
) -> T:
    handle = client.get_workflow_handle(workflow_id(order_id))
    try:
        result: T = await handle.execute_update(update, arg, result_type=result_type)
        return result
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
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise NotAllowedNow("the order's process has ended") from exc
        raise DependencyDown(f"workflow service unavailable: {exc.message}") from exc


async def nudge_orders(client: Client, order_ids: list[str]) -> None:
    """Tell orders that were served from a receipt; each also rechecks on its own timer."""
    for order_id in order_ids:
        try:
            await client.get_workflow_handle(workflow_id(order_id)).signal("stock_available")
        except RPCError:
            continue
