"""An admin sets where a region's review text is kept, confirming the change that clears."""

from __future__ import annotations

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Dialog, expect  # noqa: E402

from tests.web.browsing import accessibility_problems  # noqa: E402


async def test_an_admin_keeps_a_regions_review_text_in_the_region(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    # A region of its own: turning one regional clears its delivered text, which
    # other tests on this platform read.
    added = platform.api(
        "POST", "/api/v1/admin/regions", "admin",
        json={"code": "textpolicy", "api_url": "https://textpolicy.example.com"},
    )  # fmt: skip
    assert added.status_code in (201, 409), added.text
    tab = await new_session("admin")
    page = tab.page
    await tab.login(platform.url, "admin")
    await page.goto(f"{platform.url}/#/regions")
    row = page.locator('#regions-table tr[data-region="textpolicy"]')
    await expect(row).to_contain_text("Kept centrally")
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.dismiss() if len(asked) == 1 else dialog.accept())

    page.on("dialog", answer)
    for _ in range(2):  # dismissed first: nothing changes; then accepted
        await page.get_by_role("button", name="Edit textpolicy").click()
        await page.get_by_label("Review text of textpolicy").select_option("regional")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("button", name="Edit textpolicy")).to_be_visible()
        if len(asked) == 1:
            await expect(row).to_contain_text("Kept centrally")
    await expect(row).to_contain_text("Kept in the region")
    assert len(asked) == 2
    assert "clears what it holds" in asked[0]
    shown = platform.api("GET", "/api/v1/admin/regions", "admin").json()["items"]
    assert {r["code"]: r["review_text"] for r in shown}["textpolicy"] == "regional"
    assert await accessibility_problems(page) == []

    # Back to central: nothing is cleared that way, so nothing to confirm.
    await page.get_by_role("button", name="Edit textpolicy").click()
    await page.get_by_label("Review text of textpolicy").select_option("central")
    await page.get_by_role("button", name="Save").click()
    await expect(row).to_contain_text("Kept centrally")
    assert len(asked) == 2
