"""Every screen size: the review screen on a phone, on a laptop at 200 % zoom
and in a narrow laptop window has no sideways scrolling, a top bar that fits,
a form whose every control can be scrolled to, and toasts that never cover
the submit button. Measured from the page's geometry, not from pictures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Page, expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    PHONE,
    ZOOMED_LAPTOP,
    claim,
    fully_visible,
    horizontal_overflow,
    intersect,
    real_errors,
    settled,
    wait_for_pending,
)

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

# Below 1180 px the review form sticks to the bottom edge, where toasts used to go.
NARROW_LAPTOP: ViewportSize = {"width": 1100, "height": 760}

FORM_CONTROLS = [
    'label[for="decision-approve"]',
    'label[for="decision-reject"]',
    *[f'label[for="rating-{n}"]' for n in range(1, 6)],
    "#comment",
    "#submit-review",
    "#skip",
    "#escalate",
]


async def toasts_clear_of_submit(page: Page) -> None:
    await settled(page)
    submit = await page.locator("#submit-review").bounding_box()
    assert submit is not None
    boxes = await page.locator("#toasts .toast").evaluate_all(
        "toasts => toasts.map(t => t.getBoundingClientRect().toJSON())"
    )
    assert boxes
    for box in boxes:
        assert not intersect(box, submit), (box, submit)


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [(PHONE, 1), (ZOOMED_LAPTOP, 2), (NARROW_LAPTOP, 1)],
    ids=["phone-390", "laptop-at-200-percent", "laptop-1100"],
)
async def test_the_review_screen_fits_small_windows(
    shared_platform: Platform, new_session: OpenSession, viewport: ViewportSize, scale: float
) -> None:
    """390 px (a phone); 640 x 400 CSS px at device_scale_factor 2 (a 1280 x 800
    laptop at 200 % zoom); 1100 px (a narrow laptop window, sticky form)."""
    platform = shared_platform
    await wait_for_pending(platform, "eu", 3)
    username = platform.new_user("ana", team="team-eu")
    tab = await new_session(f"reviewer-{viewport['width']}", viewport, scale)
    page = tab.page
    await tab.login(platform.url, username)
    await claim(page, 3)
    await expect(page.locator("#payload-image")).to_be_visible()

    assert await horizontal_overflow(page) == 0
    # The top bar: every part inside the window, nothing cut off or scrolled.
    topbar = page.locator("#topbar")
    assert await topbar.evaluate("bar => bar.scrollWidth <= bar.clientWidth")
    for part in ("#topbar .brand", "#whoami", "#shortcuts-button", "#logout-button", "#nav a"):
        assert await fully_visible(page.locator(part).first) is None, part

    # Every control of the form can be scrolled to and is not covered.
    for selector in FORM_CONTROLS:
        problem = await fully_visible(page.locator(selector))
        assert problem is None, f"{selector}: {problem}"
    assert await horizontal_overflow(page) == 0

    # Toasts keep off the submit button wherever the page is scrolled.
    for block in ("end", "center", "start"):
        await page.locator("#submit-review").evaluate(
            f"node => node.scrollIntoView({{block: '{block}'}})"
        )
        await page.keyboard.press("x")  # an extension: a toast
        await expect(page.locator("#toasts .toast").last).to_contain_text("Lease extended")
        await toasts_clear_of_submit(page)
    # Scrolling with a toast up moves it out of the way too.
    await page.locator("#submit-review").evaluate("node => node.scrollIntoView({block: 'end'})")
    await toasts_clear_of_submit(page)

    # And the form works at this size.
    await page.locator('label[for="decision-approve"]').click()
    await page.locator('label[for="rating-5"]').click()
    await page.locator("#submit-review").click()
    await expect(page.locator("#toasts")).to_contain_text("Approved with rating 5")
    await tab.screenshot(f"review-{viewport['width']}x{viewport['height']}")
    if viewport == PHONE:
        await page.evaluate("window.scrollTo(0, 0)")
        await tab.readme_screenshot("review-narrow")

    assert real_errors(tab) == []
