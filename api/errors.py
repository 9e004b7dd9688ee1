"""Domain errors the routes raise, and the one table that maps them to HTTP."""

import logging
import math
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.audit import audit
from domain.authority import NotPermitted
from domain.text import UnstorableText, unstorable_char

log = logging.getLogger(__name__)


class ApiError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApiError):
    status_code = 404


class NotAllowedNow(ApiError):
    status_code = 409


class Forbidden(ApiError):
    status_code = 403


class Unauthenticated(ApiError):
    status_code = 401


class Unprocessable(ApiError):
    """A message the order cannot take as given (text the database cannot store)."""

    status_code = 422


class DependencyDown(ApiError):
    status_code = 503


class InvalidFields(ApiError):
    """Input that is well-formed but refers to things that do not exist (unknown sku...)."""

    status_code = 422

    def __init__(
        self, errors: list[tuple[tuple[str | int, ...], str]], where: str = "body"
    ) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors
        self.where = where  # body, query or path: as FastAPI's own errors say it


class ErrorItem(BaseModel):
    """One invalid field: where (body, query or path, then the field's path), and why."""

    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: a sentence, or (422) one item per invalid field."""

    detail: str | list[ErrorItem]


TOO_LARGE = "The body is larger than the API accepts"


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# Documented on every operation, so clients and fuzzers know each answer's shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("The body is not JSON (or not the form the operation reads)"),
    401: _error("No valid token or API key"),
    403: _error("The caller's role may not do this, or four-eyes forbids it"),
    404: _error("No such order, customer, document ... (or not the caller's)"),
    409: _error("Not possible in the order's current state, or a key reused differently"),
    413: _error(TOO_LARGE),
    422: _error("A field is invalid: `detail` names each one and why"),
    503: _error("PostgreSQL or Temporal does not answer: retry later"),
}


def _body(exc: ApiError) -> dict[str, Any]:
    if isinstance(exc, InvalidFields):
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        return {
            "detail": [
                {"loc": [exc.where, *loc], "msg": msg, "type": "value_error"}
                for loc, msg in exc.errors
            ]
        }
    return {"detail": exc.message}


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, Unauthenticated | Forbidden):
        await _audit_refusal(request, exc)
    return JSONResponse(_body(exc), status_code=exc.status_code, headers=headers)


async def _audit_refusal(request: Request, exc: ApiError) -> None:
    """Failed logins and denied attempts: their own transaction, as nothing else commits."""
    from api.deps import who  # late: deps imports this module

    action = "auth.failed" if isinstance(exc, Unauthenticated) else "access.denied"
    order_id = request.path_params.get("order_id")
    try:
        async with request.app.state.sessions.begin() as session:
            audit(
                session,
                who(request),
                action,
                "refused",
                order_id=str(order_id)[:36] if order_id else None,
                detail=f"{request.method} {request.url.path}: {exc.message}",
            )
    except (OperationalError, InterfaceError, OSError):
        # The refusal still stands; a database outage must not turn it into a 500.
        log.exception("could not audit a refused request")


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    # The error names the statement only: the engine hides its parameters (personal data).
    log.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse({"detail": "the database is unavailable"}, status_code=503)


def _json_safe(value: Any) -> Any:
    """What a validation error echoes of the input, as JSON can carry it (no NaN, no 1e400)."""
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{k: _json_safe(v) for k, v in e.items()} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _not_permitted(request: Request, exc: Exception) -> JSONResponse:
    # The domain's authority rule refused: the same answer (and audit) as any 403.
    return await _handle(request, Forbidden(str(exc)))


# A lost, hung or refused database: the service's problem (503), never the client's.
DATABASE_DOWN: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    OSError,
    PoolTimeout,
    TimeoutError,
)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _handle)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(UnstorableText, _unstorable)
    for error in DATABASE_DOWN:
        app.add_exception_handler(error, _database_down)
    app.add_exception_handler(DBAPIError, _database_error)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated:
        return await _database_down(request, exc)
    # The class and SQLSTATE only: a driver's message can quote the value it refused.
    sqlstate = getattr(exc.orig, "sqlstate", None)
    log.error(
        "database error in %s %s: %s (SQLSTATE %s)",
        request.method,
        request.url.path,
        type(exc.orig).__name__,
        sqlstate,
    )
    return JSONResponse({"detail": "internal error"}, status_code=500)


class StorableUrl:
    """Refuses (422) a path or query string holding text the database cannot store, before any
    route parses it: `/orders/%00` must not reach a query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = _unstorable_in_url(scope)
            if problem is not None:
                loc, char = problem
                detail = [
                    {
                        "loc": loc,
                        "msg": f"the character {char} is not allowed",
                        "type": "value_error",
                    }
                ]
                await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unstorable_in_url(scope: Scope) -> tuple[list[str], str] | None:
    char = unstorable_char(scope.get("path", ""))
    if char is not None:
        return ["path"], char
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogateescape"):
        char = unstorable_char(name) or unstorable_char(value)
        if char is not None:
            return ["query", name.replace("\x00", "")], char
    return None


class JsonTooLarge:
    """Starlette's body limit answers 413 in plain text whenever a request declares a
    Content-Length over the limit (it replaces whatever response starts); every error answer
    of ours has one shape (ErrorOut), so that answer is rewritten as JSON. Outermost, around
    the limit itself (OrderflowApi.build_middleware_stack)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_json(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the plain text body of the replaced answer
            if message["type"] == "http.response.start" and _plain_too_large(message):
                replaced = True
                await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, send_json)


def _plain_too_large(start: Message) -> bool:
    content_type = Headers(raw=start["headers"]).get("content-type", "")
    return bool(start["status"] == 413 and content_type.startswith("text/"))
