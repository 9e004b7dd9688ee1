"""Order entry for phone, email and store staff (`/console/orders/new`): find or create the
customer (checked as typed with the API's own customer model), add lines by scanning a
barcode or typing a code or name, see availability and price, choose shipping, payment and
channel, and submit: the same `POST /orders` as any client, with an idempotency key drawn
when the form was rendered, so a double click makes one order."""

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.console.calls import Api, ApiAs, ApiRefused
from api.console.render import page, templates
from api.console.sessions import CheckedForm
from api.customers.schemas import AddressIn, CustomerIn
from domain.carrier import ShippingMethod
from domain.gtin import is_gtin

router = APIRouter(include_in_schema=False)
# The channels people enter orders for; the web shop and imports come through the API.
DESK_CHANNELS = ("phone", "email", "store", "sales")
PAYMENTS = ("prepaid", "cod", "credit")
CUSTOMER_FIELDS = ("name", "email", "phone", "line1", "city", "postal_code", "country")


def _new_customer(form: dict[str, str]) -> dict[str, Any]:
    def get(field: str) -> str:
        return form.get(f"new_{field}", "").strip()

    return {
        "name": get("name"),
        "email": get("email"),
        "phone": get("phone"),
        "address": {
            "line1": get("line1"),
            "city": get("city"),
            "postal_code": get("postal_code"),
            "country": get("country"),
        },
    }


def customer_problems(form: dict[str, str]) -> dict[str, str]:
    """What the API would say of this new customer, field by field (its own model)."""
    try:
        CustomerIn.model_validate(_new_customer(form))
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            where = [str(p) for p in error["loc"]]
            field = where[-1] if where else "customer"
            message = str(error["msg"]).removeprefix("Value error, ")
            # A check across fields names its field in the message ("postal_code: ...").
            head, sep, rest = message.partition(": ")
            if sep and head in CUSTOMER_FIELDS:
                field, message = head, rest
            problems.setdefault(field, message)
        return problems
    return {}


@router.get("/console/orders/new")
async def entry_form(request: Request, api: ApiAs) -> HTMLResponse:
    return page(
        request,
        "entry.html",
        "New order",
        who=api.who,
        idempotency_key=str(uuid.uuid4()),
        channels=DESK_CHANNELS,
        payments=PAYMENTS,
        methods=[m.value for m in ShippingMethod],
        fields=CUSTOMER_FIELDS,
        form={},
        problems={},
        lines=[],
    )


@router.get("/console/orders/new/customers")
async def find_customers(request: Request, api: ApiAs, customer_q: str = "") -> HTMLResponse:
    found = await api.get("/customers", q=customer_q[:100], limit=10) if customer_q else []
    return templates.TemplateResponse(request, "_customers.html", {"customers": found})


@router.post("/console/orders/new/check-customer")
async def check_customer(request: Request, api: ApiAs, form: CheckedForm) -> HTMLResponse:
    problems = customer_problems(form)
    # Only what was typed so far is judged: an empty field is not yet a mistake.
    shown = {k: v for k, v in problems.items() if form.get(f"new_{k}", "").strip()}
    return templates.TemplateResponse(request, "_customer_check.html", {"problems": shown})


async def _lookup(api: Api, code: str) -> tuple[list[dict[str, Any]], str]:
    if code.isdigit() and len(code) >= 8:
        if not is_gtin(code):
            return [], f"{code}: the check digit does not match (scan again)"
        found = await api.get("/products", gtin=code)
        return found, "" if found else f"No product has barcode {code}"
    found = await api.get("/products", q=code, limit=20)
    exact = [p for p in found if p["sku"].lower() == code.lower()]
    return exact or found, "" if found else f"No product matches {code}"


