"""Reviewer statistics (#/stats) in the browser: a lead's figures for work the test
did, per reviewer and per team, over a period the address keeps (reload, Back),
with charts that load and a CSV whose rows are the table's; a reviewer's own
figures alone; a page of another role said so rather than left silently; and
the view at a phone's width."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Locator, Page, expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    PHONE,
    accessibility_problems,
    hand_over,
    horizontal_overflow,
    real_errors,
)

CHARTS = ("reviews", "median-time", "decisions", "reasons")


def review(platform: Platform, username: str, event_id: str, decision: str) -> None:
    body = {"decision": decision, "rating": 3}
    reviewed = platform.api("POST", f"/api/v1/events/{event_id}/review", username, json=body)
    assert reviewed.status_code == 200, reviewed.text


def skip(platform: Platform, username: str, event_id: str) -> None:
    gave_back = platform.api(
        "POST", f"/api/v1/events/{event_id}/skip", username, json={"reason": "unclear"}
    )
    assert gave_back.status_code == 204, gave_back.text


async def took(platform: Platform, username: str, event_id: str, seconds: int) -> None:
    """`username` opened the event's payload `seconds` before reviewing it (as the
    payload route records it; the test asks for no payload from the region)."""
    await platform.query(
        "INSERT INTO audit_log (actor_type, actor, action, event_id, occurred_at, details) "
        "SELECT 'user', $1, 'event.payload_viewed', r.event_id, "
        "       r.created_at - make_interval(secs => $3), '{}' "
        "FROM review_revisions r WHERE r.event_id = $2 AND r.revision = 1",
        username,
        uuid.UUID(event_id),
        seconds,
    )


def query_of(page: Page) -> dict[str, list[str]]:
    fragment = urlsplit(page.url).fragment
    assert fragment.startswith("/stats"), page.url
    return parse_qs(fragment.partition("?")[2])


def row(page: Page, key: str) -> Locator:
    return page.locator(f'#stats-table tbody tr[data-key="{key}"]')


async def figures(row: Locator) -> dict[str, str]:
    """The row's cells by figure, as the table shows them."""
    cells = await row.locator("td[data-figure]").evaluate_all(
        "cells => cells.map(c => [c.dataset.figure, c.textContent])"
    )
    return dict(cells)


async def charts_loaded(page: Page) -> None:
    for name in CHARTS:
        chart = page.locator(f"#stats-chart-{name}")
        await expect(chart).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        await chart.evaluate("img => img.decode()")
        assert await chart.evaluate("img => img.naturalWidth") > 0, name
        alt = await chart.get_attribute("alt")
        assert "chart" in (alt or ""), (name, alt)


async def download_csv(page: Page) -> tuple[str, list[dict[str, str]]]:
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Export CSV").click()
    download = await download_info.value
    text = Path(await download.path()).read_text(encoding="utf-8")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text)))


