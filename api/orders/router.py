"""The order routes: intake, reading, payments, shipment events, cancellation."""

from dataclasses import asdict
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.auth import Principal
from api.deps import SessionDep, SettingsDep, StarterDep, TemporalDep, who
from api.errors import Forbidden
from api.orders import changes, messages, shortage
from api.orders.intake import check_terms, price_request, take_order
from api.orders.schemas import (
    CancelIn,
    ChangeImpact,
    ChangeIn,
    ChangeOut,
    HistoryEntry,
    OrderCreated,
    OrderDetail,
    OrderIn,
    OrderLineIn,
    OrderPage,
    OrderStateOut,
    PaymentIn,
    PaymentResult,
    QuotedLineOut,
    QuoteIn,
    QuoteOut,
    ShipmentEventIn,
    ShortageChoiceIn,
    SubstitutionIn,
    TotalsOut,
    VersionOut,
    WarehouseHistoryEntry,
    WarehouseOrderDetail,
    WarehouseOrderPage,
)
from api.orders.search import OrderQuery
from api.orders.views import (
    history_of,
    order_detail,
    order_page,
)
from api.permissions import (
    CanCancelOrder,
    CanChangeOrder,
    CanCreateOrder,
    CanReadOrders,
    CanRecordPayment,
    CanRecordShipmentEvent,
    CanRelayCustomerAnswer,
    CanSetShortageChoice,
)
from api.workflow_calls import start_order_workflow
from domain.roles import Action, is_allowed
from temporal_client import workflow_id

router = APIRouter(tags=["orders"])


# Printable ASCII, as HTTP headers carry it; stored with the order.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[\x21-\x7E]{1,200}$")
]


@router.post(
    "/orders",
    status_code=201,
    responses={200: {"model": OrderCreated, "description": "A retry: the order it made"}},
)
async def create_order(
    body: OrderIn,
    request: Request,
    response: Response,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    starter: StarterDep,
    user: CanCreateOrder,
    idempotency_key: IdempotencyKey = None,
) -> OrderCreated:
    """Take an order; a retry with the same key or external_ref returns the same order (200)."""
    _may_price(user, body.lines)
    async with starter.intake():
        order, owner, replayed = await take_order(
            session, who(request, user), body, user, idempotency_key, settings.process
        )
    if replayed:
        response.status_code = 200
    if order.workflow_started_at is None:
        # Started right after this answer (a retry after a lost start gets it started too).
        starter.submit(order.id, partial(start_order_workflow, temporal, settings, order, owner))
    return OrderCreated(order_id=order.id, workflow_id=workflow_id(order.id), status=order.status)


@router.post("/orders/quote")
async def quote_order(
    body: QuoteIn, session: SessionDep, settings: SettingsDep, user: CanCreateOrder
) -> QuoteOut:
    """The price an order would be taken at now, priced as `POST /orders` prices it: each
    line's net and tax at its rate, the shipping charge, the totals. Nothing is written."""
    _may_price(user, body.lines)
    quoted = await price_request(
        session, body.customer, body.ship_to, body.lines, body.shipping.method, user,
        settings.process,
    )  # fmt: skip
    priced = quoted.priced
    check_terms(priced.lines, priced.totals, None, quoted.today)
    return QuoteOut(
        lines=[QuotedLineOut(**asdict(x), tax=x.tax) for x in priced.lines],
        totals=TotalsOut.quoted(priced, settings.process.currency),
    )


def _may_price(user: Principal, lines: list[OrderLineIn]) -> None:
    """Supplied prices and discounts are for roles that may set them."""
    sets_prices = any(x.unit_price is not None or x.discount_pct for x in lines)
    if sets_prices and not is_allowed(user.role, Action.SET_PRICES):
        raise Forbidden(f"role {user.role} may not set prices or discounts")


@router.get("/orders")
async def list_orders(
    session: SessionDep, user: CanReadOrders, query: Annotated[OrderQuery, Query()]
) -> OrderPage | WarehouseOrderPage:
    """Orders in this user's scope, filtered (all given filters must hold), sorted (newest
    first unless `sort` says otherwise), a page at a time: pass next_cursor back."""
    return await order_page(session, user, query)


