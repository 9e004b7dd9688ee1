"""The console calls the API as the signed-in person, in process: every page and action goes
through the API's own permission checks, data scope, validation and audit, so the console
can never show or do more than that person could with curl."""

from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from api.console.sessions import Signed, SignedIn


class ApiRefused(Exception):
    """The API said no (4xx): the page shows its words next to the form."""

    def __init__(self, status: int, detail: str, fields: dict[str, str]) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.fields = fields


def _refusal(response: httpx.Response) -> ApiRefused:
    try:
        body = response.json()
    except ValueError:
        return ApiRefused(response.status_code, response.text[:200], {})
    detail = body.get("detail") if isinstance(body, dict) else None
    fields: dict[str, str] = {}
    if isinstance(detail, list):
        # A 422: one item per invalid field, its place in `loc` after body/query.
        for item in detail:
            loc = [str(part) for part in item.get("loc", [])][1:]
            fields[".".join(loc) or "request"] = str(item.get("msg", ""))
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
    detail = str(detail or response.reason_phrase)
    return ApiRefused(response.status_code, detail, fields)


class Api:
    """One person's calls for one console request."""

    def __init__(self, request: Request, who: Signed) -> None:
        self.who = who
        self._app = request.app
        self._forwarded = request.headers.get("x-request-id")

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.who.bearer}"}
        if self._forwarded:
            headers["X-Request-ID"] = self._forwarded
        transport = httpx.ASGITransport(app=self._app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as http:
            return await http.request(method, path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a 2xx answer; ApiRefused with the API's words otherwise."""
        response = await self.call(method, path, **kwargs)
        if response.status_code >= 400:
            raise _refusal(response)
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return await self.ok("GET", path, params=clean)


def api_for(request: Request, who: SignedIn) -> Api:
    return Api(request, who)


ApiAs = Annotated[Api, Depends(api_for)]
