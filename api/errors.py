"""Domain errors the routes raise, and the one table that maps them to HTTP."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError


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
    return JSONResponse(_body(exc), status_code=exc.status_code, headers=headers)


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "the database is unavailable"}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _handle)
    # A lost or refused database connection is the service's problem, not the client's.
    for error in (OperationalError, InterfaceError, OSError):
        app.add_exception_handler(error, _database_down)