@router.get("/orders/{order_id}")
async def get_order(
    order_id: str,
    session: SessionDep,
    user: CanReadOrders,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> OrderDetail | WarehouseOrderDetail:
    """One order: lines, totals, approvals, stock, shipments, invoice, payments (by role);
    with version, the lines, totals and terms as that version had them."""
    return await order_detail(session, order_id, user, version)


@router.post("/orders/{order_id}/changes", responses={202: {"model": ChangeOut}})
async def change_order(
    order_id: str,
    body: ChangeIn,
    request: Request,
    response: Response,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    starter: StarterDep,
    user: CanChangeOrder,
) -> ChangeImpact | ChangeOut:
    """Change lines, address, shipping, payment terms or the delivery date: a new version,
    re-priced and reviewed again (its approvals asked again). dry_run: the impact, nothing
    changed. Once picking started only the address, with a sales supervisor's approval (202
    change_requested until confirmed); once shipped, 409 (a return is the way)."""
    answer = await changes.change(
        session, temporal, starter, who(request, user), user, order_id, body, settings.process
    )
    if isinstance(answer, ChangeOut) and answer.status == changes.CHANGE_REQUESTED:
        response.status_code = 202
    return answer


@router.get("/orders/{order_id}/versions")
async def list_versions(
    order_id: str, session: SessionDep, user: CanReadOrders
) -> list[VersionOut]:
    """Every version of the order, oldest first, each with what it changed."""
    return await changes.versions(session, order_id, user)


@router.get("/orders/{order_id}/history")
async def get_history(
    order_id: str,
    session: SessionDep,
    user: CanReadOrders,
) -> list[HistoryEntry] | list[WarehouseHistoryEntry]:
    """Every status change and event of the order, and its audit rows, oldest first."""
    return await history_of(session, order_id, user)


@router.post("/orders/{order_id}/payments")
async def record_payment(
    order_id: str,
    body: PaymentIn,
    session: SessionDep,
    temporal: TemporalDep,
    starter: StarterDep,
    user: CanRecordPayment,
) -> PaymentResult:
    """Record a payment; the same reference twice counts once."""
    return await messages.pay(session, temporal, starter, user, order_id, body)


@router.post("/orders/{order_id}/shipment-events")
async def record_shipment_event(
    order_id: str,
    body: ShipmentEventIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanRecordShipmentEvent,
) -> OrderStateOut:
    """A carrier scan (webhook); the same event twice counts once."""
    return await messages.record_carrier_event(session, temporal, user, order_id, body)


@router.post(
    "/orders/{order_id}/cancel",
    responses={202: {"model": OrderStateOut, "description": "Waits for a confirmation"}},
)
async def cancel_order(
    order_id: str,
    body: CancelIn,
    request: Request,
    response: Response,
    session: SessionDep,
    temporal: TemporalDep,
    starter: StarterDep,
    user: CanCancelOrder,
) -> OrderStateOut:
    """Cancel until shipped: stock is released and payments refunded. An approved order above
    the policy's threshold waits for a sales supervisor's confirmation (202)."""
    answer = await messages.cancel(
        session, temporal, starter, who(request, user), user, order_id, body
    )
    if answer.status == messages.CANCELLATION_REQUESTED:
        response.status_code = 202
    return answer


@router.put("/orders/{order_id}/shortage")
async def change_shortage_choice(
    order_id: str,
    body: ShortageChoiceIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanSetShortageChoice,
) -> OrderStateOut:
    """What the order does when short of stock, changed while it waits for stock."""
    return await shortage.change_choice(session, temporal, user, order_id, body)


@router.post("/orders/{order_id}/substitution")
async def relay_substitution_answer(
    order_id: str,
    body: SubstitutionIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanRelayCustomerAnswer,
) -> OrderStateOut:
    """Customer service relays the customer's answer to the proposed substitute."""
    return await shortage.relay_answer(session, temporal, user, order_id, body)


@router.post("/substitutions/{token}")
async def answer_substitution(
    token: str, body: SubstitutionIn, settings: SettingsDep, temporal: TemporalDep
) -> OrderStateOut:
    """The customer accepts or declines the proposed substitute through their link; no login."""
    return await shortage.answer_by_link(temporal, settings, token, body)
