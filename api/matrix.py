"""The role x endpoint matrix, read off the routes themselves.

Each route declares the action it needs (a `Can...` alias of `api/permissions.py`);
PERMISSIONS says which roles may take each action. This module joins the two, for the README
and for the test that walks every cell. `python -m api.matrix` prints the README table.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from domain.roles import PERMISSIONS, Action, Role

# Routes open without a login, and why.
PUBLIC = {
    ("GET", "/healthz"): "liveness probe",
    ("GET", "/readyz"): "readiness probe",
    ("GET", "/metrics"): "Prometheus scrape; serve it on an internal network",
    ("POST", "/confirmations/{token}"): "the signed link is the credential",
    ("POST", "/substitutions/{token}"): "the signed link is the credential",
    ("POST", "/payments/webhook"): "the gateway's HMAC signature is the credential",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    action: Action | None

    def allows(self, role: Role) -> bool:
        return self.action is None or role in PERMISSIONS[self.action]


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        # The console's pages (left out of the schema) declare no action of their own: each
        # thing they show or do is a call to an API route, checked there as that person.
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield route
        # FastAPI >= 0.165 keeps included routers whole instead of copying their routes;
        # ours are included without a prefix, so their paths are the app's paths.
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def endpoints(app: FastAPI) -> list[Endpoint]:
    found: list[Endpoint] = []
    for route in _api_routes(app.routes):
        actions = [
            d.call.action  # type: ignore[union-attr]
            for d in route.dependant.dependencies
            if hasattr(d.call, "action")
        ]
        for method in sorted(route.methods or ()):
            if (method, route.path) in PUBLIC:
                found.append(Endpoint(method, route.path, None))
                continue
            if len(actions) != 1:
                raise AssertionError(f"{method} {route.path} must declare exactly one action")
            found.append(Endpoint(method, route.path, actions[0]))
    return sorted(found, key=lambda e: (e.path, e.method))


def markdown(app: FastAPI) -> str:
    roles = list(Role)
    head = "| Endpoint | " + " | ".join(r.value for r in roles) + " |"
    rule = "|---|" + "---|" * len(roles)
    rows = [
        f"| `{e.method} {e.path}` | "
        + " | ".join(("public" if e.action is None else "✓") if e.allows(r) else "" for r in roles)
        + " |"
        for e in endpoints(app)
    ]
    return "\n".join([head, rule, *rows])


if __name__ == "__main__":
    from api.app import create_app

    print(markdown(create_app()))
