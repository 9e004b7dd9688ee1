"""The customer's tracking page (`/track/{token}`, no login): the order's status, when it is
expected, its shipments and tracking numbers, and nothing else about the company or other
orders. The token is a signed link (domain/confirmation_links.py) for this purpose only."""

from datetime import datetime

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.console.render import page
from api.deps import SessionDep, SettingsDep
from config import Settings
from db.models import Order, Shipment
from domain.carrier import ShippingMethod
from domain.confirmation_links import TRACK, TRACK_LIFE
from domain.customer_messages import CUSTOMER_STATUS, expected_delivery, tracking_page
from domain.status import OrderStatus

router = APIRouter(include_in_schema=False)


def tracking_link(settings: Settings, order_id: str, created_at: datetime) -> str:
    return settings.link_signer().link(order_id, created_at + TRACK_LIFE, TRACK)


@router.get("/track/{token}")
async def track(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    try:
        order_id, _ = settings.link_signer().verify(token, TRACK)
    except jwt.InvalidTokenError:
        return page(request, "track.html", "Order tracking", 404, order=None)
    async with session.begin():
        order = await session.get(Order, order_id)
        parcels = (
            await session.execute(
                select(Shipment.carrier, Shipment.tracking_number, Shipment.status)
                .where(Shipment.order_id == order_id)
                .order_by(Shipment.created_at)
            )
        ).all()
    if order is None:
        return page(request, "track.html", "Order tracking", 404, order=None)
    method = ShippingMethod(order.shipping_method)
    expected = order.requested_delivery_date or expected_delivery(
        order.created_at.date(), method, order.expected_stock_date
    )
    shipments = [
        {
            "carrier": carrier or "",
            "tracking": number or "",
            "status": status.replace("_", " "),
            "page": tracking_page(carrier, number) if number else None,
        }
        for carrier, number, status in parcels
    ]
    status = CUSTOMER_STATUS[OrderStatus(order.status)]
    return page(
        request,
        "track.html",
        f"Order {order.id[:8]}",
        order={"status": status, "expected": expected, "shipments": shipments},
    )
