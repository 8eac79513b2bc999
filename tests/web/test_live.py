"""The screen stays current while it stays open: relative times move on, a
change to the team's regions shows without a reload, a team without a region
reads sensibly, and the batch size control (1 to 100) leaves the keyboard
shortcuts working."""

from __future__ import annotations

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import real_errors, wait_for_pending  # noqa: E402


async def test_times_and_the_teams_regions_stay_current(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "us", 2)
    team, team_id = platform.new_team("late-shift", [])
    username = platform.new_user("shifter", team=team)
    tab = await new_session("reviewer")
    page = tab.page
    await page.clock.install()
    await tab.login(platform.url, username)

    # A team with no region says so, in words, and suggests who can help.
    await expect(page.locator("#queue-message")).to_contain_text("Your team reviews no region yet")
    await expect(page.locator("#queue-message")).to_contain_text("Ask an admin")
    await expect(page.locator("#whoami-regions")).to_have_text(" · no region")
    await tab.screenshot("reviewer-no-region")

    # An admin maps US to the team: the open screen notices on focus, no reload.
    mapped = platform.api(
        "PATCH", f"/api/v1/admin/teams/{team_id}", "admin", json={"regions": ["us"]}
    )
    assert mapped.status_code == 200, mapped.text
    await page.evaluate("window.dispatchEvent(new Event('focus'))")
    await expect(page.locator("#whoami-regions")).to_have_text(" · US")
    await expect(page.locator("#queue-message")).to_contain_text("events from US")

    # Events that happened half a minute ago read "just now", then move on without a reload.
    await platform.query(
        "UPDATE events SET occurred_at = now() - interval '30 seconds' "
        "WHERE region_code = 'us' AND status = 'pending'"
    )
    # Any batch size from 1 to 100: a typed size, and the shortcuts still work after it.
    size = page.get_by_label("Batch size")
    await size.fill("0")
    await size.press("Enter")
    await expect(page.locator("#batch-size-error")).to_contain_text("from 1 to 100")
    await expect(page.locator(".queue-item")).to_have_count(0)
    await size.fill("2")
    await size.press("n")  # from inside the field: letters are shortcuts there
    items = page.locator(".queue-item")
    await expect(items).to_have_count(2)
    await expect(page.locator("#payload-image")).to_be_visible()
    await size.focus()
    await page.keyboard.press("j")
    await expect(items.nth(1)).to_have_attribute("aria-current", "true")
    meta = items.first.locator("[data-time-ago]")
    await expect(meta).to_have_text("just now")
    # 25 s on the page's clock (past 45 s old: "1 min ago"), short of the next
    # /auth/me, whose Date header would re-anchor the page's clock to the server's.
    await page.clock.fast_forward(25_000)
    await expect(meta).to_have_text("1 min ago")
    await expect(page.locator("#event-panel [data-time-ago]")).to_have_text("1 min ago")

    assert real_errors(tab) == []
