"""The web client in headless Chromium, against a real `event-review up`.

The tests drive the client like a person would (mouse and keyboard), check
the outcome in the central database, and leave screenshots in
test-output/screenshots/.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from tests.fixtures.processes import wait_until_async
from tests.web.conftest import PASSWORD, OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, Route, expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    real_errors,
    status_of,
    wait_for_pending,
    wait_for_status,
)

# An unreachable region: nothing listens on the discard port.
UNREACHABLE = "http://127.0.0.1:9"


async def layout_of(page: Page) -> dict[str, tuple[int, int, int, int]]:
    """Where the payload's parts sit on screen, to the pixel."""
    boxes = {}
    for part in ("#payload-frame", "#payload-fields", "#payload-chart", "#payload-raw"):
        box = await page.locator(part).bounding_box()
        assert box is not None, part
        boxes[part] = (round(box["x"]), round(box["y"]), round(box["width"]), round(box["height"]))
    return boxes


async def test_a_reviewer_reviews_an_event_with_the_keyboard(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "eu", 5)
    tab = await new_session("reviewer")
    page = tab.page
    # The demo reviewer (no other test on the shared platform uses it): the
    # README's picture shows the name the README tells people to log in with.
    username = "reviewer-eu"

    await tab.login(platform.url, username)
    await expect(page.locator("#queue-message")).to_contain_text("Get a batch")
    # Hold the first payload back, to see the page while it loads.
    arrived = asyncio.Event()

    async def slow_region(route: Route) -> None:
        await arrived.wait()
        await route.continue_()

    await page.route("**/api/v1/events/*/payload", slow_region)
    await page.get_by_label("Batch size").fill("5")
    await page.get_by_role("button", name="Get next batch").click()

    items = page.locator(".queue-item")
    await expect(items).to_have_count(5)
    first = items.first
    event_id = await first.get_attribute("data-event-id")
    assert event_id is not None
    await expect(first).to_have_attribute("aria-current", "true")
    await expect(first).to_be_focused()
    await expect(page.locator("#lease")).to_contain_text("Lease 1")  # 15 min, counting down

    # Nothing moves when the payload arrives: the loading skeleton has its size.
    await expect(page.locator("#payload-fields .skeleton").first).to_be_visible()
    await tab.screenshot("reviewer-payload-loading")
    loading = await layout_of(page)
    arrived.set()
    image = page.locator("#payload-image")
    await expect(image).to_be_visible()
    assert await layout_of(page) == loading
    await page.unroute("**/api/v1/events/*/payload")

    # The payload, fetched from the EU region on demand and shown readably.
    assert await image.evaluate("img => img.complete && img.naturalWidth > 0")
    speed = page.locator("#payload-chart svg polyline.speed")
    await expect(speed).to_have_count(1)
    assert len((await speed.get_attribute("points") or "").split()) == 50
    await expect(page.locator("#payload-chart svg polyline.accel")).to_have_count(1)
    device = (await status_of(platform, event_id))["device_id"]
    fields = page.locator("#payload-fields")
    await expect(fields.get_by_role("row", name="Device")).to_contain_text(device)
    await expect(fields.get_by_role("row", name="GPS position")).to_contain_text("° N")
    await expect(page.locator("#residency")).to_contain_text("not stored centrally")
    raw = page.locator("#payload-raw")
    assert await raw.evaluate("details => !details.open")
    await raw.locator("summary").click()
    await expect(raw.locator("pre")).to_contain_text('"compliance_canary"')
    await raw.locator("summary").click()
    await tab.screenshot("reviewer-event-open")

    # a, 4, Enter: approve, rate 4, submit; the next event opens.
    await page.keyboard.press("a")
    await page.keyboard.press("4")
    await expect(page.locator("#decision-approve")).to_be_checked()
    await expect(page.locator("#rating-4")).to_be_checked()
    await tab.readme_screenshot("reviewer")
    await page.keyboard.press("Enter")

    await expect(page.locator(f'.queue-item[data-event-id="{event_id}"]')).to_have_count(0)
    await expect(items).to_have_count(4)
    await expect(items.first).to_have_attribute("aria-current", "true")
    await expect(page.locator("#toasts")).to_contain_text("Approved with rating 4")
    await expect(page.locator("#payload-image")).to_be_visible()

    reviewed = await wait_for_status(platform, event_id, "completed")
    assert (reviewed["review_decision"], reviewed["review_rating"]) == ("approve", 4)
    await tab.screenshot("reviewer-after-review")

    # j/k move between events; s, then Enter (no reason) gives one back to the queue.
    second = await items.nth(1).get_attribute("data-event-id")
    await page.keyboard.press("j")
    await expect(items.nth(1)).to_have_attribute("aria-current", "true")
    await page.keyboard.press("s")
    await expect(page.get_by_role("dialog", name="Skip this event")).to_be_visible()
    await page.keyboard.press("Enter")
    await expect(page.locator(f'.queue-item[data-event-id="{second}"]')).to_have_count(0)
    assert second is not None
    assert (await status_of(platform, second))["status"] == "pending"

    # Shortcuts help, then the session ends elsewhere: back to the login screen.
    await page.keyboard.press("?")
    await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await page.keyboard.press("Escape")
    # The token lives in the page's memory alone; end the session where the server keeps it.
    await platform.query(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = "
        "(SELECT user_id FROM users WHERE username = $1)",
        username,
    )
    await page.keyboard.press("n")
    await expect(page.locator("#login-status")).to_contain_text("Your session was ended")
    await expect(page.get_by_label("Username")).to_be_visible()
    assert await page.evaluate("JSON.stringify(sessionStorage)") == "{}"

    assert real_errors(tab, "status of 401") == []


