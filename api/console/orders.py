"""Orders: the list (the API's filters, newest first, a page at a time, saved searches per
person) and one order's page (its timeline, lines, approvals, stock, shipments, money, and
the actions the person may take there)."""

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from api.console.calls import Api, ApiAs, ApiRefused
from api.console.render import page
from api.console.sessions import CheckedForm
from api.console.track import tracking_link
from api.deps import SessionDep, SettingsDep
from api.orders.schemas import Channel
from api.orders.search import OrderSort
from config import Settings
from db.models import SavedSearch
from domain.cancellation import CancelReason
from domain.payment import PaymentMethod
from domain.priority import Priority
from domain.roles import Action, ApprovalLevel, is_allowed
from domain.status import OrderStatus

router = APIRouter(include_in_schema=False)
# The list's filters, as GET /orders takes them (and a saved search stores them); dates are
# days here, turned into instants for the API.
FILTERS = (
    "q",
    "customer",
    "status",
    "from",
    "to",
    "min_total",
    "max_total",
    "channel",
    "payment_method",
    "sku",
    "priority",
    "in_status_hours",
    "customer_id",
    "sort",
)

DONE = {
    "approve": "Approved.",
    "reject": "Rejected.",
    "cancel": "Cancellation sent.",
    "payment": "Payment recorded.",
    "relay": "The customer's answer is passed on.",
    "saved": "Search saved.",
    "created": "Order created: its review runs now.",
}


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}


def _api_params(filters: dict[str, str]) -> dict[str, str]:
    """The days of the form as the API's instants (UTC): `to` includes its whole day."""
    params = dict(filters)
    try:
        if "from" in params:
            params["from"] = f"{date.fromisoformat(params['from'])}T00:00:00Z"
        if "to" in params:
            params["to"] = f"{date.fromisoformat(params['to']) + timedelta(days=1)}T00:00:00Z"
    except ValueError as exc:
        raise ApiRefused(422, "from, to: a day as YYYY-MM-DD", {}) from exc
    return params


@router.get("/console/orders")
async def order_list(
    request: Request,
    api: ApiAs,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: str = "",
) -> HTMLResponse:
    filters = _filters(request)
    refusal = ""
    try:
        found = await api.get("/orders", limit=50, cursor=cursor, **_api_params(filters))
    except ApiRefused as exc:
        found, refusal = {"items": [], "next_cursor": None}, exc.detail
    async with session.begin():
        saved = list(
            await session.scalars(
                select(SavedSearch)
                .where(SavedSearch.owner == api.who.principal.username)
                .order_by(SavedSearch.name)
            )
        )
    more = found["next_cursor"]
    return page(
        request,
        "orders.html",
        "Orders",
        who=api.who,
        orders=found["items"],
        filters=filters,
        statuses=[s.value for s in OrderStatus],
        channels=[c.value for c in Channel],
        payment_methods=[m.value for m in PaymentMethod],
        priorities=[p.value for p in Priority],
        sorts=[s.value for s in OrderSort],
        next_url=f"/console/orders?{urlencode({**filters, 'cursor': more})}" if more else None,
        query=urlencode(filters),
        saved=saved,
        flash=DONE.get(done, ""),
        refusal=refusal,
    )


@router.post("/console/searches")
async def save_search(api: ApiAs, session: SessionDep, form: CheckedForm) -> Response:
    name = form.get("name", "").strip()[:80] or "Unnamed"
    query = urlencode({k: v for k in FILTERS if (v := form.get(k, "").strip())})
    async with session.begin():
        # Saving under a name already used replaces that search (the person's own only).
        stmt = insert(SavedSearch).values(owner=api.who.principal.username, name=name, query=query)
        await session.execute(
            stmt.on_conflict_do_update(
                constraint="saved_search_name_once", set_={"query": stmt.excluded.query}
            )
        )
    return RedirectResponse(f"/console/orders?{query}&done=saved", status_code=303)


