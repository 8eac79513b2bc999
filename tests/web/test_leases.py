"""Leases can be kept: the two-minute warning offers an extension (button or
x) until the longest hold is reached; skipping asks why and hands the event to
other reviewers first; a link opens one event. Lease times are set in the
central database, so the countdown is the server's real one, with no clock
tricks (the client re-anchors its clock to every answer's Date header)."""

from __future__ import annotations

import re
import uuid

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    claim,
    real_errors,
    status_of,
    user_id,
    wait_for_pending,
)

WARN = re.compile(r"\bwarn\b")


async def set_leases(platform: Platform, username: str, sql_interval: str, **extra: str) -> None:
    """Every event `username` holds now ends its lease `sql_interval` from now."""
    sets = "".join(f", {column} = {value}" for column, value in extra.items())
    await platform.query(
        f"UPDATE events SET lease_expires_at = now() + interval '{sql_interval}'{sets} "
        "WHERE status = 'assigned' AND assigned_user_id = $1",
        await user_id(platform, username),
    )


async def test_the_lease_warning_offers_an_extension_until_the_hold_limit_then_expires(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "eu", 3)
    username = platform.new_user("keeper", team="team-eu")
    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    ids = await claim(page, 3)
    lease = page.locator("#lease")
    await expect(lease).not_to_have_class(WARN)

    # Ninety seconds left: the warning, with the extension on offer.
    await set_leases(platform, username, "90 seconds")
    await page.reload()
    await expect(lease).to_have_class(WARN)
    await expect(lease).to_have_text(re.compile(r"^Lease 1:[0-2]\d$"))
    note = page.locator("#lease-note")
    await expect(note).to_contain_text("Less than two minutes left")
    await expect(note.get_by_role("button", name="Extend lease")).to_be_visible()
    await tab.screenshot("lease-warning")

    # x extends: the countdown moves back to a full lease (15 minutes).
    await page.keyboard.press("x")
    await expect(lease).to_have_text(re.compile(r"^Lease 1[45]:\d\d$"))
    await expect(lease).not_to_have_class(WARN)
    await expect(note).to_be_empty()
    await expect(page.locator("#toasts")).to_contain_text("Lease extended")
    for event_id in ids:
        left = await platform.query(
            "SELECT extract(epoch FROM lease_expires_at - now()) AS s FROM events "
            "WHERE event_id = $1",
            uuid.UUID(event_id),
        )
        assert left[0]["s"] > 14 * 60

    # Claimed 58.5 minutes ago: the longest hold (60) is 90 s away, no more time to give.
    await set_leases(
        platform, username, "90 seconds", assigned_at="now() - interval '58.5 minutes'"
    )
    await page.reload()
    await expect(note).to_contain_text("no more extensions")
    await expect(note.get_by_role("button", name="Extend lease")).to_have_count(0)

    # And when it runs out, the form closes and shortcuts do nothing.
    await set_leases(platform, username, "3 seconds")
    await page.reload()
    await expect(lease).to_have_text("Lease expired", timeout=10_000)
    await expect(note).to_contain_text("Your lease expired")
    await expect(page.locator(".queue-item").first).to_be_disabled()
    await expect(page.locator("#submit-review")).to_be_disabled()
    await page.keyboard.press("a")
    await expect(page.locator("#decision-approve")).not_to_be_checked()
    await tab.screenshot("lease-expired")

    assert real_errors(tab) == []


async def test_a_skipped_event_goes_to_other_reviewers_first(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "us", 4)
    skipper = platform.new_user("skipper", team="team-us")
    colleague = platform.new_user("colleague", team="team-us")
    tab = await new_session("skipper")
    page = tab.page
    await tab.login(platform.url, skipper)
    (skipped,) = await claim(page, 1)

    # s asks why; 2 picks "needs an expert", Enter skips.
    await page.keyboard.press("s")
    dialog = page.get_by_role("dialog", name="Skip this event")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("radio")).to_have_count(5)
    await page.keyboard.press("2")
    await expect(dialog.get_by_label("Needs an expert")).to_be_checked()
    await tab.screenshot("skip-reasons")
    await page.keyboard.press("Enter")
    await expect(dialog).to_have_count(0)
    await expect(page.locator("#toasts")).to_contain_text("Skipped")
    assert (await status_of(platform, skipped))["status"] == "pending"
    reasons = await platform.query(
        "SELECT reason FROM event_skips WHERE event_id = $1 AND user_id = $2",
        uuid.UUID(skipped),
        await user_id(platform, skipper),
    )
    assert [r["reason"] for r in reasons] == ["needs_expert"]

    # The next batch (n) does not hand the skipper the same event while others wait...
    await page.keyboard.press("n")
    item = page.locator(".queue-item")
    await expect(item).to_have_count(1)
    assert await item.get_attribute("data-event-id") != skipped

    # ...while a colleague of the same region gets it (it was the queue's head).
    batch = platform.api(
        "POST", "/api/v1/assignments/next-batch", colleague, json={"size": 10}
    ).json()
    assert skipped in [e["event_id"] for e in batch["events"]]

    assert real_errors(tab) == []


async def test_a_link_opens_one_event_for_review_or_read_only(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "eu", 2)
    username = platform.new_user("linked", team="team-eu")
    batch = platform.api(
        "POST", "/api/v1/assignments/next-batch", username, json={"size": 2}
    ).json()
    reviewed, held = (e["event_id"] for e in batch["events"])
    done = platform.api(
        "POST",
        f"/api/v1/events/{reviewed}/review",
        username,
        json={"decision": "approve", "rating": 5, "comment": "clear-cut"},
    )
    assert done.status_code == 200, done.text
    elsewhere = (
        await platform.query("SELECT event_id FROM events WHERE region_code = 'us' LIMIT 1")
    )[0]["event_id"]

    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)

    # A held event opens on the review screen, ready to review.
    await page.goto(f"{platform.url}/#/events/{held}")
    await expect(page.locator(f'.queue-item[data-event-id="{held}"]')).to_have_attribute(
        "aria-current", "true"
    )
    await expect(page.locator("#submit-review")).to_be_enabled()

    # A reviewed one is shown read-only, with its status and review.
    await page.goto(f"{platform.url}/#/events/{reviewed}")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await expect(page.locator("#event-status")).to_contain_text("Reviewed")
    await expect(page.locator("#event-review")).to_contain_text("clear-cut")
    await expect(page.locator("#event-review")).to_contain_text("5 of 5")
    await expect(page.locator("#submit-review")).to_have_count(0)
    await tab.screenshot("event-link-read-only")

    # An event of a region the team does not review: one clear answer.
    await page.goto(f"{platform.url}/#/events/{elsewhere}")
    await expect(page.locator("main")).to_contain_text("You cannot open this event")
    await page.goto(f"{platform.url}/#/events/not-an-id")
    await expect(page.locator("main")).to_contain_text("This is not a link to an event")

    assert real_errors(tab, "status of 404") == []
