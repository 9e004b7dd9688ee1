"""The dashboard: the KPIs of `GET /reports/kpis` over a chosen period, as figures and
charts (Chart.js), each chart with its numbers in a table beside it for screen readers."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.console.calls import ApiAs, ApiRefused
from api.console.render import page

router = APIRouter(include_in_schema=False)


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    days = sorted({r["day"] for r in report["orders_per_day"]})
    channels = sorted({r["channel"] for r in report["orders_per_day"]})
    count = {(r["day"], r["channel"]): r["orders"] for r in report["orders_per_day"]}
    times = report["time_in_status"]
    return {
        "per_day": {
            "labels": days,
            "datasets": [
                {"label": c, "data": [count.get((d, c), 0) for d in days]} for c in channels
            ],
        },
        "in_status": {
            "labels": [t["status"] for t in times],
            "datasets": [
                {"label": "median (h)", "data": [t["median_seconds"] / 3600 for t in times]},
                {"label": "90th percentile (h)", "data": [t["p90_seconds"] / 3600 for t in times]},
            ],
        },
        "reasons": {
            "labels": list(report["top_cancel_reasons"]),
            "datasets": [
                {"label": "cancelled", "data": list(report["top_cancel_reasons"].values())}
            ],
        },
    }


@router.get("/console/dashboard")
async def dashboard(
    request: Request,
    api: ApiAs,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> HTMLResponse:
    try:
        report = await api.get("/reports/kpis", **{"from": from_, "to": to})
    except ApiRefused as exc:
        if exc.status != 422:
            raise
        report, refusal = await api.get("/reports/kpis"), exc.detail
    else:
        refusal = ""
    return page(
        request,
        "dashboard.html",
        "Dashboard",
        who=api.who,
        report=report,
        charts=_charts(report),
        refusal=refusal,
    )
