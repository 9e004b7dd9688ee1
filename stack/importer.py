"""`orderflow import FILE [--dry-run]`: the API's import from the command line, with a
progress bar while it runs and a summary table at the end; the rejected rows are saved as
CSV beside the file to fix and import again."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.auth import issue_token
from config import get_settings
from stack.seed import SEED_USERS

POLL_SECONDS = 0.5


def count_rows(path: Path) -> int | None:
    """Data rows in the file (for the bar's total), when cheap to know."""
    if path.suffix.lower() == ".csv":
        with path.open("rb") as f:
            return max(sum(1 for _ in f) - 1, 0)
    return None


async def run_import(
    http: httpx.AsyncClient, path: Path, dry_run: bool, console: Console
) -> dict[str, Any]:
    """Uploads the file, follows the job to its end; returns the job as the API shows it."""
    with path.open("rb") as f:
        answer = await http.post(
            "/orders/import",
            params={"dry_run": "true"} if dry_run else None,
            files={"file": (path.name, f)},
            timeout=None,
        )
    if answer.status_code >= 300:
        raise SystemExit(f"refused ({answer.status_code}): {answer.text}")
    job: dict[str, Any] = answer.json()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task(f"importing {path.name}", total=count_rows(path))
        while job["status"] == "running":
            await asyncio.sleep(POLL_SECONDS)
            job = (await http.get(f"/imports/{job['id']}")).json()
            progress.update(bar, completed=job["rows"])
    table = Table(title=f"{path.name}" + (" (dry run)" if dry_run else ""))
    table.add_column("")
    table.add_column("", justify="right")
    for label, key in (
        ("rows", "rows"),
        ("orders created" if not dry_run else "orders that would be created", "orders_created"),
        ("orders already there", "orders_duplicate"),
        ("orders rejected", "orders_rejected"),
        ("rows rejected", "rows_rejected"),
    ):
        table.add_row(label, str(job[key]))
    console.print(table)
    if job["status"] == "failed":
        console.print(f"[red]the file could not be read on: {job['error']}")
    elif job["rows_rejected"]:
        rejected = path.with_name(f"rejected-{path.stem}.csv")
        content = (await http.get(f"/imports/{job['id']}/rejected.csv")).content
        await asyncio.to_thread(rejected.write_bytes, content)
        console.print(f"rejected rows with their errors: {rejected}")
    return job


def main(path: str, dry_run: bool, url: str | None, user: str, token: str | None) -> None:
    settings = get_settings()
    if token is None:
        role = SEED_USERS.get(user)
        if role is None:
            raise SystemExit(f"{user} is not a seeded user: give --token (an API key or JWT)")
        token = issue_token(settings.auth, user, role)
    base = url or f"http://{settings.api_host}:{settings.api_port}"

    async def go() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            job = await run_import(http, Path(path), dry_run, Console())
        if job["status"] == "failed":
            raise SystemExit(1)

    asyncio.run(go())
