"""The dashboard's service levels: a red badge for a breached SLA, a green one for a met SLA."""

from __future__ import annotations

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import accessibility_problems, real_errors, wait_for_pending  # noqa: E402


def apply(platform: Platform, rules: dict[str, object]) -> None:
    response = platform.api("PUT", "/api/v1/admin/queue-rules", "admin", json=rules)
    assert response.status_code == 200, response.text


async def test_a_lead_sees_which_slas_are_breached_and_which_are_met(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "eu", 1)
    await platform.query(
        "UPDATE events SET created_at = created_at - interval '2 hours' "
        "WHERE event_id = (SELECT event_id FROM events WHERE status = 'pending' "
        "AND region_code = 'eu' ORDER BY created_at LIMIT 1)"
    )
    apply(
        platform,
        {"slas": [
            {"name": "eu-waiting", "when": {"region": "eu"}, "oldest_pending": "30m"},
            {"name": "eu-relaxed", "when": {"region": "eu"}, "oldest_pending": "30d"},
            {"name": "us-only", "when": {"region": "us"}, "oldest_pending": "1s"},
        ]},
    )  # fmt: skip
    lead = platform.new_user("sla-lead", team="team-eu", role="lead")
    try:
        tab = await new_session("sla-lead")
        page = tab.page
        await tab.login(platform.url, lead)
        await page.goto(f"{platform.url}/#/dashboard")

        badges = page.locator("#sla-badges .sla-badge")
        await expect(badges).to_have_count(2)  # the US SLA is not this lead's
        breached = page.locator('#sla-badges .sla-badge.breached[data-sla="eu-waiting"]')
        await expect(breached).to_contain_text("SLA breached · eu-waiting: oldest pending · 2 h")
        await expect(breached).to_contain_text("over the 30 min 0 s target")
        met = page.locator('#sla-badges .sla-badge.met[data-sla="eu-relaxed"]')
        await expect(met).to_contain_text("SLA met · eu-relaxed")
        # The breached one is read first.
        await expect(badges.first).to_have_attribute("data-sla", "eu-waiting")
        assert await accessibility_problems(page) == []
        assert real_errors(tab) == []
    finally:
        apply(platform, {})
    await page.reload()
    await expect(page.locator("#stats .stat-value").first).not_to_have_text("—")
    await expect(page.locator("#sla")).to_be_hidden()
