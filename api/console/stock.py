"""Stock for the warehouse and managers: on hand, reserved and available per warehouse, low
skus highlighted, and goods booked in (a receipt) from the same page."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.calls import ApiAs, ApiRefused
from api.console.render import page
from api.console.sessions import CheckedForm
from domain.roles import Action, is_allowed

router = APIRouter(include_in_schema=False)


@router.get("/console/stock")
async def stock_page(
    request: Request,
    api: ApiAs,
    q: Annotated[str, Query(max_length=64)] = "",
    low: bool = False,
    done: str = "",
) -> HTMLResponse:
    rows = await api.get("/inventory", q=q or None, low=low or None, limit=200)
    warehouses = [w["code"] for w in await api.get("/warehouses")]
    return page(
        request,
        "stock.html",
        "Stock",
        who=api.who,
        rows=rows,
        warehouses=warehouses,
        q=q,
        low=low,
        may_receive=is_allowed(api.who.role, Action.RECEIVE_STOCK),
        flash="Receipt booked." if done == "receipt" else "",
    )


@router.post("/console/stock/receipts")
async def book_receipt(request: Request, api: ApiAs, form: CheckedForm) -> Response:
    body = {
        "sku": form.get("sku", "").strip(),
        "warehouse": form.get("warehouse", ""),
        "quantity": form.get("quantity", ""),
    }
    try:
        await api.ok("POST", "/inventory/receipts", json=body)
    except ApiRefused as exc:
        rows = await api.get("/inventory", limit=200)
        warehouses = [w["code"] for w in await api.get("/warehouses")]
        return page(
            request,
            "stock.html",
            "Stock",
            exc.status,
            who=api.who,
            rows=rows,
            warehouses=warehouses,
            q="",
            low=False,
            may_receive=True,
            refusal=exc.detail,
        )
    return RedirectResponse("/console/stock?done=receipt", status_code=303)
