"""ReturnWorkflow (`return-{rma}`): one authorized return, linked to its order.

It waits for the goods (the warehouse's `receive`; expired when they do not come within the
policy's wait); then the refund of what came back, or, for an exchange, the same goods held,
picked, packed (by the warehouse, or the demo's simulated packer) and booked with the carrier.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.fulfilment import FulfilmentActivities
    from activities.returns import ReturnActivities
    from domain.messages import (
        BookRequest,
        PackingInput,
        PackingRecord,
        ReceiptRecord,
        ReturnInput,
        ReturnReceipt,
        ReturnState,
    )
    from domain.refusals import NOT_ALLOWED_NOW
    from domain.returns import Resolution, ReturnStatus
    from workflows.host import refuse_unstorable, run_activity
    from workflows.stock_stage import nudge


def return_workflow_id(rma: str) -> str:
    return f"return-{rma}"


@workflow.defn(name="ReturnWorkflow")
class ReturnWorkflow:
    @workflow.init
    def __init__(self, r: ReturnInput) -> None:
        self.r = r
        self.status = ReturnStatus.AUTHORIZED
        self.exchange: str | None = None
        self.packed = False
        # The receipt and the expiry, one at a time.
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, r: ReturnInput) -> ReturnState:
        try:
            await workflow.wait_condition(
                lambda: self.status != ReturnStatus.AUTHORIZED, timeout=r.goods_wait
            )
        except TimeoutError:
            async with self.lock:
                if self.status == ReturnStatus.AUTHORIZED:
                    await run_activity(ReturnActivities.expire_return, r.rma)
                    self.status = ReturnStatus.EXPIRED
        if self.status == ReturnStatus.RECEIVED:
            if r.resolution == Resolution.REFUND:
                await run_activity(ReturnActivities.refund_return, r.rma)
                self.status = ReturnStatus.REFUNDED
            else:
                await self._exchange()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _exchange(self) -> None:
        r = self.r
        while True:
            held = await run_activity(ReturnActivities.hold_exchange, r.rma)
            if held.exchange_shipment_id is not None:
                break
            # Not in stock in one warehouse: looked at again later.
            await workflow.sleep(r.stock_recheck)
        shipment_id = self.exchange = held.exchange_shipment_id
        try:
            await workflow.wait_condition(lambda: self.packed, timeout=r.auto_pack_after)
        except TimeoutError:
            await run_activity(
                FulfilmentActivities.pack_as_simulated_packer,
                PackingRecord(
                    order_id=r.order_id,
                    packing=PackingInput(shipment_id=shipment_id, packages=[]),
                ),
            )
            self.packed = True
        await run_activity(
            FulfilmentActivities.book_shipment,
            BookRequest(order_id=r.order_id, shipment_id=shipment_id),
        )
        await run_activity(ReturnActivities.close_exchange, r.rma)
        self.status = ReturnStatus.EXCHANGED

    @workflow.query(name="state")
    def state(self) -> ReturnState:
        return ReturnState(
            rma=self.r.rma,
            order_id=self.r.order_id,
            status=self.status,
            exchange_shipment_id=self.exchange,
        )

    @workflow.update(name="receive")
    async def receive(self, receipt: ReturnReceipt) -> ReturnState:
        async with self.lock:
            if self.status != ReturnStatus.AUTHORIZED:
                raise ApplicationError(f"the return is {self.status}", type=NOT_ALLOWED_NOW)
            result = await run_activity(
                ReturnActivities.receive_return, ReceiptRecord(rma=self.r.rma, receipt=receipt)
            )
            self.status = ReturnStatus.RECEIVED
        for order_id in result.allocated_orders:
            await nudge(order_id)
        return self.state()

    @receive.validator
    def _validate_receive(self, receipt: ReturnReceipt) -> None:
        refuse_unstorable(receipt)
        if self.status != ReturnStatus.AUTHORIZED:
            raise ApplicationError(f"the return is {self.status}", type=NOT_ALLOWED_NOW)

    @workflow.update(name="shipment_packed")
    async def shipment_packed(self, packing: PackingInput) -> ReturnState:
        await run_activity(
            FulfilmentActivities.record_packing,
            PackingRecord(order_id=self.r.order_id, packing=packing),
        )
        self.packed = True
        return self.state()

    @shipment_packed.validator
    def _validate_packing(self, packing: PackingInput) -> None:
        refuse_unstorable(packing)
        if packing.shipment_id != self.exchange or self.packed:
            raise ApplicationError("no such pick list waits on this return", type=NOT_ALLOWED_NOW)
        if not packing.packages:
            raise ApplicationError("a packed shipment has packages", type=NOT_ALLOWED_NOW)


__all__ = ["ReturnWorkflow", "return_workflow_id"]
