"""Nothing typed is lost: a review's draft (decision, rating, comment) is kept
in the reviewer's browser, per user and event, through a reload, a new login,
a conflict and a lease that ran out, until the server accepts the review."""

from __future__ import annotations

import json
import uuid

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    claim,
    real_errors,
    user_id,
    wait_for_pending,
    wait_for_status,
)

COMMENT = "Lane change at 0:03 looks deliberate; sensor spike is the pothole."


async def drafts_in_storage(page: Page) -> dict[str, dict[str, object]]:
    saved: dict[str, str] = await page.evaluate(
        "Object.fromEntries(Object.entries(localStorage)"
        ".filter(([k]) => k.startsWith('event-review.draft.')))"
    )
    return {key: json.loads(value) for key, value in saved.items()}


async def expect_draft_shown(page: Page) -> None:
    await expect(page.locator("#decision-reject")).to_be_checked()
    await expect(page.locator("#rating-2")).to_be_checked()
    await expect(page.locator("#comment")).to_have_value(COMMENT)


async def test_a_draft_survives_reload_relogin_a_conflict_and_a_lost_lease(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "us", 3)
    username = platform.new_user("drafter", team="team-us")
    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    first, *_ = await claim(page, 3)

    await page.keyboard.press("r")
    await page.keyboard.press("2")
    await page.keyboard.press("c")
    await page.keyboard.type(COMMENT)
    await page.keyboard.press("Escape")
    me = await user_id(platform, username)
    assert list(await drafts_in_storage(page)) == [f"event-review.draft.{me}.{first}"]

    # Another event gets a blank form; coming back shows the draft.
    await page.keyboard.press("j")
    await expect(page.locator("#comment")).to_have_value("")
    await page.keyboard.press("k")
    await expect_draft_shown(page)

    await page.reload()
    await expect(page.locator(f'.queue-item[data-event-id="{first}"]')).to_have_attribute(
        "aria-current", "true"
    )
    await expect_draft_shown(page)

    await page.get_by_role("button", name="Log out").click()
    await tab.login(platform.url, username)
    await expect_draft_shown(page)

    # The lease runs out behind the reviewer's back: the submit meets a 409.
    await platform.query(
        "UPDATE events SET lease_expires_at = now() - interval '1 second' WHERE event_id = $1",
        uuid.UUID(first),
    )
    await page.get_by_role("button", name="Submit review").click()
    toasts = page.locator("#toasts")
    await expect(toasts).to_contain_text("Your time on this event ran out")
    # The advice names what is still held, not "get a new batch".
    await expect(toasts).to_contain_text("2 events are still yours")
    await expect(page.locator(f'.queue-item[data-event-id="{first}"]')).to_have_count(0)
    await tab.screenshot("draft-after-conflict")
    saved = await drafts_in_storage(page)
    assert saved[f"event-review.draft.{me}.{first}"]["comment"] == COMMENT

    # When the event is theirs again, the draft is back in the form...
    await platform.query(
        "UPDATE events SET status = 'assigned', assigned_user_id = $2, assigned_at = now(), "
        "lease_expires_at = now() + interval '10 minutes' WHERE event_id = $1",
        uuid.UUID(first),
        me,
    )
    await page.reload()
    await page.locator(f'.queue-item[data-event-id="{first}"]').click()
    await expect_draft_shown(page)
    # ...until the server has the review: then it is gone from the browser.
    await page.get_by_role("button", name="Submit review").click()
    await expect(toasts).to_contain_text("Rejected with rating 2")
    reviewed = await wait_for_status(platform, first, "completed")
    assert reviewed["review_decision"] == "reject"
    assert await drafts_in_storage(page) == {}
    stored = await platform.query(
        "SELECT review_comment FROM events WHERE event_id = $1", uuid.UUID(first)
    )
    assert stored[0]["review_comment"] == COMMENT

    assert real_errors(tab, "status of 409") == []
