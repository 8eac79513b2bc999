"""Event search (#/search) and My history (#/history) in the browser: a lead's
search is a link that runs again when reloaded, steps back and forth with the
browser, pages by cursor, shows what is wrong beside the field at fault, and
exports as CSV (in the background); a reviewer has no search but sees their own history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.web.conftest import VIEWPORT, OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Locator, Page, expect  # noqa: E402

from tests.fixtures.processes import wait_until_async  # noqa: E402
from tests.web.browsing import (  # noqa: E402
    PHONE,
    accessibility_problems,
    fully_visible,
    hand_over,
    horizontal_overflow,
    real_errors,
)

COLLISION_FORM = {"key": "collision", "version": 1}
POTHOLE = "Cause of the false trigger: Pothole or speed bump"


def review(platform: Platform, username: str, event_id: str, body: dict[str, object]) -> None:
    reviewed = platform.api("POST", f"/api/v1/events/{event_id}/review", username, json=body)
    assert reviewed.status_code == 200, reviewed.text


def search_of(page: Page) -> dict[str, list[str]]:
    """The filters of the page's #/search?… address."""
    fragment = urlsplit(page.url).fragment
    assert fragment.startswith("/search"), page.url
    return parse_qs(fragment.partition("?")[2])


async def test_a_lead_searches_by_status_and_reason_and_the_link_runs_it_again(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    reviewer = platform.new_user("searched", team="team-eu")
    lead = platform.new_user("searcher", team="team-eu", role="lead")
    pothole = await hand_over(platform, reviewer, event_type="collision", region="eu")
    glitch = await hand_over(platform, reviewer, event_type="collision", region="eu")
    for event_id, cause in ((pothole, "pothole"), (glitch, "sensor_glitch")):
        review(platform, reviewer, event_id, {
            "decision": "false_trigger", "rating": 2, "reasons": {"cause": [cause]},
            "form": COLLISION_FORM,
        })  # fmt: skip

    tab = await new_session("lead")
    page = tab.page
    await tab.login(platform.url, lead)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Search events")
    # The reason list comes from the forms: every list and option by its label.
    await expect(page.get_by_label("Reason").locator("option", has_text=POTHOLE)).to_have_count(1)

    form = page.locator("#search-form")
    await form.get_by_role("checkbox", name="Submitted").check()
    await form.get_by_role("checkbox", name="Completed").check()
    await page.get_by_label("Reason").select_option(label=POTHOLE)
    await page.get_by_label("Reviewer").fill(reviewer)
    await page.get_by_role("button", name="Search", exact=True).click()

    rows = page.locator("#search-table tbody tr[data-event-id]")  # not the "Searching…" row
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-event-id", pothole)
    await expect(rows.first).to_contain_text("False trigger")
    await expect(rows.first).to_contain_text("Pothole or speed bump")
    await expect(rows.first).to_contain_text("EU")
    assert search_of(page) == {
        "status": ["submitted", "completed"],
        "reason": ["cause:pothole"],
        "reviewer": [reviewer],
    }
    assert await accessibility_problems(page) == []

    # The address is the search: reloading it runs it again, with the form filled in.
    searched = page.url
    await page.reload()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-event-id", pothole)
    await expect(form.get_by_role("checkbox", name="Submitted")).to_be_checked()
    await expect(form.get_by_role("checkbox", name="Pending")).not_to_be_checked()
    await expect(page.get_by_label("Reason")).to_have_value("cause:pothole")
    await expect(page.get_by_label("Reviewer")).to_have_value(reviewer)

    # Another search is another address; Back and Forward step between them.
    await page.get_by_label("Reason").select_option("")
    await page.get_by_label("Decision").select_option(label="False trigger")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(rows).to_have_count(2)
    assert {await r.get_attribute("data-event-id") for r in await rows.all()} == {pothole, glitch}
    assert search_of(page)["decision"] == ["false_trigger"]
    await page.go_back()
    await expect(page).to_have_url(searched)
    await expect(rows).to_have_count(1)
    await expect(page.get_by_label("Reason")).to_have_value("cause:pothole")
    await page.go_forward()
    await expect(rows).to_have_count(2)
    await expect(page.get_by_label("Decision")).to_have_value("false_trigger")

    # The whole result as a file, with a header row: exported in the background, then offered.
    await page.get_by_role("button", name="Export CSV").click()
    link = page.get_by_role("link", name="Download events-")
    await expect(link).to_be_visible(timeout=30_000)
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")
    lines = Path(await download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("event_id,external_event_id,region_code")
    assert len(lines) == 3
    assert {line.split(",")[0] for line in lines[1:]} == {pothole, glitch}

    # Each row opens its event.
    await page.locator(f'tr[data-event-id="{glitch}"] a').click()
    await expect(page).to_have_url(f"{platform.url}/#/events/{glitch}")
    assert real_errors(tab) == []


async def test_search_pages_by_cursor_and_shows_errors_beside_their_fields(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    team, _ = platform.new_team("search", ["eu", "us"])
    lead = platform.new_user("pager", team=team, role="lead")

    async def two_pages() -> bool:
        rows = await platform.query("SELECT count(*) AS n FROM events")
        return bool(rows[0]["n"] > 50)

    await wait_until_async(two_pages, message="fewer than 51 events", timeout=120)
    tab = await new_session("lead")
    page = tab.page
    await tab.login(platform.url, lead)
    # Up to now: events arriving while the pages are turned would rightly come first
    # on page 1 again.
    until = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    await page.goto(f"{platform.url}/#/search?ingested_until={until}")
    rows = page.locator("#search-table tbody tr")
    pager = page.locator(".pager")
    await expect(pager).to_contain_text("Showing 1\u201350")
    first_page = await rows.first.get_attribute("data-event-id")
    await pager.get_by_role("button", name="Next").click()
    await expect(pager).to_contain_text("Showing 51\u2013")
    assert await rows.first.get_attribute("data-event-id") != first_page
    await pager.get_by_role("button", name="Previous").click()
    await expect(pager).to_contain_text("Showing 1\u201350")
    await expect(rows.first).to_have_attribute("data-event-id", first_page or "")
    assert await pager.get_by_role("button", name="Previous").is_disabled()

    # A range that ends before it starts is refused beside its end, before any request.
    await page.goto(f"{platform.url}/#/search")
    await expect(pager).to_contain_text("Showing 1\u201350")
    before = page.url
    await page.locator("#search-form summary", has_text="More filters").click()
    await page.get_by_label("Reviewed from").fill("2024-02-01T00:00:00")
    await page.get_by_label("Reviewed until").fill("2024-01-01T00:00:00")
    await page.get_by_role("button", name="Search", exact=True).click()
    until_error = page.locator("#search-reviewed_until-error")
    await expect(until_error).to_contain_text("must be after reviewed from")
    await expect(page.get_by_label("Reviewed until")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#search-notice")).to_contain_text("Check: Reviewed until")
    assert page.url == before
    assert await accessibility_problems(page) == []
    # Put right, the range goes into the address as instants (the browser's zone is UTC).
    await page.get_by_label("Reviewed until").fill("2024-03-01T00:00:00")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(rows.first).to_contain_text("No events match these filters.")
    assert search_of(page) == {
        "reviewed_from": ["2024-02-01T00:00:00Z"],
        "reviewed_until": ["2024-03-01T00:00:00Z"],
    }
    await page.reload()
    await expect(page.get_by_label("Reviewed until")).to_have_value("2024-03-01T00:00")

    # A time the server cannot read (a hand-edited link): its 422 beside the field it names.
    await page.goto(f"{platform.url}/#/search?reviewed_from=yesterday")
    await expect(page.locator("#search-reviewed_from-error")).to_contain_text("datetime")
    await expect(page.get_by_label("Reviewed from")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#search-notice")).to_contain_text("Check: Reviewed from")
    await expect(rows).to_have_text(["No results: see the message above."])

    # A region outside the lead's team: the server's 403 as a notice.
    eu_lead = platform.new_user("eu-lead", team="team-eu", role="lead")
    other = await new_session("eu-lead")
    await other.login(platform.url, eu_lead)
    await other.page.goto(f"{platform.url}/#/search?region=us")
    await expect(other.page.locator("#search-notice")).to_contain_text("does not cover us")
    await expect(other.page.get_by_role("checkbox", name="US")).to_be_checked()
    assert await accessibility_problems(other.page) == []
    assert real_errors(tab, "422", "Unprocessable") == []
    assert real_errors(other, "403", "Forbidden") == []


async def test_a_reviewer_has_no_search_and_sees_their_own_history(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    username = platform.new_user("historian", team="team-eu")
    reviewed = await hand_over(platform, username, event_type="collision", region="eu")
    review(platform, username, reviewed, {"decision": "approve", "rating": 4})
    skipped = await hand_over(platform, username, event_type="collision", region="eu")
    gave_back = platform.api(
        "POST", f"/api/v1/events/{skipped}/skip", username, json={"reason": "needs_expert"}
    )
    assert gave_back.status_code == 204, gave_back.text
    refused = platform.api("GET", "/api/v1/search/events", username)
    assert refused.status_code == 403, refused.text

    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="My history")).to_be_visible()
    await expect(nav.get_by_role("link", name="Search")).to_have_count(0)
    # The search is not theirs: its address leads back to the review screen.
    await page.goto(f"{platform.url}/#/search?status=pending")
    await expect(page).to_have_url(f"{platform.url}/#/review")

    await nav.get_by_role("link", name="My history").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("My history")
    rows = page.locator("#history-table tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_have_attribute("data-event-id", skipped)
    await expect(rows.nth(0)).to_contain_text("Skipped (needs an expert)")
    await expect(rows.nth(1)).to_have_attribute("data-event-id", reviewed)
    await expect(rows.nth(1)).to_contain_text("Reviewed")
    await expect(rows.nth(1)).to_contain_text("Approve · rating 4")
    await expect(page.locator(".pager")).to_contain_text("Showing 1\u20132")
    assert await accessibility_problems(page) == []
    await rows.nth(1).get_by_role("link").click()
    await expect(page).to_have_url(f"{platform.url}/#/events/{reviewed}")
    assert real_errors(tab) == []


async def test_search_and_history_fit_a_phone_and_the_admins_menu_fits_a_laptop(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    """An admin has the longest menu: every link of it in the window at 390 and 1280 px."""
    platform = shared_platform
    tab = await new_session("admin-390", PHONE)
    page = tab.page
    await tab.login(platform.url, "admin")
    for view, loaded in (
        ("search?status=pending", "#search-table tbody tr[data-event-id]"),
        ("history", "#history-table tbody tr"),
    ):
        await page.goto(f"{platform.url}/#/{view}")
        await expect(page.locator(loaded).first).to_be_visible()
        assert await horizontal_overflow(page) == 0, view
        assert await accessibility_problems(page) == [], view
        await tab.screenshot(f"{view.partition('?')[0]}-390")
        for width in (PHONE["width"], VIEWPORT["width"]):
            await page.set_viewport_size({"width": width, "height": 800})
            nav = page.locator("#nav")

            async def fits(nav: Locator = nav) -> bool:  # laid out again after a resize
                return bool(await nav.evaluate("nav => nav.scrollWidth <= nav.clientWidth + 1"))

            await wait_until_async(fits, message=f"the menu overflows at {width} px", timeout=5)
            for link in await nav.get_by_role("link").all():
                assert await fully_visible(link) is None, (width, await link.inner_text())
        await page.set_viewport_size(PHONE)
    assert real_errors(tab) == []
