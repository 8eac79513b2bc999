"""What the browser test modules share: reading the central database, waiting
for the platform, and measuring the page (geometry, not pictures)."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.async_api import FloatRect, Page, expect

from tests.fixtures.processes import wait_until_async
from tests.web.conftest import BrowserSession, Platform


async def status_of(platform: Platform, event_id: str) -> dict[str, Any]:
    rows = await platform.query(
        "SELECT status, review_decision, review_rating, device_id, assigned_user_id, "
        "lease_expires_at FROM events WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    assert len(rows) == 1
    return dict(rows[0])


async def wait_for_status(platform: Platform, event_id: str, wanted: str) -> dict[str, Any]:
    last: dict[str, Any] = {}

    async def reached() -> dict[str, Any] | None:
        nonlocal last
        last = await status_of(platform, event_id)
        return last if last["status"] == wanted else None

    return await wait_until_async(
        reached, message=lambda: f"event {event_id} is {last}, not {wanted}\n{platform.log()}"
    )


async def wait_for_pending(platform: Platform, region: str, at_least: int) -> None:
    """`up` simulates events and forwards them; wait until the centre holds some."""

    async def enough() -> bool:
        rows = await platform.query(
            "SELECT count(*) AS n FROM events WHERE region_code = $1 AND status = 'pending'",
            region,
        )
        return bool(rows[0]["n"] >= at_least)

    await wait_until_async(enough, message=f"fewer than {at_least} pending {region} events")


def real_errors(tab: BrowserSession, *expected: str) -> list[str]:
    """Console errors, minus the ones the test provoked on purpose."""
    return [e for e in tab.errors if not any(text in e for text in expected)]


async def claim(page: Page, size: int) -> list[str]:
    """Claim a batch from the review screen; the ids of the events now held."""
    await page.get_by_label("Batch size").fill(str(size))
    await page.get_by_role("button", name="Get next batch").click()
    items = page.locator(".queue-item")
    await expect(items.first).to_have_attribute("aria-current", "true")
    ids = [await item.get_attribute("data-event-id") for item in await items.all()]
    assert all(ids)
    return [i for i in ids if i]


async def user_id(platform: Platform, username: str) -> uuid.UUID:
    rows = await platform.query("SELECT user_id FROM users WHERE username = $1", username)
    return uuid.UUID(str(rows[0]["user_id"]))


async def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its window (0: no sideways scrolling)."""
    width: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def intersect(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )
