"""Running an import: the file streamed group by group, each order taken through intake
itself (idempotent by external reference, so importing a file twice creates nothing new), or
with `dry_run` checked and rolled back; every row's result written as it goes, so
`GET /imports/{id}` shows progress while it runs."""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import InvalidFields, NotAllowedNow
from api.imports.reading import FileRefused, Group, groups, order_body, place, rows_of
from api.orders.intake import find_existing, record_order, take_order
from api.orders.schemas import OrderIn
from api.starter import WorkflowStarter
from config import Settings
from db.audit import Who
from db.engine import SessionFactory
from db.models import ImportJob, ImportRow
from domain.roles import Action, is_allowed
from temporal_client import start_order_workflow

log = logging.getLogger(__name__)

CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"
# Rows written (and progress shown) this often.
FLUSH_ROWS = 500


@dataclass
class ImportRun:
    sessions: SessionFactory
    temporal: Client
    settings: Settings
    starter: WorkflowStarter
    user: Principal
    who: Who

    async def run(self, job_id: str, path: Path, name: str, dry_run: bool) -> None:
        pending: list[ImportRow] = []
        counts: Counter[str] = Counter()
        try:
            async with self.sessions() as session:
                with path.open("rb") as file:
                    for group in groups(rows_of(file, name)):
                        result, order_id = await self._order(session, group, dry_run)
                        counts[result] += 1
                        counts["rows"] += len(group.rows)
                        if result == REJECTED:
                            counts["rows_rejected"] += len(group.rows)
                        pending += _rows(job_id, group, result, order_id)
                        if len(pending) >= FLUSH_ROWS:
                            await self._flush(job_id, pending, counts)
                            pending = []
            await self._flush(job_id, pending, counts, status="done")
        except FileRefused as exc:
            await self._flush(job_id, pending, counts, status="failed", error=str(exc))
        except Exception:
            log.exception("import %s failed", job_id)
            await self._flush(job_id, pending, counts, status="failed", error="internal error")
        finally:
            await asyncio.to_thread(path.unlink, True)

    async def _order(
        self, session: AsyncSession, group: Group, dry_run: bool
    ) -> tuple[str, str | None]:
        body: dict[str, Any] = order_body(group)
        try:
            data = OrderIn.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors():
                place(group, tuple(err["loc"]), err["msg"])
            return REJECTED, None
        if group.errors:
            return REJECTED, None
        if not is_allowed(self.user.role, Action.SET_PRICES):
            for i, line in enumerate(data.lines):
                if line.unit_price is not None or line.discount_pct:
                    place(
                        group,
                        ("lines", i, "unit_price"),
                        f"role {self.user.role} may not set prices",
                    )
            if group.errors:
                return REJECTED, None
        try:
            if dry_run:
                return await _check(session, data, self.user, self.settings)
            order, owner, replayed = await take_order(
                session, self.who, data, self.user, None, self.settings.process
            )
        except InvalidFields as exc:
            for loc, message in exc.errors:
                place(group, loc, message)
            return REJECTED, None
        except NotAllowedNow as exc:  # the reference made another order: not a retry
            place(group, ("external_ref",), str(exc))
            return REJECTED, None
        if order.workflow_started_at is None:
            self.starter.submit(
                order.id, partial(start_order_workflow, self.temporal, self.settings, order, owner)
            )
        return (DUPLICATE if replayed else CREATED), order.id

    async def _flush(
        self,
        job_id: str,
        rows: list[ImportRow],
        counts: Counter[str],
        status: str | None = None,
        error: str | None = None,
    ) -> None:
        async with self.sessions.begin() as session:
            session.add_all(rows)
            values: dict[str, Any] = {
                "rows": counts["rows"],
                "orders_created": counts[CREATED],
                "orders_duplicate": counts[DUPLICATE],
                "orders_rejected": counts[REJECTED],
                "rows_rejected": counts["rows_rejected"],
            }
            if status is not None:
                values.update(status=status, error=error, finished_at=func.now())
            await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


async def _check(
    session: AsyncSession, data: OrderIn, user: Principal, settings: Settings
) -> tuple[str, str | None]:
    """A dry run: what intake would do, written and rolled back."""
    transaction = await session.begin()
    try:
        found = await find_existing(session, user, None, data)
        if found is not None:
            return DUPLICATE, found.id
        await record_order(session, data, user, None, settings.process)
        return CREATED, None
    finally:
        await transaction.rollback()


def _rows(job_id: str, group: Group, result: str, order_id: str | None) -> list[ImportRow]:
    out = []
    for no, raw in group.rows:
        errors = group.errors.get(no, {})
        if result == REJECTED and not errors:
            errors = {"external_ref": "another row of this order has errors"}
        out.append(
            ImportRow(
                import_id=job_id,
                row_no=no,
                external_ref=(group.external_ref or None) and group.external_ref[:100],
                result=result,
                order_id=order_id,
                errors=errors if result == REJECTED else {},
                raw=raw,
            )
        )
    return out
