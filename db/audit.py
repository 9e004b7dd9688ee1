"""The audit trail: one append-only row per decision, change, refusal or failed login."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry


@dataclass(frozen=True)
class Who:
    """The person or system behind an audited act, and where the request came from."""

    actor: str
    role: str | None = None
    request_id: str | None = None
    client_addr: str | None = None


SYSTEM = Who("system")


def audit(
    session: AsyncSession,
    who: Who,
    action: str,
    result: str,
    *,
    order_id: str | None = None,
    decision_id: str | None = None,
    detail: str = "",
) -> None:
    """Adds the row to the caller's transaction: it commits or rolls back with the change."""
    session.add(
        AuditEntry(
            actor=who.actor[:64],
            role=who.role,
            action=action,
            result=result,
            order_id=order_id,
            decision_id=decision_id,
            detail=detail[:2000],
            request_id=(who.request_id or None),
            client_addr=(who.client_addr or None),
        )
    )
