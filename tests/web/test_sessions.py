"""A session lasts the reviewer's day: access tokens come and go unseen,
tabs share the session, and when it really ends the login screen says why.

The test runs on a platform of its own whose access tokens live 15 s
(EVENT_REVIEW_ACCESS_TOKEN_MINUTES=0.25), so several lifetimes pass in it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.web.conftest import PASSWORD, OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, Response, Route, expect  # noqa: E402

from tests.fixtures.processes import wait_until_async  # noqa: E402
from tests.web.browsing import claim, real_errors, wait_for_pending, wait_for_status  # noqa: E402

TOKEN_SECONDS = 15
SHORT_TOKENS = pytest.mark.parametrize(
    "platform_env",
    [{"EVENT_REVIEW_ACCESS_TOKEN_MINUTES": str(TOKEN_SECONDS / 60)}],
    ids=["15-second-tokens"],
)


async def review_open_event(page: Page, platform: Platform, decision_key: str = "a") -> None:
    event_id = await page.locator('.queue-item[aria-current="true"]').get_attribute("data-event-id")
    assert event_id is not None
    await page.keyboard.press(decision_key)
    await page.keyboard.press("3")
    await page.keyboard.press("Enter")
    await expect(page.locator("#toasts")).to_contain_text("with rating 3")
    await expect(page.locator(f'.queue-item[data-event-id="{event_id}"]')).to_have_count(0)
    await wait_for_status(platform, event_id, "completed")


@SHORT_TOKENS
async def test_a_reviewer_works_through_many_token_lifetimes_in_two_tabs(
    platform: Platform, new_session: OpenSession
) -> None:
    await wait_for_pending(platform, "eu", 4)
    username = platform.new_user("all-day", team="team-eu")
    tab = await new_session("reviewer")
    page = tab.page
    refreshes: list[int] = []
    refused: list[str] = []  # data requests answered 401

    def count(response: Response) -> None:
        if response.url.endswith("/api/v1/auth/refresh"):
            refreshes.append(response.status)
        elif response.status == 401:
            refused.append(response.url)

    page.on("response", count)

    # The renewal timer is held off (its refreshes fail) from the login until the
    # token has expired: the next request meets `token_expired`, renews and is
    # resent. Held off from the start, so a slow claim on a loaded machine cannot
    # let the timer renew first.
    async def unreachable(route: Route) -> None:
        await route.abort()

    await page.route("**/api/v1/auth/refresh", unreachable)
    await tab.login(platform.url, username)
    started = time.monotonic()  # the token was issued before this
    await claim(page, 4)
    await expect(page.locator("#payload-image")).to_be_visible()
    await asyncio.sleep(max(0.0, TOKEN_SECONDS + 1 - (time.monotonic() - started)))
    await page.unroute("**/api/v1/auth/refresh")
    await review_open_event(page, platform)
    # The browser reports the refresh's response on its own channel: under load it
    # may reach this process a moment after the review it made possible.
    await wait_until_async(
        lambda: 200 in refreshes, message=lambda: f"no refresh succeeded: {refreshes}", timeout=10
    )
    assert len(refused) == 1, refused

    # Then the timer renews before expiry, again and again, while they work.
    await asyncio.sleep(TOKEN_SECONDS)
    await review_open_event(page, platform, "r")
    assert time.monotonic() - started > 2 * TOKEN_SECONDS

    # A second tab of the same browser opens logged in, without a login...
    second = await tab.new_tab()
    await second.goto(platform.url + "/")
    await expect(second.locator("#whoami")).to_contain_text(username)
    await expect(second.locator(".queue-item")).to_have_count(2)
    # ...and both keep working through another lifetime, refreshing one at a time.
    await asyncio.sleep(TOKEN_SECONDS + 2)
    await review_open_event(second, platform)
    await page.keyboard.press("j")
    await expect(page.locator("#login-status")).to_have_count(0)
    assert refreshes.count(200) >= 3
    assert 401 not in refreshes
    # Renewed before expiry every time: no request met an expired token again.
    assert len(refused) == 1, refused
    # A reload keeps the session too.
    await page.reload()
    await expect(page.locator("#whoami")).to_contain_text(username)

    # Logging out in one tab sends the other to the login screen at once, saying why.
    await second.get_by_role("button", name="Log out").click()
    await expect(second.locator("#login-status")).to_contain_text("You have logged out")
    await expect(page.locator("#login-status")).to_contain_text("You logged out in another tab")
    await expect(page.locator("#topbar")).to_be_hidden()
    # And a login in one tab lets the other, waiting at the login screen, pick it up.
    await tab.login(platform.url, username, page=second)
    await expect(page.locator("#whoami")).to_contain_text(username)
    await tab.screenshot("sessions-two-tabs")

    # When the session itself ends (12 h by default), the screen says so.
    await platform.query(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = "
        "(SELECT user_id FROM users WHERE username = $1)",
        username,
    )
    # The next renewal (at most 80 % of a lifetime away) finds the session over.
    for each in (page, second):
        await expect(each.locator("#login-status")).to_contain_text(
            "Your session reached its time limit", timeout=TOKEN_SECONDS * 1000
        )
    await tab.screenshot("session-expired")

    assert real_errors(tab, "status of 401", "net::ERR_FAILED") == []


async def test_coming_back_from_single_sign_on_opens_the_session_of_its_cookie(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    """The callback sets the refresh cookie and sends the browser to `/#access_token=…`:
    the client signs in from the cookie on a first visit and clears the address bar."""
    platform = shared_platform
    username = platform.new_user("sso", team="team-eu")
    with platform.http() as http:
        login = http.post(
            "/api/v1/auth/login",
            json={"username": username, "password": PASSWORD, "refresh_cookie": True},
        )
    assert login.status_code == 200, login.text
    tab = await new_session("reviewer")
    await tab.context.add_cookies(
        [
            {
                "name": "event_review_refresh",
                "value": login.cookies["event_review_refresh"],
                "url": platform.url + "/api/v1/auth/refresh",
                "httpOnly": True,
                "secure": True,
                "sameSite": "Strict",
            }
        ]
    )

    await tab.page.goto(platform.url + "/#access_token=from-the-callback&token_type=bearer")

    await expect(tab.page.locator("#topbar")).to_be_visible()
    await expect(tab.page.locator("#whoami")).to_contain_text(username)
    assert "access_token" not in tab.page.url
    assert real_errors(tab) == []
