"""An import job as the API shows it."""

from datetime import datetime

from pydantic import BaseModel


class ImportOut(BaseModel):
    id: str
    file_name: str
    dry_run: bool
    # running | done | failed
    status: str
    # Rows read so far; orders by result; rows of rejected orders.
    rows: int
    orders_created: int
    orders_duplicate: int
    orders_rejected: int
    rows_rejected: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    created_by: str


class ImportRowOut(BaseModel):
    row_no: int
    external_ref: str | None
    # created | duplicate | rejected ("created" in a dry run: would be created)
    result: str
    order_id: str | None
    # Column -> what is wrong with it (rejected rows only).
    errors: dict[str, str]
