"""The console's templates and the few filters that put the API's values into words."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def money(value: object, currency: str = "") -> str:
    if value is None:
        return ""
    amount = Decimal(str(value))
    return f"{amount:,.2f} {currency}".strip()


def when(value: object) -> str:
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.strftime("%Y-%m-%d %H:%M")


def time_left(seconds: object) -> str:
    if seconds is None:
        return "no deadline"
    left = int(str(seconds))
    hours, rest = divmod(abs(left), 3600)
    text = f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min"
    return text if left >= 0 else f"overdue by {text}"


def percent(share: object) -> str:
    return "none yet" if share is None else f"{Decimal(str(share)) * 100:.1f} %"


def duration(seconds: object) -> str:
    if seconds is None:
        return "none yet"
    total = int(float(str(seconds)))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def words(value: object) -> str:
    return str(value or "").replace("_", " ").lower()


templates.env.filters.update(
    money=money, when=when, time_left=time_left, words=words, percent=percent, duration=duration
)


def page(
    request: Request, name: str, heading: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"heading": heading, **context}, status_code=status_code
    )
