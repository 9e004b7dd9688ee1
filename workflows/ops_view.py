"""What operators see of a running order in the Temporal UI: its search attributes beyond
the status (since when, the approval levels it waits for, the skus it lacks, its warehouses,
late, activities that keep failing) and its current details (what it waits for, since when).
Ids and codes only: no names, addresses or other personal data.

Orders started before it (no `ops-view-v1` marker) keep upserting their status alone on
replay; their current details are shown all the same (details are no workflow command).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from domain.status import OrderStatus
from workflows.search_attributes import (
    FAILING_ACTIVITY,
    LATE,
    ORDER_STATUS,
    PENDING_APPROVAL_LEVEL,
    SHORT_SKU,
    STATUS_SINCE,
    WAREHOUSE,
)

OPS_VIEW_PATCH = "ops-view-v1"

S = OrderStatus
# What an order in each status waits for (statuses it only passes through wait for nothing).
WAITING_FOR: dict[OrderStatus, str] = {
    S.AWAITING_STOCK: "stock",
    S.AWAITING_CUSTOMER: "the customer's answer to a substitution",
    S.AWAITING_APPROVAL: "approval",
    S.AWAITING_PAYMENT: "prepayment",
    S.AWAITING_DEPOSIT: "the pre-sale deposit",
    S.QUEUED: "the release (pre-sale place held)",
    S.SCHEDULED: "its first delivery's reservation day",
    S.IN_PRODUCTION: "the plant (made to order)",
    S.READY_TO_SHIP: "pick lists",
    S.PICKING: "the warehouse to pack",
    S.PARTIALLY_SHIPPED: "the rest of its stock",
    S.SHIPPED: "delivery",
    S.SHIPMENT_EXCEPTION: "customer service: reship or refund",
    S.DELIVERED: "settlement",
    S.AWAITING_SETTLEMENT: "payment of its invoices",
}


def _list(key: SearchAttributeKey[Sequence[str]], values: list[str]) -> SearchAttributeUpdate[Any]:
    """A keyword list set, or removed when empty (the UI then shows no stale value)."""
    return key.value_set(values) if values else key.value_unset()


class OpsView:
    def __init__(self, status: OrderStatus) -> None:
        # Set by start(): False for orders started before the richer view (replay).
        self.enabled = False
        self.status = status
        self.since: datetime | None = None
        self.pending: list[str] = []
        self.short: list[str] = []
        self.warehouses: list[str] = []
        self.failing: list[str] = []
        self.late = False

    def start(self) -> None:
        self.enabled = workflow.patched(OPS_VIEW_PATCH)
        self.since = workflow.now()
        self._show()

    def status_changed(self, status: OrderStatus) -> None:
        self.status, self.since = status, workflow.now()
        if not self.enabled:
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value)])
            self._show()
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            ORDER_STATUS.value_set(status.value),
            STATUS_SINCE.value_set(self.since),
        ]
        if status != OrderStatus.AWAITING_APPROVAL and self.pending:
            self.pending = []
            updates.append(_list(PENDING_APPROVAL_LEVEL, []))
        workflow.upsert_search_attributes(updates)
        self._show()

    def pending_levels(self, levels: list[str]) -> None:
        if levels != self.pending:
            self.pending = levels
            self._upsert(_list(PENDING_APPROVAL_LEVEL, levels))

    def short_skus(self, skus: list[str]) -> None:
        skus = sorted(skus)
        if skus != self.short:
            self.short = skus
            self._upsert(_list(SHORT_SKU, skus))

    def shipped_from(self, warehouses: list[str]) -> None:
        warehouses = sorted(set(warehouses))
        if warehouses != self.warehouses:
            self.warehouses = warehouses
            self._upsert(_list(WAREHOUSE, warehouses))

    def flagged_late(self) -> None:
        if not self.late:
            self.late = True
            self._upsert(LATE.value_set(True))

    def activity_failing(self, name: str, failing: bool) -> None:
        now = (
            sorted(set(self.failing) | {name})
            if failing
            else [x for x in self.failing if x != name]
        )
        if now != self.failing:
            self.failing = now
            # The first failing one by name (a keyword; details list them all).
            self._upsert(
                FAILING_ACTIVITY.value_set(now[0]) if now else FAILING_ACTIVITY.value_unset()
            )

    def _upsert(self, update: SearchAttributeUpdate[Any]) -> None:
        if self.enabled:
            workflow.upsert_search_attributes([update])
        self._show()

    def _show(self) -> None:
        lines = [f"**{self.status}**"]
        if self.since is not None:
            lines[0] += f" since {self.since:%Y-%m-%d %H:%M} UTC"
        waiting = WAITING_FOR.get(self.status)
        if waiting:
            if self.pending:
                waiting += " by " + ", ".join(self.pending)
            lines.append(f"Waiting for {waiting}")
        if self.short:
            lines.append("Short: " + ", ".join(self.short))
        if self.warehouses:
            lines.append("Ships from: " + ", ".join(self.warehouses))
        if self.late:
            lines.append("Late: past the shipping method's promise")
        if self.failing:
            lines.append("Failing, retried: " + ", ".join(self.failing))
        workflow.set_current_details("\n\n".join(lines))
