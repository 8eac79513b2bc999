"""Typed text a region keeps: under region EU's `regional` review-text policy the
centre clears a revision's comment, note and text answers once the region holds
them. The event page, its correction form and the QA screen read them back from
the region (`/review-text`), say so, and keep them nowhere: not in the central
database, not in the browser's storage. A region that cannot be reached is said
in place, with a way to try again.

EU's policy goes back to `central` at the end: the other tests share the platform.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.web.conftest import VIEWPORT, OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.fixtures.processes import wait_until_async  # noqa: E402
from tests.web.browsing import (  # noqa: E402
    PHONE,
    accessibility_problems,
    hand_over,
    horizontal_overflow,
    real_errors,
)
from tests.web.test_browser import UNREACHABLE  # noqa: E402
from tests.web.test_forms import answer_row  # noqa: E402

HELD = "Kept in region EU, shown from there"


def canary(name: str) -> str:
    return f"CANARY-{name}-{uuid.uuid4().hex[:10]}"


def update_eu(platform: Platform, **changes: str) -> dict[str, Any]:
    response = platform.api("PATCH", "/api/v1/admin/regions/eu", "admin", json=changes)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@contextmanager
def eu_keeps_typed_text(platform: Platform) -> Iterator[str]:
    """EU under the `regional` policy until the block ends; yields its API URL."""
    region = update_eu(platform, review_text="regional")
    try:
        yield str(region["api_url"])
    finally:
        update_eu(platform, review_text="central", api_url=region["api_url"])


def review(platform: Platform, username: str, event_id: str, body: dict[str, Any]) -> None:
    reviewed = platform.api("POST", f"/api/v1/events/{event_id}/review", username, json=body)
    assert reviewed.status_code == 200, reviewed.text


async def wait_until_cleared(
    platform: Platform, username: str, event_id: str, revisions: int
) -> None:
    """Every revision delivered to the region, and its typed text cleared here."""
    seen: list[Any] = []

    def cleared() -> bool:
        response = platform.api("GET", f"/api/v1/events/{event_id}/revisions", username)
        assert response.status_code == 200, response.text
        seen[:] = response.json()
        return len(seen) == revisions and all(r["text_cleared_at"] for r in seen)

    await wait_until_async(
        cleared, message=lambda: f"typed text of {event_id} not cleared: {seen}\n{platform.log()}"
    )


async def central_dump(platform: Platform) -> str:
    """Every row of every central table, as text."""
    tables = await platform.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    parts = []
    for table in tables:
        rows = await platform.query(
            "SELECT coalesce(string_agg(to_jsonb(t)::text, ' '), '') AS dump "
            f'FROM "{table["tablename"]}" AS t'
        )
        parts.append(str(rows[0]["dump"]))
    return " ".join(parts)


async def browser_storage(page: Page) -> str:
    stored: str = await page.evaluate(
        "JSON.stringify([{...localStorage}, {...sessionStorage}, location.href])"
    )
    return stored


async def test_typed_text_a_region_keeps_is_shown_from_there_and_stored_nowhere_here(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    reviewer = platform.new_user("typist", team="team-eu")
    checker = platform.new_user("judge", team="team-eu", role="qa")
    comment, firmware, note, judged = (canary(n) for n in ("comment", "firmware", "note", "judged"))
    with eu_keeps_typed_text(platform) as eu_url:
        # An EU lane departure (the sensor-fault form: a text field) reviewed with a
        # comment, and an EU collision reviewed as a false trigger, which goes to QA.
        lane = await hand_over(platform, reviewer, event_type="lane_departure", region="eu")
        review(platform, reviewer, lane, {
            "decision": "fault", "reasons": {"fault": ["firmware"]},
            "fields": {"firmware_version": firmware}, "comment": f"plate {comment}",
        })  # fmt: skip
        collision = await hand_over(platform, reviewer, event_type="collision", region="eu")
        review(platform, reviewer, collision, {
            "decision": "false_trigger", "reasons": {"cause": ["pothole"]},
            "comment": f"bump {judged}",
        })  # fmt: skip
        await wait_until_cleared(platform, reviewer, lane, 1)
        await wait_until_cleared(platform, reviewer, collision, 1)

        # The event page reads the typed text from the region and says so.
        tab = await new_session("reviewer")
        page = tab.page
        await tab.login(platform.url, reviewer)
        await page.goto(f"{platform.url}/#/events/{lane}")
        current = page.locator("#event-review")
        await expect(answer_row(current, "Comment")).to_contain_text(f"plate {comment}")
        await expect(answer_row(current, "Comment")).to_contain_text(HELD)
        await expect(answer_row(current, "Firmware version")).to_contain_text(firmware)
        await expect(answer_row(current, "Firmware version")).to_contain_text(HELD)
        await expect(page.locator("#review-text-status")).to_contain_text(
            "Typed text from region EU."
        )
        first = page.locator('#event-history tr[data-revision="1"]')
        await expect(first).to_contain_text(f"plate {comment}")
        await expect(first).to_contain_text(HELD)

        # Its correction starts from that text: correcting the decision keeps the comment.
        await page.get_by_role("button", name="Correct your review").click()
        correction = page.locator("#correction")
        await expect(correction.locator("#correct-comment")).to_have_value(f"plate {comment}")
        await expect(correction.get_by_label("Firmware version")).to_have_value(firmware)
        await expect(page.locator("#correction-text")).to_contain_text("filled in from region EU")
        # Its labels may be another version's (other tests apply one): found by state.
        await expect(correction.locator('input[name="decision"]:checked')).to_be_focused()
        await page.keyboard.press("a")
        await correction.get_by_label("Why you correct it").fill(f"saw {note}")
        assert await accessibility_problems(page) == []
        await page.keyboard.press("Control+Enter")
        await expect(page.locator("#toasts")).to_contain_text("revision 2")
        await wait_until_cleared(platform, reviewer, lane, 2)
        text = platform.api("GET", f"/api/v1/events/{lane}/review-text", reviewer).json()
        assert text["revisions"][1] == {
            "revision": 2, "source": "region", "comment": f"plate {comment}",
            "note": f"saw {note}", "fields": {"firmware_version": firmware},
        }  # fmt: skip

        await page.reload()
        second = page.locator('#event-history tr[data-revision="2"]')
        await expect(second.locator("td.note")).to_contain_text(f"saw {note}")
        await expect(second.locator("td.note")).to_contain_text(HELD)
        await expect(second).to_contain_text(f"plate {comment}")
        assert await accessibility_problems(page) == []
        await page.set_viewport_size(PHONE)
        assert await horizontal_overflow(page) == 0
        await page.set_viewport_size(VIEWPORT)

        # The QA reviewer judges the collision's review with its comment, from the region.
        claimed = platform.api("POST", "/api/v1/qa/next-batch", checker, json={"size": 50})
        assert claimed.status_code == 200, claimed.text
        assert collision in [t["event"]["event_id"] for t in claimed.json()["tasks"]]
        qa = await new_session("qa")
        await qa.login(platform.url, checker)
        await qa.page.goto(f"{platform.url}/#/qa")
        await qa.page.locator(f'.queue-item[data-event-id="{collision}"]').click()
        under_qa = qa.page.locator("#qa-review")
        await expect(answer_row(under_qa, "Comment")).to_contain_text(f"bump {judged}")
        await expect(answer_row(under_qa, "Comment")).to_contain_text(HELD)
        await expect(qa.page.locator("#qa-comment")).to_have_value(f"bump {judged}")
        # The form holds the review's own answers, so Enter still agrees.
        await expect(qa.page.locator("#qa-verdict")).to_contain_text("Agree")
        assert await accessibility_problems(qa.page) == []

        # What was read from the region is kept nowhere here.
        canaries = (comment, firmware, note, judged)
        dump = await central_dump(platform)
        assert [c for c in canaries if c in dump] == []
        for shown in (page, qa.page):
            stored = await browser_storage(shown)
            assert [c for c in canaries if c in stored] == []

        # The region goes away: the page says so in place and tries again on request.
        update_eu(platform, api_url=UNREACHABLE)
        await page.reload()
        problem = page.locator("#review-text-status")
        await expect(problem).to_contain_text("The typed text could not be read from region EU.")
        await expect(problem).to_contain_text("Region eu is unreachable")
        await expect(answer_row(current, "Comment")).to_contain_text("could not be read just now")
        await expect(answer_row(current, "Decision")).to_contain_text("Real lane departure")
        await page.get_by_role("button", name="Correct your review").click()
        await expect(page.locator("#correction-text")).to_contain_text(
            "The typed text could not be loaded from region EU."
        )
        await expect(correction.locator("#correct-comment")).to_have_value("")
        await tab.screenshot("reviewer-review-text-unreachable")
        assert await accessibility_problems(page) == []
        await qa.page.reload()
        await qa.page.locator(f'.queue-item[data-event-id="{collision}"]').click()
        await expect(qa.page.locator("#qa-review-text-status")).to_contain_text(
            "Region eu is unreachable"
        )
        await expect(qa.page.locator("#qa-status")).to_contain_text("Agreeing is safe")
        await expect(qa.page.locator("#qa-comment")).to_have_value("")

        update_eu(platform, api_url=eu_url)
        await problem.get_by_role("button", name="Try again").click()
        await expect(answer_row(current, "Comment")).to_contain_text(f"plate {comment}")
        await expect(correction.locator("#correct-comment")).to_have_value(f"plate {comment}")
        await expect(page.locator("#review-text-status")).to_be_focused()
        await qa.page.locator("#qa-review-text-status").get_by_role("button").click()
        await expect(qa.page.locator("#qa-comment")).to_have_value(f"bump {judged}")
        await expect(qa.page.locator("#qa-verdict")).to_contain_text("Agree")

    assert real_errors(tab, "status of 502") == []
    assert real_errors(qa, "status of 502") == []
