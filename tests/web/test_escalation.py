"""Escalation: a reviewer who cannot decide hands the event they hold to the
region's leads with a note (key e); a lead claims it from the escalated queue,
reads the note beside the event and decides it like any review."""

from __future__ import annotations

import uuid

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    accessibility_problems,
    hand_over,
    real_errors,
    user_id,
    wait_for_status,
)

NOTE = "Is that a cyclist behind the van at 0:02? I cannot tell contact from the angle."


async def test_a_reviewer_escalates_and_a_lead_decides_it_from_the_escalated_queue(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    reviewer = platform.new_user("asker", team="team-eu")
    lead = platform.new_user("decider", team="team-eu", role="lead")
    event_id = await hand_over(platform, reviewer, event_type="collision", region="eu")

    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, reviewer)
    item = page.locator(f'.queue-item[data-event-id="{event_id}"]')
    await expect(item).to_have_attribute("aria-current", "true")
    # Reviewers have one queue: no choice to make.
    await expect(page.locator("#claim-queue")).to_have_count(0)

    await page.keyboard.press("e")
    dialog = page.get_by_role("dialog", name="Escalate to a lead")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("What should a lead look at?")).to_be_focused()
    # The leads need to know what to look at: an empty note goes nowhere.
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#escalate-error")).to_have_text("Say what a lead should look at.")
    assert await accessibility_problems(page) == []
    await page.keyboard.type(NOTE)
    await page.keyboard.press("Control+Enter")
    await expect(dialog).to_have_count(0)
    await expect(page.locator("#toasts")).to_contain_text("Escalated: a lead of EU decides it now.")
    await expect(item).to_have_count(0)
    rows = await platform.query(
        "SELECT status, queue, escalated_by, escalation_note FROM events WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    assert dict(rows[0]) == {
        "status": "pending",
        "queue": "escalated",
        "escalated_by": reviewer,
        "escalation_note": NOTE,
    }

    boss = await new_session("lead")
    lead_page = boss.page
    await boss.login(platform.url, lead)
    await lead_page.get_by_label("Claim from").select_option("escalated")
    await lead_page.get_by_role("button", name="Get next batch").click()
    escalated = lead_page.locator(f'.queue-item[data-event-id="{event_id}"]')
    await expect(escalated).to_contain_text("Escalated")
    await escalated.click()
    note = lead_page.locator("#escalation-note")
    await expect(note).to_contain_text(f"Escalated by {reviewer}")
    await expect(note).to_contain_text(NOTE)
    # It goes up no further: the lead decides.
    await expect(lead_page.locator("#escalate")).to_be_hidden()
    await lead_page.keyboard.press("e")
    await expect(lead_page.get_by_role("dialog", name="Escalate to a lead")).to_have_count(0)
    await expect(lead_page.locator("#payload-image")).to_be_visible()
    assert await accessibility_problems(lead_page) == []
    await lead_page.keyboard.press("a")
    await lead_page.keyboard.press("5")
    await lead_page.keyboard.press("Enter")
    await expect(lead_page.locator("#toasts")).to_contain_text(
        "Reviewed: Confirmed collision with rating 5"
    )
    decided = await wait_for_status(platform, event_id, "completed")
    assert decided["review_decision"] == "confirmed"
    rows = await platform.query(
        "SELECT review_user_id FROM events WHERE event_id = $1", uuid.UUID(event_id)
    )
    assert rows[0]["review_user_id"] == await user_id(platform, lead)

    # The lead's choice of queue is kept; nothing more is escalated now.
    await lead_page.reload()
    await expect(lead_page.get_by_label("Claim from")).to_have_value("escalated")
    await lead_page.get_by_role("button", name="Get next batch").click()
    await expect(lead_page.locator("#queue-message")).to_contain_text("Nothing escalated")
    assert real_errors(tab) == []
    assert real_errors(boss) == []
