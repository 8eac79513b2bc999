"""QA: a QA reviewer claims sampled reviews of their regions (never their own),
reads the event and its payload with the review under QA beside the form it was
made with, and agrees with one key (Enter), corrects it by changing answers,
or gives the task back. Leads see the agreement figures on the dashboard.

The reviews here are of the US region: the other tests on `forms_platform`
review EU events, whose false triggers go to QA too."""

from __future__ import annotations

import uuid
from typing import Any

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    PHONE,
    ZOOMED_LAPTOP,
    accessibility_problems,
    fully_visible,
    hand_over,
    horizontal_overflow,
    real_errors,
)
from tests.web.test_forms import answer_row  # noqa: E402


async def false_trigger(platform: Platform, username: str, cause: str, rating: int) -> str:
    """A collision of the US region reviewed as a false trigger: the collision form
    sends every one of those to QA."""
    event_id = await hand_over(platform, username, event_type="collision", region="us")
    reviewed = platform.api(
        "POST",
        f"/api/v1/events/{event_id}/review",
        username,
        json={"decision": "false_trigger", "rating": rating, "reasons": {"cause": [cause]}},
    )
    assert reviewed.status_code == 200, reviewed.text
    return event_id


async def task_of(platform: Platform, event_id: str) -> dict[str, Any]:
    rows = await platform.query(
        "SELECT status, verdict, assigned_user_id FROM qa_tasks WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    assert len(rows) == 1
    return dict(rows[0])


async def test_qa_agrees_corrects_and_gives_back_and_the_dashboard_shows_agreement(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    reviewer = platform.new_user("judged", team="team-us")
    checker = platform.new_user("checker", team="team-us", role="qa")
    lead = platform.new_user("overseer", team="team-us", role="lead")
    agreed = await false_trigger(platform, reviewer, "pothole", 3)
    corrected = await false_trigger(platform, reviewer, "sensor_glitch", 2)
    returned = await false_trigger(platform, reviewer, "duplicate", 4)

    tab = await new_session("qa")
    page = tab.page
    await tab.login(platform.url, checker)
    await page.get_by_role("link", name="QA").click()
    await expect(page.locator("#qa-message")).to_contain_text("Nothing held")
    await page.keyboard.press("n")
    for event_id in (agreed, corrected, returned):
        await expect(page.locator(f'.queue-item[data-event-id="{event_id}"]')).to_be_visible()

    # The QA reviewer reads the event, its payload and the review under QA,
    # beside the same form filled with the review's answers.
    await page.locator(f'.queue-item[data-event-id="{agreed}"]').click()
    review = page.locator("#qa-review")
    await expect(answer_row(review, "Reviewer")).to_contain_text(reviewer)
    await expect(answer_row(review, "Cause of the false trigger")).to_contain_text(
        "Pothole or speed bump"
    )
    await expect(page.locator("#payload-image")).to_be_visible()
    verdict = page.locator("#qa-form")
    await expect(verdict.get_by_role("radio", name="False trigger")).to_be_checked()
    await expect(verdict.get_by_role("checkbox", name="Pothole or speed bump")).to_be_checked()
    await expect(page.locator("#qa-verdict")).to_contain_text("Agree")
    assert await accessibility_problems(page) == []
    # Agreeing is one key.
    await page.keyboard.press("Enter")
    await expect(page.locator("#toasts")).to_contain_text(f"Agreed with {reviewer}'s review.")
    await expect(page.locator(f'.queue-item[data-event-id="{agreed}"]')).to_have_count(0)
    assert (await task_of(platform, agreed))["verdict"] == "agree"

    # Changing an answer turns Enter into a correction, with a note.
    await page.locator(f'.queue-item[data-event-id="{corrected}"]').click()
    await expect(verdict.get_by_role("checkbox", name="Sensor glitch")).to_be_checked()
    await page.keyboard.press("a")
    await expect(page.locator("#qa-verdict")).to_contain_text("Submit correction")
    await expect(page.get_by_role("button", name="Undo my changes")).to_be_visible()
    # Undone, it is agreement again; done again, a correction.
    await page.get_by_role("button", name="Undo my changes").click()
    await expect(verdict.get_by_role("radio", name="False trigger")).to_be_checked()
    await expect(page.locator("#qa-verdict")).to_contain_text("Agree")
    await page.keyboard.press("a")
    await page.keyboard.press("5")
    await page.get_by_label("Why you correct it").fill("Contact with the bollard at 0:03.")
    assert await accessibility_problems(page) == []
    await page.keyboard.press("Escape")
    await page.keyboard.press("Enter")
    await expect(page.locator("#toasts")).to_contain_text(
        f"Corrected {reviewer}'s review: it is at revision 2 now."
    )
    assert (await task_of(platform, corrected))["verdict"] == "correct"
    rows = await platform.query(
        "SELECT e.review_decision, e.review_rating, r.kind, r.reviewer, r.note "
        "FROM events e JOIN review_revisions r ON r.event_id = e.event_id "
        "AND r.revision = e.review_revision WHERE e.event_id = $1",
        uuid.UUID(corrected),
    )
    assert dict(rows[0]) == {
        "review_decision": "confirmed",
        "review_rating": 5,
        "kind": "qa",
        "reviewer": checker,
        "note": "Contact with the bollard at 0:03.",
    }

    # s gives a task back for someone else.
    await page.locator(f'.queue-item[data-event-id="{returned}"]').click()
    await expect(answer_row(review, "Cause of the false trigger")).to_contain_text("Duplicate")
    await page.keyboard.press("s")
    await expect(page.locator("#toasts")).to_contain_text("Given back")
    assert await task_of(platform, returned) == {
        "status": "pending",
        "verdict": None,
        "assigned_user_id": None,
    }

    # The lead's dashboard: agreement on the collision form, per reviewer and per answer.
    boss = await new_session("lead")
    await boss.login(platform.url, lead)
    await boss.page.goto(f"{platform.url}/#/dashboard")
    card = boss.page.locator("#agreement")
    await card.get_by_label("Form").select_option("collision")
    row = card.locator(f'#agreement-reviewers tr[data-reviewer="{reviewer}"]')
    await expect(row).to_have_text(f"{reviewer}2150 %")
    figures = platform.api("GET", "/api/v1/qa/agreement?form=collision", lead).json()
    decision = next(f for f in figures["fields"] if f["field"] == "decision")
    kappa = "—" if decision["kappa"] is None else f"{decision['kappa']:.2f}"
    await expect(card.locator('#agreement-answers tr[data-answer="decision"]')).to_have_text(
        f"Decision{decision['compared']}{round(decision['share'] * 100)} %{kappa}"
    )
    await expect(
        card.locator('#agreement-answers tr[data-answer="reasons.cause"]')
    ).to_contain_text("Cause of the false trigger")
    assert await accessibility_problems(boss.page) == []
    assert real_errors(tab) == []
    assert real_errors(boss) == []


async def test_the_qa_screen_and_a_review_history_fit_small_windows(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    reviewer = platform.new_user("small", team="team-us")
    checker = platform.new_user("narrow", team="team-us", role="qa")
    event_id = await false_trigger(platform, reviewer, "calibration", 1)
    corrected = platform.api(
        "POST",
        f"/api/v1/events/{event_id}/corrections",
        reviewer,
        json={"revision": 1, "decision": "unclear", "comment": "Lens fogged up."},
    )
    assert corrected.status_code == 200, corrected.text
    for viewport, scale in ((PHONE, 1), (ZOOMED_LAPTOP, 2)):
        name = f"{viewport['width']}x{viewport['height']}@{scale}"
        qa = await new_session(f"qa-{name}", viewport, scale)
        await qa.login(platform.url, checker)
        await qa.page.goto(f"{platform.url}/#/qa")
        await qa.page.keyboard.press("n")
        await qa.page.locator(f'.queue-item[data-event-id="{event_id}"]').click()
        await expect(qa.page.locator("#payload-image")).to_be_visible()
        assert await horizontal_overflow(qa.page) == 0, name
        for control in (
            "#qa-review",
            'label[for="qa-decision-confirmed"]',
            "#qa-verdict",
            "#qa-release",
        ):
            assert await fully_visible(qa.page.locator(control)) is None, (name, control)
        assert await horizontal_overflow(qa.page) == 0, name

        own = await new_session(f"reviewer-{name}", viewport, scale)
        await own.login(platform.url, reviewer)
        await own.page.goto(f"{platform.url}/#/events/{event_id}")
        await expect(own.page.locator("#event-history tbody tr")).to_have_count(2)
        await own.page.get_by_role("button", name="Correct your review").click()
        assert await fully_visible(own.page.locator("#submit-correction")) is None, name
        assert await horizontal_overflow(own.page) == 0, name
        assert real_errors(qa) == []
        assert real_errors(own) == []
