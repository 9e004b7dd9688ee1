"""The console in a real browser: the API and a worker on the dev server and PostgreSQL, served
by uvicorn on a free port, driven by Playwright in Debian's headless Chromium."""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from temporalio.testing import WorkflowEnvironment

from api.auth import dev_password
from db.engine import SessionFactory
from stack.processes import free_port
from tests.harness import Desk, open_desk

# Screenshots of each page land here (the README shows the main ones from docs/screenshots).
SCREENSHOTS = Path(os.environ.get("ORDERFLOW_SCREENSHOTS", ".data/screenshots"))
# What this machine's closed network needs (the env notes): no background calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        yield desk


@pytest.fixture(scope="module")
async def console(desk: Desk) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(desk.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for "listening"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make install` installs it (apt-get, as root)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield await context.new_page()
    await context.close()


async def sign_in(page: Page, console: str, username: str, desk: Desk) -> None:
    await page.goto(f"{console}/console/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(dev_password(desk.settings.auth, username))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/console/**")
    assert "/console/login" not in page.url


# What a keyboard and screen-reader user needs of every page: one h1, a label for every
# control, a header row for every table, a name for every button and link.
ACCESSIBILITY = """() => {
  const problems = [];
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} h1 headings`);
  for (const c of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!c.labels.length && !c.getAttribute("aria-label")) problems.push(`unlabelled ${c.name}`);
  }
  for (const t of document.querySelectorAll("table")) {
    if (!t.querySelector("th")) problems.push("a table without headers");
  }
  for (const b of document.querySelectorAll("button, a[href]")) {
    const name = b.innerText.trim() || b.getAttribute("aria-label");
    if (!name) problems.push(`unnamed ${b.outerHTML}`);
  }
  return problems;
}"""


async def screenshot(page: Page, name: str) -> None:
    """Every page a test shows is also checked for the basics of accessibility."""
    problems = await page.evaluate(ACCESSIBILITY)
    assert problems == [], f"{name}: {problems}"
    # Playwright creates the folder.
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
