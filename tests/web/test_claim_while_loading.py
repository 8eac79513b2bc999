"""A claim made while the screen still loads what is held is not undone by
that list's late answer: the review and QA screens ask what is held as they
open, and a reviewer who presses n at once used to see the fresh claim
replaced by the older, empty list (the events stayed held, out of sight, until
their lease ran out).

The server answers the list before the claim; the browser is handed that
answer only after the claim's, which is the order a slow network gives."""

from __future__ import annotations

import asyncio

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, Route, expect  # noqa: E402

from tests.web.browsing import real_errors, settled, wait_for_pending  # noqa: E402
from tests.web.test_qa import false_trigger  # noqa: E402


async def claim_before_the_list_arrives(
    page: Page, url: str, list_path: str, claim_path: str
) -> None:
    """Open `url`, press n while the held list is on its way, and hand the
    list (answered before the claim) to the page after the claim's answer."""
    asked = asyncio.Event()
    claimed = asyncio.Event()

    async def late(route: Route) -> None:
        answer = await route.fetch()
        asked.set()
        await claimed.wait()
        await route.fulfill(response=answer)

    # From another screen, so opening this one mounts it afresh.
    await page.goto(url.split("#")[0] + "#/history")
    await expect(page.locator("h1, h2").first).to_be_visible()
    await page.route(f"**{list_path}", late)
    await page.goto(url)
    await asked.wait()
    async with page.expect_response(f"**{claim_path}") as claim:
        await page.keyboard.press("n")
    await (await claim.value).finished()
    await settled(page)
    async with page.expect_response(f"**{list_path}") as listed:
        claimed.set()
    await (await listed.value).finished()
    await settled(page)


async def test_a_batch_claimed_while_the_review_screen_opens_stays_shown(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "eu", 2)
    username = platform.new_user("quick", team="team-eu")
    tab = await new_session("reviewer")
    await tab.login(platform.url, username)

    await claim_before_the_list_arrives(
        tab.page,
        f"{platform.url}/#/review",
        "/api/v1/assignments",
        "/api/v1/assignments/next-batch",
    )
    items = tab.page.locator(".queue-item")
    await expect(items.first).to_have_attribute("aria-current", "true")
    await expect(tab.page.locator("#queue-message")).to_be_hidden()
    assert real_errors(tab) == []


async def test_qa_tasks_claimed_while_the_qa_screen_opens_stay_shown(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    reviewer = platform.new_user("fast", team="team-us")
    checker = platform.new_user("eager", team="team-us", role="qa")
    event_id = await false_trigger(platform, reviewer, "calibration", 2)
    tab = await new_session("qa")
    await tab.login(platform.url, checker)

    await claim_before_the_list_arrives(
        tab.page, f"{platform.url}/#/qa", "/api/v1/qa/tasks", "/api/v1/qa/next-batch"
    )
    item = tab.page.locator(f'.queue-item[data-event-id="{event_id}"]')
    await expect(item).to_have_attribute("aria-current", "true")
    await expect(tab.page.locator("#qa-message")).to_be_hidden()
    assert real_errors(tab) == []
