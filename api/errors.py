"""Domain errors the routes raise, and the one table that maps them to HTTP."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from db.audit import audit

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


class DependencyDown(ApiError):
    status_code = 503


class InvalidFields(ApiError):
    """Input that is well-formed but refers to things that do not exist (unknown sku...)."""

    status_code = 422

    def __init__(self, errors: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors


def _body(exc: ApiError) -> dict[str, Any]:
    if isinstance(exc, InvalidFields):
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        return {
            "detail": [
                {"loc": ["body", *loc], "msg": msg, "type": "value_error"}
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
    return JSONResponse({"detail": "the database is unavailable"}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _handle)
    # A lost or refused database connection is the service's problem, not the client's.
    for error in (OperationalError, InterfaceError, OSError):
        app.add_exception_handler(error, _database_down)
