"""Accessibility: axe-core checks every view of the client (login, review,
an event link, the admin pages, the dialogs) and the test fails on any
serious or critical finding: text contrast below WCAG AA, controls without
names, and so on. Beside axe's rules, each view has exactly one h1 and every
table header says what it heads.

axe-core comes from PyPI, in the `axe-playwright-python` package (a dev
dependency); only its bundled axe.min.js is used, run in the page as is.
"""

from __future__ import annotations

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    accessibility_problems,
    claim,
    real_errors,
    wait_for_pending,
)


async def check(page: Page, view: str, failures: dict[str, list[str]]) -> None:
    problems = await accessibility_problems(page)
    if problems:
        failures[view] = problems


async def test_every_view_passes_axe_and_has_one_h1_and_labelled_tables(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "us", 2)
    failures: dict[str, list[str]] = {}

    reviewer = await new_session("reviewer")
    page = reviewer.page
    await page.goto(platform.url + "/")
    await expect(page.get_by_label("Username")).to_be_visible()
    await check(page, "login", failures)

    username = platform.new_user("a11y", team="team-us")
    await reviewer.login(platform.url, username)
    await expect(page.locator("#queue-message")).to_contain_text("Get a batch")
    await check(page, "review (nothing held)", failures)
    (event_id, _) = await claim(page, 2)
    await expect(page.locator("#payload-image")).to_be_visible()
    await page.keyboard.press("r")
    await page.keyboard.press("3")
    await check(page, "review (event open)", failures)
    await page.keyboard.press("?")
    await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await check(page, "shortcuts dialog", failures)
    await page.keyboard.press("Escape")
    await page.keyboard.press("s")
    await expect(page.get_by_role("dialog", name="Skip this event")).to_be_visible()
    await check(page, "skip dialog", failures)
    await page.keyboard.press("Escape")
    await page.keyboard.press("z")
    await expect(page.locator("#image-dialog")).to_be_visible()
    await check(page, "image zoom", failures)
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Submit review").click()
    await expect(page.locator("#toasts")).to_contain_text("Rejected with rating 3")
    await page.goto(f"{platform.url}/#/events/{event_id}")
    await expect(page.locator("#event-status")).to_be_visible()
    await check(page, "event link (read-only)", failures)

    admin = await new_session("admin")
    page = admin.page
    await admin.login(platform.url, "admin")
    pages = {
        "dashboard": "#stats .stat-value",
        "writebacks": "#writeback-table tbody tr",
        "webhooks": "#webhooks-table tbody tr",
        "audit": "#audit-table tbody tr",
        "regions": "#regions-table tbody tr",
        "teams": "#teams-table tbody tr",
        "users": "#users-table tbody tr",
        "forms": '#forms-table tr[data-form="default"]',
        "qa": "#qa-message h3",
        "stats?group_by=team": "#stats-table tbody tr",
    }
    for view, loaded in pages.items():
        await page.goto(f"{platform.url}/#/{view}")
        await expect(page.locator(loaded).first).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text("Loading")
        await check(page, view, failures)

    assert failures == {}, "\n".join(f"{view}: {p}" for view, ps in failures.items() for p in ps)
    assert real_errors(reviewer) == []
    assert real_errors(admin) == []