async def test_a_lead_reads_the_team_figures_and_the_address_keeps_them(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    team, _ = platform.new_team("stats", ["eu"])
    lead = platform.new_user("stats-lead", team=team, role="lead")
    ana = platform.new_user("ana", team=team)
    ben = platform.new_user("ben", team=team)
    # ana: an approval after 30 s and a rejection after 90 s (median 1:00);
    # ben: an approval after 45 s, and a skip.
    for username, decision, seconds in (
        (ana, "approve", 30),
        (ana, "reject", 90),
        (ben, "approve", 45),
    ):
        event_id = await hand_over(platform, username, event_type="collision", region="eu")
        review(platform, username, event_id, decision)
        await took(platform, username, event_id, seconds)
    skip(platform, ben, await hand_over(platform, ben, event_type="collision", region="eu"))

    tab = await new_session("lead")
    page = tab.page
    await tab.login(platform.url, lead)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Reviewer statistics")
    await expect(page.get_by_role("button", name="Last 7 days")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(row(page, ana)).to_be_visible()
    assert await figures(row(page, ana)) | {"reasons": ""} == {
        "reviews": "2", "corrections": "0", "skips": "0", "escalations": "0", "median": "1:00",
        "timed_reviews": "2", "qa_judged": "0", "qa_agreement": "—",
        "decisions": "Approve 1 · Reject 1", "reasons": "",
    }  # fmt: skip
    ben_figures = await figures(row(page, ben))
    assert (ben_figures["reviews"], ben_figures["skips"], ben_figures["median"]) == (
        "1",
        "1",
        "0:45",
    )
    assert await page.locator("#stats-table tbody tr").count() == 2  # the lead did nothing
    # The row's name is its header; counts are right-aligned.
    await expect(row(page, ana).locator('th[scope="row"]')).to_have_text(ana)
    assert (
        await row(page, ana)
        .locator('td[data-figure="reviews"]')
        .evaluate("td => getComputedStyle(td).textAlign")
        == "right"
    )
    await charts_loaded(page)
    assert await accessibility_problems(page) == []

    # Per team: one row, everyone's work together (the median of 30, 90 and 45 s).
    await page.get_by_label("Group by").select_option("team")
    await page.get_by_role("button", name="Show", exact=True).click()
    await expect(row(page, team)).to_be_visible()
    assert query_of(page) == {"group_by": ["team"]}
    team_figures = await figures(row(page, team))
    assert (team_figures["reviews"], team_figures["skips"], team_figures["median"]) == (
        "3",
        "1",
        "0:45",
    )
    await charts_loaded(page)
    grouped = page.url

    # A preset is a rolling period in the address; then days of the lead's choosing.
    await page.get_by_role("button", name="Last 30 days").click()
    await expect(page.get_by_role("button", name="Last 30 days")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert query_of(page) == {"days": ["30"], "group_by": ["team"]}
    await expect(row(page, team)).to_be_visible()
    await page.get_by_label("First day").fill("2024-01-01")
    await page.get_by_label("Last day").fill("2024-01-31")
    await page.get_by_role("button", name="Show", exact=True).click()
    await expect(page.locator("#stats-table tbody")).to_contain_text("Nothing was reviewed")
    assert query_of(page) == {
        "since": ["2024-01-01"],
        "until": ["2024-01-31"],
        "group_by": ["team"],
    }
    await expect(page.locator("#stats-figures-title")).to_contain_text("1 Jan 2024")

    # The address is the query: reload shows it again, Back the one before.
    await page.reload()
    await expect(page.get_by_label("First day")).to_have_value("2024-01-01")
    await expect(page.get_by_label("Last day")).to_have_value("2024-01-31")
    await expect(page.get_by_label("Group by")).to_have_value("team")
    await expect(page.locator("#stats-table tbody")).to_contain_text("Nothing was reviewed")
    await page.go_back()
    await page.go_back()
    await expect(page).to_have_url(grouped)
    await expect(row(page, team)).to_be_visible()

    # A last day before the first is refused beside it, before any request.
    before = page.url
    await page.get_by_label("Last day").fill("2020-01-01")
    await page.get_by_role("button", name="Show", exact=True).click()
    await expect(page.locator("#stats-until-error")).to_contain_text("cannot be before the first")
    await expect(page.get_by_label("Last day")).to_have_attribute("aria-invalid", "true")
    assert page.url == before

    # The file's rows are the table's.
    name, rows = await download_csv(page)
    assert name.startswith("statistics-team-")
    assert name.endswith(".csv")
    assert [(r["key"], r["reviews"], r["skips"], r["median_seconds_per_review"]) for r in rows] == [
        (team, "3", "1", "45.0"),
    ]
    assert (rows[0]["decision:approve"], rows[0]["decision:reject"]) == ("2", "1")
    assert real_errors(tab) == []


async def test_a_reviewer_sees_their_own_figures_and_is_told_search_is_not_theirs(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    team, _ = platform.new_team("own-stats", ["eu"])
    username = platform.new_user("counted", team=team)
    colleague = platform.new_user("colleague", team=team)
    reviewed = await hand_over(platform, username, event_type="collision", region="eu")
    review(platform, username, reviewed, "reject")
    skip(
        platform, username, await hand_over(platform, username, event_type="collision", region="eu")
    )
    theirs = await hand_over(platform, colleague, event_type="collision", region="eu")
    review(platform, colleague, theirs, "approve")

    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("My statistics")
    await expect(row(page, username)).to_be_visible()
    assert await page.locator("#stats-table tbody tr").count() == 1
    own = await figures(row(page, username))
    assert (own["reviews"], own["skips"], own["decisions"], own["median"]) == (
        "1",
        "1",
        "Reject 1",
        "—",
    )
    # No grouping for a reviewer, and a link asking for it shows their own figures all the same.
    await expect(page.get_by_label("Group by")).to_have_count(0)
    await expect(page.get_by_label("Region")).to_have_count(0)
    await page.goto(f"{platform.url}/#/stats?group_by=team&days=30")
    await expect(page.get_by_role("button", name="Last 30 days")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(row(page, username)).to_be_visible()
    await expect(row(page, colleague)).to_have_count(0)
    await charts_loaded(page)
    assert await accessibility_problems(page) == []
    name, rows = await download_csv(page)
    assert name.startswith("my-statistics-")
    assert [(r["key"], r["reviews"], r["skips"]) for r in rows] == [(username, "1", "1")]

    # Search is for leads and admins: the reviewer is told so where they land.
    await page.goto(f"{platform.url}/#/search?status=pending")
    await expect(page).to_have_url(f"{platform.url}/#/review")
    refused = page.locator("#route-refused")
    await expect(refused).to_contain_text("Search is not available to your role.")
    await expect(refused).to_contain_text(
        "It is for leads and admins; you are signed in as reviewer."
    )
    await expect(refused.get_by_role("alert")).to_be_visible()
    await tab.screenshot("route-refused")
    assert await accessibility_problems(page) == []
    await refused.get_by_role("button", name="Dismiss").click()
    await expect(refused).to_have_count(0)
    # Going on to a page of theirs says nothing more.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("My statistics")
    await expect(page.locator("#route-refused")).to_have_count(0)
    assert real_errors(tab) == []


async def test_the_statistics_fit_a_phone(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    tab = await new_session("admin-390", PHONE)
    page = tab.page
    await tab.login(platform.url, "admin")
    for view in ("stats?days=30", "stats?group_by=region&days=30"):
        await page.goto(f"{platform.url}/#/{view}")
        await expect(page.locator("#stats-table tbody tr").first).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text("Loading")
        await charts_loaded(page)
        assert await horizontal_overflow(page) == 0, view
        assert await accessibility_problems(page) == [], view
    await tab.screenshot("stats-390")
    assert real_errors(tab) == []
