"""Corrections: a reviewed event's page shows the review's history, revision by
revision, and lets its reviewer (within the correction window) or a lead of
its region correct it with the same form. A correction that finds the review
moved on meets a 409, says so and reloads; a lead must say why."""

from __future__ import annotations

import uuid

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    accessibility_problems,
    hand_over,
    real_errors,
)
from tests.web.test_forms import answer_row  # noqa: E402


async def test_a_review_is_corrected_by_its_reviewer_then_by_a_lead_with_its_history(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    username = platform.new_user("fixer", team="team-eu")
    lead = platform.new_user("lead", team="team-eu", role="lead")
    event_id = await hand_over(platform, username, event_type="collision", region="eu")
    reviewed = platform.api(
        "POST",
        f"/api/v1/events/{event_id}/review",
        username,
        json={
            "decision": "false_trigger",
            "rating": 2,
            "reasons": {"cause": ["pothole"]},
            "form": {"key": "collision", "version": 1},
        },
    )
    assert reviewed.status_code == 200, reviewed.text

    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    await page.goto(f"{platform.url}/#/events/{event_id}")
    history = page.locator("#event-history")
    await expect(history.locator("tbody tr")).to_have_count(1)
    await expect(history.locator('tr[data-revision="1"]')).to_contain_text("1 (current)")
    await expect(history.locator('tr[data-revision="1"]')).to_contain_text("Pothole or speed bump")

    # The reviewer corrects their own review, in the same form, from the keyboard.
    await page.get_by_role("button", name="Correct your review").click()
    correction = page.locator("#correction")
    await expect(correction.get_by_role("radio", name="False trigger")).to_be_checked()
    await expect(correction.get_by_role("checkbox", name="Pothole or speed bump")).to_be_checked()
    await expect(correction.get_by_role("radio", name="2", exact=True)).to_be_checked()
    await page.keyboard.press("a")
    await expect(correction.get_by_role("radio", name="Confirmed collision")).to_be_checked()
    await page.keyboard.press("4")
    assert await accessibility_problems(page) == []
    await page.keyboard.press("Enter")
    await expect(page.locator("#toasts")).to_contain_text("Corrected: the review is at revision 2")
    await expect(history.locator("tbody tr")).to_have_count(2)
    second = history.locator('tr[data-revision="2"]')
    await expect(second).to_contain_text("2 (current)")
    await expect(second).to_contain_text("Correction")
    await expect(second).to_contain_text(username)
    await expect(answer_row(page.locator("#event-review"), "Decision")).to_contain_text(
        "Confirmed collision"
    )
    rows = await platform.query(
        "SELECT review_revision, review_decision, review_rating, review_answers "
        "FROM events WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    assert (rows[0]["review_revision"], rows[0]["review_decision"], rows[0]["review_rating"]) == (
        2,
        "confirmed",
        4,
    )

    # Past the correction window the server refuses, and the page says why.
    await platform.query(
        "UPDATE events SET reviewed_at = now() - interval '2 hours' WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    await page.reload()
    await page.get_by_role("button", name="Correct your review").click()
    await page.keyboard.press("u")
    await page.keyboard.press("c")
    await page.keyboard.type("On second thought, the lens was dirty.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#correction-status")).to_contain_text(
        "You may not correct this review"
    )
    await expect(page.locator("#correction-status")).to_contain_text("30 min")

    # A lead may correct it any time, but must say why: the note is refused in place.
    boss = await new_session("lead")
    await boss.login(platform.url, lead)
    await boss.page.goto(f"{platform.url}/#/events/{event_id}")
    await boss.page.get_by_role("button", name="Correct this review").click()
    await boss.page.keyboard.press("r")
    await boss.page.keyboard.press("g")
    await boss.page.keyboard.press("Enter")
    note_error = boss.page.locator("#correction-note-error")
    await expect(note_error).to_have_text("A reason is required.")
    await expect(boss.page.get_by_label("Why you correct it")).to_be_focused()
    await boss.page.keyboard.type("Sensor glitch, see the raw series.")
    await boss.page.keyboard.press("Control+Enter")
    await expect(boss.page.locator("#toasts")).to_contain_text("revision 3")
    third = boss.page.locator('#event-history tr[data-revision="3"]')
    await expect(third).to_contain_text(lead)
    await expect(third).to_contain_text("Sensor glitch, see the raw series.")

    # The lead opened a correction of revision 3; meanwhile another one lands.
    await boss.page.get_by_role("button", name="Correct this review").click()
    await boss.page.keyboard.press("a")
    moved = platform.api(
        "POST",
        f"/api/v1/events/{event_id}/corrections",
        "admin",
        json={"revision": 3, "decision": "unclear", "comment": "Camera covered.", "note": "QA"},
    )
    assert moved.status_code == 200, moved.text
    await boss.page.get_by_label("Why you correct it").fill("Visible contact at 0:02.")
    await boss.page.keyboard.press("Control+Enter")
    await expect(boss.page.locator("#event-page-status")).to_contain_text(
        "The review changed while you had it open."
    )
    # ...and the page now shows revision 4, the one to correct if still needed.
    await expect(boss.page.locator("#event-history tbody tr")).to_have_count(4)
    await expect(answer_row(boss.page.locator("#event-review"), "Decision")).to_contain_text(
        "Cannot tell"
    )
    await expect(boss.page.locator("#correction")).to_be_hidden()
    assert await accessibility_problems(boss.page) == []

    # The reviewer's review is someone else's now: nothing to correct for them.
    await page.reload()
    await expect(page.locator("#event-history tbody tr")).to_have_count(4)
    await expect(page.locator("#correct-review")).to_have_count(0)
    assert real_errors(tab, "status of 403") == []
    assert real_errors(boss, "status of 422", "status of 409") == []