@pytest.mark.parametrize(
    # One attempt, so a write-back to an unreachable region parks at once.
    "platform_env",
    [{"EVENT_REVIEW_WRITEBACK_MAX_ATTEMPTS": "1"}],
    ids=["writebacks-park-after-one-attempt"],
)
async def test_an_admin_watches_the_dashboard_and_retries_a_failed_writeback(
    platform: Platform, new_session: OpenSession
) -> None:
    await wait_for_pending(platform, "us", 3)
    # The US region "goes away": its API URL now points where nothing listens.
    moved = platform.api(
        "PATCH", "/api/v1/admin/regions/us", "admin", json={"api_url": UNREACHABLE}
    )
    assert moved.status_code == 200, moved.text

    # A US reviewer is told, in plain words, that the payload cannot be fetched...
    reviewer = await new_session("reviewer-us")
    page = reviewer.page
    await reviewer.login(platform.url, "reviewer-us")
    await page.get_by_role("button", name="Get next batch").click()
    first = page.locator(".queue-item").first
    await expect(first).to_have_attribute("aria-current", "true")
    event_id = await first.get_attribute("data-event-id")
    assert event_id is not None
    problem = page.locator("#event-body .notice.error")
    await expect(problem).to_contain_text("The US region cannot be reached right now.")
    await expect(problem.get_by_role("button", name="Try again")).to_be_visible()
    await reviewer.screenshot("reviewer-region-unreachable")
    # ...and can still review: the outcome waits in the outbox, which parks it.
    await page.keyboard.press("r")
    await page.keyboard.press("2")
    await page.keyboard.press("Enter")
    await expect(page.locator(f'.queue-item[data-event-id="{event_id}"]')).to_have_count(0)
    await wait_for_status(platform, event_id, "submitted")

    async def parked() -> bool:
        rows = await platform.query(
            "SELECT status FROM writeback_outbox WHERE event_id = $1", uuid.UUID(event_id)
        )
        return [r["status"] for r in rows] == ["failed"]

    await wait_until_async(parked, message=lambda: f"write-back never parked\n{platform.log()}")

    # More reviews in EU, so the charts have something to draw.
    eu_events = await review_some(platform, "reviewer-eu", 4)
    for done in eu_events:
        await wait_for_status(platform, done, "completed")

    admin = await new_session("admin")
    page = admin.page
    await admin.login(platform.url, "admin")
    await expect(page).to_have_title("Dashboard · Event Review")
    await expect(page.locator("#stat-failed")).to_have_text("1")
    await expect(page.locator("#region-table")).to_contain_text("EU")
    await expect(page.locator("#region-table")).to_contain_text("US")
    for chart in ("#chart-reviews", "#chart-lag"):
        await expect(page.locator(chart)).to_have_attribute("src", _svg_data_url())
        assert await page.locator(chart).evaluate("img => img.complete && img.naturalWidth > 0")
    await expect(page.locator("#live")).to_contain_text("Live")
    await admin.screenshot("admin-dashboard")
    await admin.readme_screenshot("dashboard")

    # The admin points the region back at its API...
    await page.get_by_role("link", name="Regions").click()
    await page.get_by_role("button", name="Edit us").click()
    url = page.get_by_label("API URL of us")
    await url.fill(platform.regional_url("us"))
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#regions-table")).to_contain_text(platform.regional_url("us"))

    # ...and retries the parked write-back, which now reaches the region.
    await page.get_by_role("link", name="Write-backs").click()
    row = page.locator(f'#writeback-table tr:has-text("{event_id}")')
    await expect(row).to_contain_text("ConnectError")
    await admin.screenshot("admin-failed-writeback")
    await row.get_by_role("button", name="Retry").click()
    await expect(page.locator("#toasts")).to_contain_text("Retry scheduled")
    await wait_for_status(platform, event_id, "completed")
    await expect(page.locator("#writeback-table")).to_contain_text("No failed write-backs")

    # The audit log tells the story, filtered by event.
    await page.get_by_role("link", name="Audit log").click()
    await page.get_by_label("Event id").fill(event_id)
    await page.get_by_role("button", name="Filter").click()
    audit = page.locator("#audit-table")
    for action in ("event.completed", "writeback.retried", "writeback.failed", "event.reviewed"):
        await expect(audit).to_contain_text(action)
    await admin.screenshot("admin-audit")

    assert real_errors(reviewer, "status of 502") == []
    assert real_errors(admin) == []


