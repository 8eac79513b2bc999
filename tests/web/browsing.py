"""What the browser test modules share: reading the central database, waiting
for the platform, and measuring the page (geometry, not pictures)."""

from __future__ import annotations

import uuid
from importlib.resources import files
from typing import Any

from playwright.async_api import FloatRect, Locator, Page, ViewportSize, expect

from tests.fixtures.processes import wait_until_async
from tests.web.conftest import BrowserSession, Platform

PHONE: ViewportSize = {"width": 390, "height": 844}
# A 1280 x 800 laptop zoomed to 200 %: the page gets 640 x 400 CSS pixels, each
# drawn with 2 x 2 device pixels (device_scale_factor=2), which is what zoom does.
ZOOMED_LAPTOP: ViewportSize = {"width": 640, "height": 400}
# axe-core as the `axe-playwright-python` package bundles it (a dev dependency).
AXE_SCRIPT = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = ("serious", "critical")


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


async def wait_for_pending(
    platform: Platform, region: str, at_least: int, *, event_type: str | None = None
) -> None:
    """`up` simulates events and forwards them; wait until the centre holds some
    (of `event_type`, if given)."""

    async def enough() -> bool:
        rows = await platform.query(
            "SELECT count(*) AS n FROM events WHERE region_code = $1 AND status = 'pending' "
            "AND ($2::text IS NULL OR event_type = $2)",
            region,
            event_type,
        )
        return bool(rows[0]["n"] >= at_least)

    what = f"{event_type} events" if event_type else "events"
    await wait_until_async(enough, message=f"fewer than {at_least} pending {region} {what}")


async def hand_over(platform: Platform, username: str, *, event_type: str, region: str) -> str:
    """Give `username` a pending event of `event_type` in `region`, leased as a claim
    would lease it (a claim hands out the highest priority first, whatever the type);
    waits for the simulator to make one if none is pending. The event's id.

    The user is logged in first: `up` re-queues, every 30 s, what is held by
    someone without a live session, as it would a reviewer's who logged out."""
    platform.token(username)
    holder = await user_id(platform, username)

    async def assigned() -> str | None:
        rows = await platform.query(
            "UPDATE events SET status = 'assigned', assigned_user_id = $1, assigned_at = now(), "
            "lease_expires_at = now() + interval '15 minutes' WHERE event_id = ("
            "  SELECT event_id FROM events WHERE status = 'pending' AND queue = 'review'"
            "  AND event_type = $2 AND region_code = $3 ORDER BY created_at LIMIT 1"
            "  FOR UPDATE SKIP LOCKED) RETURNING event_id",
            holder,
            event_type,
            region,
        )
        return str(rows[0]["event_id"]) if rows else None

    # The simulator makes an event of each type every 20 s or so per region.
    return await wait_until_async(
        assigned,
        message=f"no pending {event_type} event in {region} to hand to {username}",
        timeout=120,
    )


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


async def fully_visible(target: Locator) -> str | None:
    """Inside the window once scrolled to, and not covered by anything else:
    None, or what is wrong."""
    await target.scroll_into_view_if_needed()
    await settled(target.page)
    problem: str | None = await target.evaluate(
        """node => {
          const box = node.getBoundingClientRect();
          // 1 px of slack for sub-pixel layout at a device scale factor of 2.
          const inside = box.left >= 0 && box.top >= 0 && box.width > 0
            && box.right <= document.documentElement.clientWidth + 1
            && box.bottom <= innerHeight + 1;
          const hit = document.elementFromPoint(
            box.left + box.width / 2, box.top + box.height / 2);
          if (!inside) return `outside the window: ${JSON.stringify(box)}`;
          if (hit === null || !(hit === node || node.contains(hit) || hit.contains(node))) {
            return `covered by ${hit && hit.outerHTML.slice(0, 120)}`;
          }
          return null;
        }"""
    )
    return problem


async def settled(page: Page) -> None:
    """After two frames: scroll events have been handled (the toasts placed)."""
    await page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def intersect(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def axe_findings(page: Page) -> list[str]:
    """axe's serious and critical findings on the page as it is now, one line each."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE_SCRIPT)
    violations: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]


async def structure_findings(page: Page) -> list[str]:
    """One h1 per view; every th a column or row header (in a thead, or with scope)."""
    found: list[str] = await page.evaluate(
        """() => {
          const problems = [];
          const h1s = [...document.querySelectorAll('h1')].filter(h => !h.closest('[hidden]'));
          if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements`);
          for (const th of document.querySelectorAll('th')) {
            if (!th.closest('thead') && !th.getAttribute('scope')) {
              problems.push(`th without scope: ${th.textContent}`);
            }
            if (!th.textContent.trim()) problems.push('an empty th');
          }
          return problems;
        }"""
    )
    return found


async def accessibility_problems(page: Page) -> list[str]:
    """axe's blocking findings and the structure checks, for the page as it is now."""
    return await axe_findings(page) + await structure_findings(page)
