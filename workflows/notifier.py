"""The notifier: one long-running workflow (`notifier`) that keeps the outbox and the
webhooks delivered. It takes due messages and deliveries in batches, waits a poll interval
when there are none (or until nudged), and continues as new now and then so its history
stays short."""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifier import NotifierActivities

NOTIFIER_ID = "notifier"
BATCH = 20
# Rounds before continuing as new: a few hundred events of history at most.
ROUNDS = 100


@workflow.defn(name="NotifierWorkflow")
class NotifierWorkflow:
    def __init__(self) -> None:
        self.nudged = False

    @workflow.run
    async def run(self, poll_seconds: float) -> None:
        for _ in range(ROUNDS):
            mails = await workflow.execute_activity_method(
                NotifierActivities.deliver_notifications,
                BATCH,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
                summary="deliver due notifications",
            )
            hooks = await workflow.execute_activity_method(
                NotifierActivities.deliver_webhooks,
                BATCH,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
                summary="deliver due webhooks",
            )
            if mails < BATCH and hooks < BATCH:
                # Nothing more due: look again after the poll interval (or when nudged).
                self.nudged = False
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self.nudged, timeout=timedelta(seconds=poll_seconds)
                    )
        workflow.continue_as_new(poll_seconds)

    @workflow.signal(name="nudge")
    def nudge(self) -> None:
        """Look now (operators: after retrying dead letters by hand)."""
        self.nudged = True