@router.post("/console/searches/{search_id}/delete")
async def delete_search(
    search_id: int, api: ApiAs, session: SessionDep, form: CheckedForm
) -> Response:
    async with session.begin():
        await session.execute(
            delete(SavedSearch).where(
                SavedSearch.id == search_id, SavedSearch.owner == api.who.principal.username
            )
        )
    return RedirectResponse("/console/orders", status_code=303)


async def _order_context(api: Api, settings: Settings, order_id: str) -> dict[str, Any]:
    order = await api.get(f"/orders/{order_id}")
    history = await api.get(f"/orders/{order_id}/history")
    temporal = settings.temporal
    return {
        "order": order,
        # What customer service sends a customer who lost the confirmation's link.
        "tracking_link": tracking_link(
            settings, order_id, datetime.fromisoformat(order["created_at"])
        ),
        "temporal_link": (
            f"{temporal.ui_url}/namespaces/{temporal.namespace}/workflows/{order['workflow_id']}"
        ),
        # Newest first: the person opens the page to see what happened last.
        "timeline": list(reversed(history)),
        "pending": [
            a
            for a in order.get("approvals", [])
            if a["status"] == "pending" and a["level"] != ApprovalLevel.CUSTOMER
        ],
        "awaits_customer": any(
            a["status"] == "pending" and a["level"] == ApprovalLevel.CUSTOMER
            for a in order.get("approvals", [])
        ),
        "reasons": [r.value for r in CancelReason],
        # Only the actions this person's role may take are offered (the API checks again).
        "may": {
            name: is_allowed(api.who.role, action)
            for name, action in (
                ("decide", Action.DECIDE_APPROVAL),
                ("relay", Action.RELAY_CUSTOMER_ANSWER),
                ("pay", Action.RECORD_PAYMENT),
                ("cancel", Action.CANCEL_ORDER),
            )
        },
        "decision_id": f"console-{uuid.uuid4()}",
    }


@router.get("/console/orders/{order_id}")
async def order_page(
    order_id: str, request: Request, api: ApiAs, settings: SettingsDep, done: str = ""
) -> HTMLResponse:
    try:
        context = await _order_context(api, settings, order_id)
    except ApiRefused as exc:
        return page(request, "message.html", "Order", exc.status, who=api.who, refusal=exc.detail)
    heading = f"Order {order_id[:8]}"
    return page(request, "order.html", heading, who=api.who, flash=DONE.get(done, ""), **context)


def _action_body(action: str, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    if action in ("approve", "reject"):
        body = {"decision": action, "comment": form.get("comment", "")}
        return "approvals", {**body, "decision_id": form.get("decision_id") or None}
    if action == "relay":
        body = {"decision": form.get("answer", ""), "comment": form.get("comment", "")}
        return "customer-confirmation", {**body, "decision_id": form.get("decision_id") or None}
    if action == "cancel":
        reason = form.get("reason_code", "")
        return "cancel", {"reason_code": reason, "comment": form.get("comment", "")}
    return "payments", {
        "reference": form.get("reference", ""),
        "amount": form.get("amount", ""),
        "method": form.get("method", ""),
    }


@router.post("/console/orders/{order_id}/{action}")
async def order_action(
    order_id: str,
    action: str,
    request: Request,
    api: ApiAs,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    if action not in DONE or action in ("saved", "created"):
        return page(request, "message.html", "Order", 404, who=api.who, refusal="No such action")
    path, body = _action_body(action, form)
    try:
        await api.ok("POST", f"/orders/{order_id}/{path}", json=body)
    except ApiRefused as exc:
        context = await _order_context(api, settings, order_id)
        heading = f"Order {order_id[:8]}"
        return page(
            request, "order.html", heading, exc.status, who=api.who, refusal=exc.detail, **context
        )
    return RedirectResponse(f"/console/orders/{order_id}?done={action}", status_code=303)
