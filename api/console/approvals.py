"""The approver's page: the inbox as `GET /approvals` gives it (refreshed every few seconds
by htmx), Approve and Reject with a comment, and the person's own recent decisions."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.calls import ApiAs, ApiRefused
from api.console.render import page, templates
from api.console.sessions import CheckedForm

router = APIRouter(include_in_schema=False)


async def _inbox(api: ApiAs) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.get("/approvals", limit=100))["items"]
    for item in items:
        # A fresh id per rendering: a double click on one form counts once at the API.
        item["decision_id"] = f"console-{uuid.uuid4()}"
    return items


@router.get("/console/approvals")
async def approvals_page(request: Request, api: ApiAs) -> HTMLResponse:
    inbox = await _inbox(api)
    decided = await api.get("/approvals/decided", limit=20)
    return page(request, "approvals.html", "Approvals", who=api.who, inbox=inbox, decided=decided)


@router.get("/console/approvals/inbox")
async def inbox_part(request: Request, api: ApiAs) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "_inbox.html", {"who": api.who, "inbox": await _inbox(api)}
    )


@router.post("/console/approvals/{order_id}")
async def decide(order_id: str, request: Request, api: ApiAs, form: CheckedForm) -> Response:
    body = {
        "decision": form.get("decision", ""),
        "comment": form.get("comment", ""),
        "decision_id": form.get("decision_id") or None,
    }
    flash = refusal = ""
    try:
        answer = await api.ok("POST", f"/orders/{order_id}/approvals", json=body)
        flash = f"Order {order_id[:8]}: {body['decision']}d ({answer['level'].replace('_', ' ')})"
    except ApiRefused as exc:
        refusal = f"Order {order_id[:8]}: {exc.detail}"
    if "hx-request" not in request.headers:
        return RedirectResponse("/console/approvals", status_code=303)
    context = {"who": api.who, "inbox": await _inbox(api)}
    return templates.TemplateResponse(
        request, "_inbox.html", {**context, "flash_inbox": flash, "refusal_inbox": refusal}
    )