@router.get("/console/orders/new/line")
async def add_line(request: Request, api: ApiAs, code: str = "") -> HTMLResponse:
    products, problem = await _lookup(api, code.strip()[:64]) if code.strip() else ([], "")
    if len(products) == 1:
        product = products[0]
        stock = await api.get(f"/inventory/{product['sku']}")
        context = {"product": product, "available": stock["available"], "row": uuid.uuid4().hex}
        return templates.TemplateResponse(request, "_line.html", context)
    return templates.TemplateResponse(
        request, "_choices.html", {"products": products, "problem": problem}, status_code=200
    )


def _lines(raw: list[tuple[str, str]]) -> list[dict[str, Any]]:
    skus = [v for k, v in raw if k == "sku"]
    quantities = [v for k, v in raw if k == "quantity"]
    discounts = [v for k, v in raw if k == "discount_pct"]
    lines: dict[str, dict[str, Any]] = {}
    for sku, quantity, discount in zip(skus, quantities, discounts, strict=False):
        try:
            count = int(quantity)
            off = Decimal(discount or "0")
        except (ValueError, InvalidOperation):
            count, off = 0, Decimal(0)
        # The same sku scanned twice is one line of both quantities.
        line = lines.setdefault(sku, {"sku": sku, "quantity": 0, "discount_pct": str(off)})
        line["quantity"] += count
    return list(lines.values())


def _quote_body(form: dict[str, str], lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What `POST /orders/quote` needs from the form so far: the chosen customer, else a new
    customer's address once it is complete and valid (tax follows the destination)."""
    body: dict[str, Any] = {"lines": lines, "shipping": {"method": form.get("shipping", "")}}
    if form.get("customer_id"):
        return {**body, "customer": {"id": form["customer_id"]}}
    address = _new_customer(form)["address"]
    try:
        AddressIn.model_validate(address)
    except ValidationError:
        return None
    return {**body, "ship_to": address}


@router.post("/console/orders/new/quote")
async def quote(request: Request, api: ApiAs, form: CheckedForm) -> HTMLResponse:
    """The price the order would be taken at, from the API's own pricing: each line's net,
    the shipping charge, tax and the total; or what keeps it from being priced yet."""
    raw = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    lines = [x for x in _lines(raw) if x["quantity"] > 0]
    body = _quote_body(form, lines) if lines else None
    context: dict[str, Any] = {"quote": None, "problem": ""}
    if not lines:
        context["problem"] = "Add a line to see the price."
    elif body is None:
        context["problem"] = "Choose the customer or enter their address to see tax and shipping."
    else:
        try:
            context["quote"] = await api.ok("POST", "/orders/quote", json=body)
        except ApiRefused as exc:
            context["problem"] = "; ".join(
                [f"{field}: {message}" for field, message in exc.fields.items()] or [exc.detail]
            )
    return templates.TemplateResponse(request, "_quote.html", context)


@router.post("/console/orders/new")
async def submit_order(request: Request, api: ApiAs, form: CheckedForm) -> Response:
    raw = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    customer: dict[str, Any] = (
        {"id": form["customer_id"]} if form.get("customer_id") else _new_customer(form)
    )
    body = {
        "channel": form.get("channel", ""),
        "customer": customer,
        "lines": _lines(raw),
        "shipping": {"method": form.get("shipping", "")},
        "payment": {"method": form.get("payment", "")},
        "notes": form.get("notes") or None,
    }
    key = form.get("idempotency_key", "")
    try:
        made = await api.ok("POST", "/orders", json=body, headers={"Idempotency-Key": key})
    except ApiRefused as exc:
        return page(
            request,
            "entry.html",
            "New order",
            exc.status,
            who=api.who,
            idempotency_key=key,
            channels=DESK_CHANNELS,
            payments=PAYMENTS,
            methods=[m.value for m in ShippingMethod],
            fields=CUSTOMER_FIELDS,
            form=form,
            problems=exc.fields,
            lines=body["lines"],
            refusal=exc.detail,
        )
    return RedirectResponse(f"/console/orders/{made['order_id']}?done=created", status_code=303)
