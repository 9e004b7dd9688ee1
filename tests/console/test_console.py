"""What the desk's people do in the console, in a real browser."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from api.console.sessions import COOKIE
from api.console.track import tracking_link
from db.models import Notification
from tests.console.conftest import screenshot, sign_in
from tests.harness import Desk, eventually, new_customer, order_body
from tests.workflows.test_approval_desk import opened
from tests.workflows.test_bulk import bulk_body, business
from tests.workflows.test_custom import SPEC, custom_body, made_to_order
from tests.workflows.test_presale import pay, presale_order, presale_product, today

pytestmark = pytest.mark.timeout(180)


async def waiting_for_supervisor(desk: Desk) -> str:
    """An order whose 15 % discount needs a sales supervisor, open in the inbox."""
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, discount_pct="15")
    await desk.status_is(order_id, "AWAITING_APPROVAL")

    async def listed() -> bool:
        page = await desk.ok("supervisor", "GET", "/approvals")
        return any(i["order_id"] == order_id for i in page["items"])

    await eventually(listed, timeout=30)
    return order_id


async def test_an_approver_approves_from_the_inbox(page: Page, console: str, desk: Desk) -> None:
    order_id = await waiting_for_supervisor(desk)
    await sign_in(page, console, "supervisor", desk)
    await page.goto(f"{console}/console/approvals")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Approvals")
    row = page.locator(f"#approval-{order_id}")
    await expect(row).to_contain_text("discount")
    await screenshot(page, "approvals")
    await row.get_by_label("Comment").fill("Loyal customer, fine by me")
    await page.evaluate("window.stillThisPage = true")
    await row.get_by_role("button", name="Approve").click()
    # Gone from the list without a reload (the page's own state survives the swap).
    await expect(page.get_by_role("status")).to_contain_text("approved")
    await expect(page.locator(f"#approval-{order_id}")).to_have_count(0)
    assert await page.evaluate("window.stillThisPage === true")
    order = await desk.get(order_id)
    (level,) = order["approvals"]
    assert (level["status"], level["decided_by"]) == ("approved", "supervisor")
    assert level["comment"] == "Loyal customer, fine by me"
    await page.reload()
    decided = page.get_by_role("table").filter(has_text="Loyal customer, fine by me")
    await expect(decided).to_contain_text(order_id[:8])

    await page.get_by_role("link", name=order_id[:8]).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order_id[:8]}")
    timeline = page.locator("#timeline")
    await expect(timeline).to_contain_text("awaiting approval →")
    await expect(page.get_by_role("link", name="Workflow in the Temporal UI")).to_have_attribute(
        "href", re.compile(f"/workflows/order-{order_id}$")
    )
    tracking = page.get_by_role("link", name="Customer's tracking page")
    await expect(tracking).to_have_attribute("href", re.compile("/track/"))
    await screenshot(page, "order")


async def test_sales_sees_only_their_customers_orders(page: Page, console: str, desk: Desk) -> None:
    sku = await desk.product(price="20.00", stock=10)
    mine = await desk.order(sku, customer_id=await desk.customer())  # sales1's customer
    theirs_customer = await desk.ok("sales2", "POST", "/customers", json=new_customer())
    body = order_body(theirs_customer["id"], sku)
    theirs = (await desk.ok("sales2", "POST", "/orders", json=body))["order_id"]
    await sign_in(page, console, "sales2", desk)
    await page.goto(f"{console}/console/orders")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    orders = page.locator("table.orders tbody")
    await expect(orders.locator(f"[data-order='{theirs}']")).to_have_count(1)
    await expect(orders.locator(f"[data-order='{mine}']")).to_have_count(0)
    await screenshot(page, "orders")
    # Nor by its address: the API's 404, shown as a page.
    answer = await page.goto(f"{console}/console/orders/{mine}")
    assert answer is not None and answer.status == 404


async def test_a_saved_search_is_found_again_and_shared(
    browser: Browser, page: Page, console: str, desk: Desk
) -> None:
    await waiting_for_supervisor(desk)
    await sign_in(page, console, "service", desk)
    await page.goto(f"{console}/console/orders")
    await page.get_by_label("Status", exact=True).select_option("AWAITING_APPROVAL")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.locator("table.orders tbody tr").first).to_contain_text("awaiting approval")
    await page.get_by_label("Save this search as").fill("Waiting for a decision")
    await page.get_by_role("button", name="Save search").click()
    await expect(page.get_by_role("status")).to_have_text("Search saved.")

    await page.goto(f"{console}/console/orders")
    await expect(page.get_by_label("Status", exact=True)).to_have_value("")
    saved = page.get_by_role("navigation", name="Saved searches")
    await saved.get_by_role("link", name="Waiting for a decision").click()
    await expect(page.get_by_label("Status", exact=True)).to_have_value("AWAITING_APPROVAL")
    statuses = await page.locator("table.orders tbody tr td:nth-child(3)").all_inner_texts()
    assert statuses and all(s.startswith("awaiting approval") for s in statuses)
    shared = page.url

    # The link is the search: a colleague opens it and sees the same filter (in their scope).
    other = await browser.new_context()
    colleague = await other.new_page()
    await sign_in(colleague, console, "admin", desk)
    await colleague.goto(shared)
    await expect(colleague.get_by_label("Status", exact=True)).to_have_value("AWAITING_APPROVAL")
    # Saved per person: the colleague's list of saved searches does not have it.
    await expect(colleague.get_by_role("link", name="Waiting for a decision")).to_have_count(0)
    await other.close()


async def test_the_tracking_page_shows_its_order_and_nothing_else(
    page: Page, console: str, desk: Desk
) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order_id = await desk.order(sku, payment="cod")
    order = await desk.status_is(order_id, "SHIPPED", timeout=60)
    # The link as the customer got it, with the order's confirmation (the outbox table).
    async with desk.sessions() as session:
        bodies = await session.scalars(
            select(Notification.body).where(
                Notification.order_id == order_id, Notification.body.contains("/track/")
            )
        )
        (confirmation,) = list(bodies)
    link = re.search(r"https?://\S+/track/[\w.\-]+", confirmation)
    assert link, confirmation
    created = datetime.fromisoformat(order["created_at"]).astimezone(UTC)
    assert link.group(0) == tracking_link(desk.settings, order_id, created)
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    await page.goto(f"{console}/{path}")
    await expect(page.locator("#track-status")).to_have_text("Shipped")
    (shipment,) = order["shipments"]
    await expect(page.get_by_role("table")).to_contain_text(shipment["tracking_number"])
    text = await page.locator("body").inner_text()
    customer = await desk.ok("admin", "GET", f"/customers/{order['customer_id']}")
    for secret in (customer["name"], customer["email"], order["customer_id"], "10.00", "11.90"):
        assert secret not in text
    assert await page.get_by_role("link", name="Sign out").count() == 0
    await screenshot(page, "track")
    # Altered by one character: not a page of any order.
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    answer = await page.goto(f"{console}/{tampered}")
    assert answer is not None and answer.status == 404
    await expect(page.locator("body")).to_contain_text("not valid")


async def test_forms_need_their_token_and_a_signed_out_cookie_is_dead(
    browser: Browser, page: Page, console: str, desk: Desk
) -> None:
    order_id = await waiting_for_supervisor(desk)
    await sign_in(page, console, "supervisor", desk)
    # The right cookie, no CSRF token (as another site's form would post): refused, nothing done.
    forged = await page.request.post(
        f"{console}/console/approvals/{order_id}",
        form={"decision": "approve", "comment": "forged"},
    )
    assert forged.status == 403
    assert (await desk.get(order_id))["status"] == "AWAITING_APPROVAL"
    cookie = next(c for c in await page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    await page.goto(f"{console}/console/approvals")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/console/login")
    # The same cookie, replayed after signing out: sent to sign in again.
    replay = await browser.new_context()
    await replay.add_cookies(
        [{"name": COOKIE, "value": cookie["value"], "url": f"{console}/console/"}]
    )
    stale = await replay.new_page()
    await stale.goto(f"{console}/console/approvals")
    assert "/console/login" in stale.url
    await expect(stale.get_by_role("button", name="Sign in")).to_be_visible()
    await screenshot(stale, "login")
    await replay.close()


async def test_a_wrong_password_signs_nobody_in(page: Page, console: str, desk: Desk) -> None:
    await page.goto(f"{console}/console/login?next=https://evil.example/")
    await page.get_by_label("Username").fill("supervisor")
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    assert COOKIE not in {c["name"] for c in await page.context.cookies()}
    # And ?next= sends people back into the console only.
    await sign_in(page, console, "supervisor", desk)
    assert page.url.startswith(console)


async def test_the_dashboard_draws_its_charts_from_the_kpis(
    page: Page, console: str, desk: Desk
) -> None:
    sku = await desk.product(price="10.00", stock=5)
    cancelled = await desk.order(sku)
    # Its workflow is running (the API answers before it starts one): then it can be cancelled.
    await desk.status_is(cancelled, "AWAITING_PAYMENT")
    await desk.ok(
        "service", "POST", f"/orders/{cancelled}/cancel", json={"reason_code": "duplicate"}
    )
    await desk.status_is(cancelled, "CANCELLED")
    today = datetime.now(UTC).date().isoformat()
    report = await desk.ok("manager", "GET", "/reports/kpis", params={"from": today, "to": today})
    await sign_in(page, console, "manager", desk)
    await page.goto(f"{console}/console/dashboard?from={today}&to={today}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    await expect(page.locator("#kpi-orders")).to_have_text(str(report["orders"]))
    drawn = await page.evaluate(
        """() => Object.fromEntries(["chart-per-day", "chart-in-status", "chart-reasons"].map(
            id => [id, Chart.getChart(id).data]))"""
    )
    per_day = sum(sum(d["data"]) for d in drawn["chart-per-day"]["datasets"])
    assert per_day == report["orders"]
    reasons = dict(
        zip(
            drawn["chart-reasons"]["labels"],
            drawn["chart-reasons"]["datasets"][0]["data"],
            strict=True,
        )
    )
    assert reasons == report["top_cancel_reasons"] and reasons["duplicate"] >= 1
    statuses = drawn["chart-in-status"]["labels"]
    assert statuses == [t["status"] for t in report["time_in_status"]]
    # Drawn, not only configured: the canvas has pixels of its bars.
    assert await page.evaluate(
        "() => document.getElementById('chart-per-day').getContext('2d')"
        ".getImageData(0, 0, 400, 200).data.some(v => v !== 0)"
    )
    await screenshot(page, "dashboard")


async def test_the_warehouse_sees_low_stock_and_books_a_receipt(
    page: Page, console: str, desk: Desk
) -> None:
    sku = f"LOW-{uuid.uuid4().hex[:8]}"
    product = {"sku": sku, "name": "Rare part", "unit_price": "9.00", "weight_kg": "1"}
    await desk.ok("admin", "POST", "/products", json={**product, "reorder_point": 5})
    await desk.receive(sku, 6)
    waiting = await desk.order(sku, 3)  # reserves 3 of 6: below the point of 5

    async def low() -> bool:
        return any(
            r["sku"] == sku for r in await desk.ok("warehouse", "GET", "/inventory/low-stock")
        )

    await eventually(low, timeout=30)
    await sign_in(page, console, "warehouse", desk)
    await page.goto(f"{console}/console/stock?q={sku}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Stock")
    row = page.locator(f"tr[data-sku='{sku}']").first
    await expect(row).to_have_class("low")
    await expect(row.locator(".available")).to_have_text("3")
    await expect(page.locator(f"tr[data-sku='{sku}'][data-warehouse='WH1']")).to_contain_text("6")
    await screenshot(page, "stock")
    # The warehouse sees no prices, here as in the API.
    assert "9.00" not in await page.locator("main").inner_text()
    await page.get_by_label("SKU", exact=True).fill(sku)
    await page.get_by_label("Quantity").fill("10")
    await page.get_by_role("button", name="Book receipt").click()
    await expect(page.get_by_role("status")).to_have_text("Receipt booked.")
    await page.goto(f"{console}/console/stock?q={sku}")
    row = page.locator(f"tr[data-sku='{sku}']").first
    await expect(row.locator(".available")).to_have_text("13")
    await expect(row).not_to_have_class("low")
    # The order's page for the warehouse: its lines, no prices, no money to record.
    await page.goto(f"{console}/console/orders/{waiting}")
    await expect(page.get_by_role("heading", level=2, name="Lines")).to_be_visible()
    main = await page.locator("main").inner_text()
    assert "9.00" not in main and "Record a payment" not in main


def gtin_for(prefix: str) -> str:
    """A valid EAN-13 (its check digit computed here) from 12 digits."""
    digits = [int(d) for d in prefix]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return prefix + str(check)


async def test_a_phone_order_is_entered_by_scanning_a_barcode(
    page: Page, console: str, desk: Desk
) -> None:
    code = gtin_for(f"40{uuid.uuid4().int % 10**10:010d}")
    sku = f"SCAN-{uuid.uuid4().hex[:8]}"
    product = {"sku": sku, "name": "Scanned chair", "unit_price": "49.00", "weight_kg": "5"}
    await desk.ok("admin", "POST", "/products", json={**product, "gtin": code})
    await desk.receive(sku, 7)
    customer = await desk.ok(
        "sales1", "POST", "/customers", json={**new_customer(), "name": f"Caller {sku}"}
    )
    await sign_in(page, console, "sales1", desk)
    await page.goto(f"{console}/console/orders/new")
    await expect(page.get_by_role("heading", level=1)).to_have_text("New order")
    scan = page.get_by_label("Scan or type a product code")
    # A misread (last digit off): refused by its check digit, no line added.
    await scan.fill(code[:-1] + str((int(code[-1]) + 1) % 10))
    await scan.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("check digit")
    await expect(page.locator("#lines tr")).to_have_count(0)
    # The scanner types the code and Enter.
    await scan.fill(code)
    await scan.press("Enter")
    line = page.locator(f"#lines tr[data-sku='{sku}']")
    await expect(line).to_contain_text("Scanned chair")
    await expect(line).to_contain_text("7")  # available
    await expect(line).to_contain_text("49.00")
    await line.get_by_label(f"Quantity of {sku}").fill("2")
    await line.get_by_label(f"Discount % of {sku}").fill("10")
    await expect(line.locator(".net")).to_have_text("88.20")  # 2 x 49.00 less 10 %
    await line.get_by_label(f"Discount % of {sku}").fill("0")
    # A new customer's fields are checked as typed, with the API's rules.
    await page.get_by_label("Postal code").fill("1")
    await page.get_by_label("Country (2 letters)").fill("DE")
    await expect(page.locator("#customer-check")).to_contain_text("postal code")
    await page.get_by_label("Find customer").fill(f"Caller {sku}")
    quote = page.locator("#quote")
    await expect(quote).to_contain_text("Choose the customer")  # tax follows the destination
    await page.get_by_label(re.compile(f"Caller {sku}")).check()
    await page.get_by_label("Channel").select_option("phone")
    await page.get_by_label("Payment").select_option("cod")
    # The price the API would take the order at: net, shipping, tax, total.
    await expect(quote.locator("#quote-subtotal")).to_have_text("98.00")
    quoted_total = (await quote.locator("#quote-total").text_content() or "").strip()
    await expect(quote.locator("#quote-tax")).not_to_have_text("0.00")
    await screenshot(page, "new-order")
    # A double click: one order.
    await page.locator("#place-order").dblclick()
    await page.wait_for_url(re.compile(r"/console/orders/[0-9a-f-]{36}\?done=created"))
    order_id = page.url.split("/console/orders/")[1].split("?")[0]
    order = await desk.get(order_id)
    assert order["channel"] == "phone" and order["customer_id"] == customer["id"]
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [(sku, 2)]
    assert quoted_total == f"{Decimal(order['totals']['total']):,.2f}"
    mine = await desk.ok("admin", "GET", "/orders", params={"customer_id": customer["id"]})
    assert len(mine["items"]) == 1
    await page.goto(f"{console}/console/orders?customer={customer['name']}")
    await expect(page.locator(f"table.orders [data-order='{order_id}']")).to_have_count(1)


async def test_a_presale_order_shows_its_release_deposit_and_place(
    page: Page, console: str, desk: Desk
) -> None:
    release = await today(desk.sessions) + timedelta(days=30)
    sku = await presale_product(desk, release, cap=None, deposit_pct="20")
    order_id = (await presale_order(desk, sku)).json()["order_id"]
    order = await desk.status_is(order_id, "AWAITING_DEPOSIT")
    await pay(desk, order_id, order["deposit"], "deposit")
    await desk.status_is(order_id, "QUEUED")
    await sign_in(page, console, "service", desk)
    await page.goto(f"{console}/console/orders/{order_id}")
    await expect(page.locator("#order-status")).to_contain_text("queued")
    await expect(page.locator("#order-presale")).to_have_text(
        f"pre-sale, released {release.isoformat()}, place 1 in the queue"
    )
    deposit = page.get_by_role("row").filter(has_text="Deposit (pre-sale)")
    await expect(deposit).to_contain_text(order["deposit"])


async def test_a_bulk_order_shows_its_scheduled_deliveries(
    page: Page, console: str, desk: Desk
) -> None:
    day = await today(desk.sessions)
    sku = await desk.product(price="10.00", stock=10)
    customer = await business(desk)
    plan = [(day + timedelta(days=10), 2), (day + timedelta(days=40), 3)]
    body = bulk_body(customer, sku, plan)
    order_id = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SCHEDULED")
    await sign_in(page, console, "service", desk)
    await page.goto(f"{console}/console/orders/{order_id}")
    await expect(page.locator("#order-status")).to_contain_text("scheduled")
    rows = page.locator("#order-deliveries tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text(plan[0][0].isoformat())
    await expect(rows.nth(0)).to_contain_text(f"2 x {sku}")
    await expect(rows.nth(1)).to_contain_text((plan[1][0] - timedelta(days=3)).isoformat())
    await expect(rows.nth(1)).to_contain_text("scheduled")


async def test_a_custom_order_shows_its_specification_and_production(
    page: Page, console: str, desk: Desk
) -> None:
    sku = await made_to_order(desk, days=10)
    customer = await desk.customer()
    order_id = (await desk.ok("shop", "POST", "/orders", json=custom_body(customer, sku)))[
        "order_id"
    ]
    order = await opened(desk, order_id)
    await sign_in(page, console, "service", desk)
    await page.goto(f"{console}/console/orders/{order_id}")
    rows = page.locator("#order-specification tbody tr")
    await expect(rows).to_have_count(len(SPEC["attributes"]))
    await expect(rows.nth(0)).to_contain_text("material")
    await expect(rows.nth(0)).to_contain_text("oak")
    await expect(page.locator("#order-production")).to_contain_text(
        f"Ready by {order['estimated_ready']}"
    )
