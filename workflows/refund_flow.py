"""RefundWorkflow (`refund-{order_id}-{reference}`): finance's refund through the payment
gateway, durable and retried until the gateway answers; its id makes the reference count
once (a second request with it finds this workflow and its result)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.refunds import RefundActivities
    from domain.messages import RefundRequest, RefundResult
    from workflows.host import run_activity


def refund_workflow_id(order_id: str, reference: str) -> str:
    return f"refund-{order_id}-{reference}"


@workflow.defn(name="RefundWorkflow")
class RefundWorkflow:
    @workflow.run
    async def run(self, r: RefundRequest) -> RefundResult:
        return await run_activity(RefundActivities.refund_order, r)
