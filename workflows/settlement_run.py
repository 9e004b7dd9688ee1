"""SettlementRunWorkflow: the daily settlement run, started by the Temporal Schedule
`daily-settlement` (temporal_client.ensure_settlement_schedule), or by hand for a given day."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.settlement_run import SettlementRunActivities
    from domain.settlement_report import SettlementReportOut
    from workflows.host import run_activity


@workflow.defn(name="SettlementRunWorkflow")
class SettlementRunWorkflow:
    @workflow.run
    async def run(self, day: str | None) -> SettlementReportOut:
        """day: an ISO date; None: yesterday."""
        return await run_activity(SettlementRunActivities.settlement_report, day)
