"""The audit log pages by cursor, forward and back, and filters by a time range."""

from __future__ import annotations

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.fixtures.processes import wait_until_async  # noqa: E402
from tests.web.browsing import accessibility_problems  # noqa: E402


async def test_the_audit_log_pages_back_and_forth_and_filters_by_time(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform

    async def two_pages() -> bool:  # the simulated events' ingest rows fill them
        rows = await platform.query("SELECT count(*) AS n FROM audit_log")
        return bool(rows[0]["n"] > 50)

    await wait_until_async(two_pages, message="fewer than 51 audit rows")
    tab = await new_session("admin")
    page = tab.page
    await tab.login(platform.url, "admin")
    await page.goto(f"{platform.url}/#/audit")
    rows = page.locator("#audit-table tbody tr")
    pager = page.locator(".pager")
    await expect(pager).to_contain_text("Showing 1\u2013")
    first_page = await rows.first.inner_text()

    await pager.get_by_role("button", name="Next").click()
    await expect(pager).to_contain_text("Showing 51\u2013")
    assert await rows.first.inner_text() != first_page
    await pager.get_by_role("button", name="Previous").click()
    await expect(pager).to_contain_text("Showing 1\u2013")
    assert await pager.get_by_role("button", name="Previous").is_disabled()

    # A range in the future holds nothing; the filter goes to the API as an instant.
    await page.get_by_label("From").fill("2999-01-01T00:00:00")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("No entries match these filters.")
    await expect(pager).to_contain_text("Showing none")
    assert await accessibility_problems(page) == []
