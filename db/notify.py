"""The notification outbox: messages written in the transaction of the change behind them,
rendered from their template (domain/message_templates.py) in the recipient's language; the
notifier (workflows/notifier.py) sends them and retries with backoff.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Notification, User
from domain.message_templates import DEFAULT_LANGUAGE, language_for, render
from domain.roles import DECIDERS, ApprovalLevel, Role


async def notify(
    session: AsyncSession,
    dedupe_key: str,
    order_id: str | None,
    kind: str,
    recipient: str,
    params: dict[str, Any],
    language: str = DEFAULT_LANGUAGE,
    template: str | None = None,
) -> None:
    """A message of this kind (its template: `template`, else the kind) to the recipient (an
    e-mail address, or a username: staff), once per dedupe key (a retried activity writes
    one message, not two)."""
    subject, body = render(template or kind, language, params)
    await session.execute(
        insert(Notification)
        .values(
            dedupe_key=dedupe_key[:200],
            order_id=order_id,
            kind=kind,
            recipient=recipient,
            subject=subject[:300],
            body=body[:4000],
            language=language,
        )
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
    )


def customer_language(customer: Customer) -> str:
    return language_for(customer.language, customer.country)


async def tell_customer(
    session: AsyncSession,
    dedupe_key: str,
    order_id: str | None,
    kind: str,
    customer: Customer,
    params: dict[str, Any],
    template: str | None = None,
) -> None:
    language = customer_language(customer)
    await notify(session, dedupe_key, order_id, kind, customer.email, params, language, template)


async def tell_staff(
    session: AsyncSession,
    dedupe_key: str,
    order_id: str | None,
    kind: str,
    username: str,
    params: dict[str, Any],
    template: str | None = None,
) -> None:
    person = await session.get(User, username)
    language = person.language if person is not None else DEFAULT_LANGUAGE
    await notify(session, dedupe_key, order_id, kind, username, params, language, template)


async def approvers_of(session: AsyncSession, level: ApprovalLevel) -> list[str]:
    """Active users whose role decides this level."""
    roles = [r.value for r in DECIDERS[level]]
    rows = await session.scalars(
        select(User.username).where(User.role.in_(roles), User.active).order_by(User.username)
    )
    return list(rows)


async def finance_people(session: AsyncSession) -> list[str]:
    """Active finance users: told of what moves a customer's credit."""
    rows = await session.scalars(
        select(User.username).where(User.role == Role.FINANCE, User.active).order_by(User.username)
    )
    return list(rows)