def _svg_data_url() -> re.Pattern[str]:
    return re.compile(r"^data:image/svg\+xml")


async def review_some(platform: Platform, username: str, count: int) -> list[str]:
    """Reviews through the API, as another reviewer working alongside would."""
    await wait_for_pending(platform, "eu", count)
    batch = platform.api("POST", "/api/v1/assignments/next-batch", username, json={"size": count})
    assert batch.status_code == 200, batch.text
    done = []
    for i, event in enumerate(batch.json()["events"]):
        reviewed = platform.api(
            "POST",
            f"/api/v1/events/{event['event_id']}/review",
            username,
            json={"decision": "approve" if i % 3 else "reject", "rating": 3 + i % 3},
        )
        assert reviewed.status_code == 200, reviewed.text
        done.append(event["event_id"])
    return done


async def test_an_admin_maps_a_team_to_regions_and_deactivates_a_user(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    suffix = uuid.uuid4().hex[:6]
    team, nina_name = f"night-shift-{suffix}", f"nina-{suffix}"
    admin = await new_session("admin")
    page = admin.page
    await admin.login(platform.url, "admin")

    await page.get_by_role("link", name="Teams").click()
    await page.locator("#add-team").get_by_label("Name").fill(team)
    await page.locator("#add-team").get_by_label("EU").check()
    await page.get_by_role("button", name="Add team").click()
    row = page.locator(f'#teams-table tr[data-team="{team}"]')
    await expect(row).to_contain_text("EU")
    await row.get_by_role("button", name=f"Edit {team}").click()
    editing = page.locator("#teams-table tr.editing")
    await editing.get_by_label("US").check()
    await editing.get_by_role("button", name="Save").click()
    await expect(row).to_contain_text("US")

    await page.get_by_role("link", name="Users").click()
    new_user = page.locator("#add-user")
    await new_user.get_by_label("Username").fill(nina_name)
    await new_user.get_by_label("Password").fill(PASSWORD)
    await page.locator("#new-team").select_option(team)
    await page.get_by_role("button", name="Add user").click()
    nina_row = page.locator(f'#users-table tr[data-username="{nina_name}"]')
    await expect(nina_row).to_contain_text(team)
    await expect(nina_row).to_contain_text("Active")

    nina = await new_session("nina")
    await nina.login(platform.url, nina_name)
    await expect(nina.page.locator("#queue-foot")).to_contain_text("EU, US")

    await nina_row.get_by_role("button", name=f"Deactivate {nina_name}").click()
    dialog = page.get_by_role("dialog", name=f"Deactivate {nina_name}?")
    await expect(dialog).to_contain_text("logged out everywhere")
    await dialog.get_by_role("button", name="Deactivate").click()
    await expect(nina_row).to_contain_text("Deactivated")
    await admin.screenshot("admin-users")
    revoked = await platform.query(
        "SELECT count(*) AS n FROM sessions s JOIN users u USING (user_id) "
        "WHERE u.username = $1 AND s.revoked_at IS NULL",
        nina_name,
    )
    assert revoked[0]["n"] == 0

    # Nina's open tab finds out at its next request.
    await nina.page.get_by_role("button", name="Get next batch").click()
    await expect(nina.page.locator("#login-status")).to_contain_text("Log in again")
    # The admin cannot lock themselves out.
    await expect(
        page.locator('#users-table tr[data-username="admin"]').get_by_role(
            "button", name="Deactivate admin"
        )
    ).to_be_disabled()

    assert real_errors(admin) == []
    assert real_errors(nina, "status of 401") == []
