"""The desk's web console under /console/: server-rendered pages over the API, called in
process as the signed-in person (calls.py), with htmx for the parts that update in place."""

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console import approvals, dashboard, entry, login, oidc, orders, stock, track
from api.console.calls import ApiRefused
from api.console.render import STATIC, page
from api.console.sessions import BadCsrfToken, NeedsSignIn, SignedIn, sign_in_url
from domain.roles import Action, is_allowed


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NeedsSignIn)
    target = sign_in_url(exc.back_to)
    if "hx-request" in request.headers:
        # htmx follows this header with a full page load, not a swap of the login form.
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _bad_csrf(request: Request, exc: Exception) -> HTMLResponse:
    return page(
        request,
        "message.html",
        "Form refused",
        403,
        refusal="The form is out of date or came from elsewhere: reload the page and try again.",
    )


async def _refused(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, ApiRefused)
    return page(request, "message.html", "Not possible", exc.status, refusal=exc.detail)


async def _home(who: SignedIn) -> RedirectResponse:
    start = "approvals" if is_allowed(who.role, Action.READ_APPROVAL_INBOX) else "orders"
    return RedirectResponse(f"/console/{start}", status_code=303)


def install_console(app: FastAPI) -> None:
    # entry before orders: /console/orders/new is a page, not the order "new".
    for module in (login, oidc, approvals, entry, orders, stock, dashboard, track):
        app.include_router(module.router)
    app.add_api_route("/console", _home, include_in_schema=False)
    app.add_api_route("/console/", _home, include_in_schema=False)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(NeedsSignIn, _sign_in_first)
    app.add_exception_handler(BadCsrfToken, _bad_csrf)
    app.add_exception_handler(ApiRefused, _refused)
