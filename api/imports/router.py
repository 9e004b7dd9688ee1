"""`POST /orders/import` (a CSV or XLSX file, one row per order line), its progress and every
row's result, and the rejected rows as CSV to fix and import again."""

import asyncio
import csv
import io
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep, SessionFactoryDep, SettingsDep, StarterDep, TemporalDep, who
from api.errors import InvalidFields, NotFound
from api.imports.reading import COLUMNS
from api.imports.runner import REJECTED, ImportRun
from api.imports.schemas import ImportOut, ImportRowOut
from api.permissions import CanImportOrders
from db.audit import audit
from db.models import ImportJob, ImportRow
from domain.roles import Role

router = APIRouter(tags=["imports"])
# A file of 100,000 rows is some 10 MB; the API's other bodies stay small.
IMPORT_MAX_BYTES = 200 * 1024 * 1024
_running: set["asyncio.Task[None]"] = set()


@router.post("/orders/import", status_code=202, max_body_size=IMPORT_MAX_BYTES)
async def import_orders(
    file: UploadFile,
    request: Request,
    session: SessionDep,
    sessions: SessionFactoryDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    starter: StarterDep,
    user: CanImportOrders,
    dry_run: bool = False,
) -> ImportOut:
    """Orders from a file (columns: external_ref, customer_id, sku, quantity, unit_price,
    discount_pct, shipping_method, payment_method, channel; header names in any case), rows
    grouped into orders by external_ref. Answers at once with the job; `GET /imports/{id}`
    shows its progress and, once done, every row's result. `dry_run`: checked, nothing made.
    Importing the same file again creates nothing new (duplicates)."""
    name = (file.filename or "").strip()
    if not name.lower().endswith((".csv", ".xlsx")):
        raise InvalidFields([(("file",), "must be a .csv or .xlsx file")])
    # Kept on disk while the job runs (the upload's own file goes with the request).
    with tempfile.NamedTemporaryFile(delete=False, suffix=Path(name).suffix) as copy:
        shutil.copyfileobj(file.file, copy, length=1 << 20)
    job = ImportJob(
        id=str(uuid.uuid4()),
        created_by=user.username,
        file_name=name[:200],
        dry_run=dry_run,
        status="running",
    )
    async with session.begin():
        session.add(job)
        await session.flush()
        await session.refresh(job)
        audit(
            session,
            who(request, user),
            "orders.import",
            "started",
            detail=f"import {job.id} of {job.file_name}" + (" (dry run)" if dry_run else ""),
        )
    run = ImportRun(sessions, temporal, settings, starter, user, who(request, user))
    task = asyncio.create_task(run.run(job.id, Path(copy.name), name, dry_run))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return ImportOut.model_validate(job, from_attributes=True)


async def _job(session: SessionDep, import_id: str, user: Principal) -> ImportJob:
    job = await session.get(ImportJob, import_id)
    # Another caller's import reads as unknown (admins see all).
    if job is None or (job.created_by != user.username and user.role != Role.ADMIN):
        raise NotFound(f"import {import_id} not found")
    return job


@router.get("/imports/{import_id}")
async def get_import(import_id: str, session: SessionDep, user: CanImportOrders) -> ImportOut:
    """Progress while it runs (rows read, orders by result), totals once done."""
    return ImportOut.model_validate(await _job(session, import_id, user), from_attributes=True)


@router.get("/imports/{import_id}/rows")
async def import_rows(
    import_id: str,
    session: SessionDep,
    user: CanImportOrders,
    result: Annotated[str | None, Query(pattern=r"^(created|duplicate|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[ImportRowOut]:
    """Every row's result in file order: created, duplicate, or rejected with its errors by
    column."""
    await _job(session, import_id, user)
    stmt = select(ImportRow).where(ImportRow.import_id == import_id)
    if result is not None:
        stmt = stmt.where(ImportRow.result == result)
    rows = await session.scalars(stmt.order_by(ImportRow.row_no).limit(limit).offset(offset))
    return [ImportRowOut.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/imports/{import_id}/rejected.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def rejected_rows(import_id: str, session: SessionDep, user: CanImportOrders) -> Response:
    """The rejected rows as they were read, with their row number and errors: fix, import."""
    job = await _job(session, import_id, user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", *COLUMNS, "errors"])
    rows = await session.scalars(
        select(ImportRow)
        .where(ImportRow.import_id == import_id, ImportRow.result == REJECTED)
        .order_by(ImportRow.row_no)
    )
    for r in rows:
        errors = "; ".join(f"{k}: {v}" for k, v in r.errors.items())
        writer.writerow([r.row_no, *(r.raw.get(c, "") for c in COLUMNS), errors])
    filename = f"rejected-{Path(job.file_name).stem}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
