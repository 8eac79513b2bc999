"""A lead exports a search from #/search: the export runs in the background, the page
shows its progress and then a download link, and the file holds exactly the search's
rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import accessibility_problems, hand_over, real_errors  # noqa: E402


async def test_a_lead_exports_a_search_as_csv_and_downloads_the_file(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    reviewer = platform.new_user("exported", team="team-us")
    lead = platform.new_user("exporter", team="team-us", role="lead")
    reviewed = []
    for _ in range(3):
        event_id = await hand_over(platform, reviewer, event_type="collision", region="us")
        answer = platform.api(
            "POST", f"/api/v1/events/{event_id}/review", reviewer,
            json={"decision": "approve", "rating": 4},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        reviewed.append(event_id)

    tab = await new_session("lead")
    page = tab.page
    await tab.login(platform.url, lead)
    await page.goto(f"{platform.url}/#/search")
    await page.get_by_label("Reviewer").fill(reviewer)
    await page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("#search-table tbody tr[data-event-id]")
    await expect(rows).to_have_count(3)
    searched = [await r.get_attribute("data-event-id") for r in await rows.all()]
    assert sorted(searched) == sorted(reviewed)  # type: ignore[type-var]

    await page.get_by_role("button", name="Export CSV").click()
    status = page.locator("#search-export-status")
    link = status.get_by_role("link", name="Download events-")
    await expect(link).to_be_visible(timeout=30_000)
    await expect(status).to_contain_text("Export ready: 3 rows.")
    assert await accessibility_problems(page) == []
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value

    assert download.suggested_filename.endswith(".csv")
    text = Path(await download.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    # The file's rows are the search's rows, in the search's order.
    assert [r["event_id"] for r in exported] == searched
    assert {r["reviewer_id"] for r in exported} == {
        str((await platform.query("SELECT user_id FROM users WHERE username = $1", reviewer))[0][0])
    }
    jobs = platform.api("GET", "/api/v1/search/exports", lead).json()["items"]
    assert [(j["status"], j["rows_written"], j["rows_total"]) for j in jobs] == [("done", 3, 3)]
    assert real_errors(tab) == []
