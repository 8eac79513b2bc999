"""The dash-cam image: zoomed with a click or z (Esc closes, focus returns),
and blurred by default for a reviewer who asks for it, remembered per user,
with a control to reveal it."""

from __future__ import annotations

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import claim, real_errors, wait_for_pending  # noqa: E402


async def test_the_image_zooms_and_can_be_blurred_by_default(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    await wait_for_pending(platform, "eu", 1)
    careful = platform.new_user("careful", team="team-eu")
    other = platform.new_user("other", team="team-eu")
    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, careful)
    await claim(page, 1)
    image = page.locator("#payload-image")
    await expect(image).to_be_visible()
    small = await image.bounding_box()
    assert small is not None

    # A click zooms; Esc closes and gives focus back to the image.
    await page.locator("#payload-zoom").click()
    dialog = page.locator("#image-dialog")
    await expect(dialog).to_be_visible()
    large = await page.locator("#zoomed-image").bounding_box()
    assert large is not None
    assert large["width"] > 2 * small["width"]
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(page.locator("#payload-zoom")).to_be_focused()
    # So does z, from anywhere on the review screen.
    await page.locator(".queue-item").first.focus()
    await page.keyboard.press("z")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")

    # Blurred by default, once asked for: until revealed, and after a reload.
    await page.get_by_label("Blur images").check()
    await expect(image).to_have_class("blurred")
    assert "blur" in await image.evaluate("img => getComputedStyle(img).filter")
    reveal = page.get_by_role("button", name="Show image")
    await expect(reveal).to_be_visible()
    await page.keyboard.press("z")  # a blurred image is not zoomed
    await expect(dialog).to_have_count(0)
    await tab.screenshot("image-blurred")
    await page.reload()
    await expect(page.locator("#payload-image")).to_have_class("blurred")
    await page.get_by_role("button", name="Show image").click()
    await expect(page.locator("#payload-image")).not_to_have_class("blurred")
    await expect(page.get_by_label("Blur images")).to_be_checked()

    # The choice is this reviewer's: another one on the same browser sees images.
    await page.get_by_role("button", name="Log out").click()
    await tab.login(platform.url, other)
    await claim(page, 1)
    await expect(page.locator("#payload-image")).not_to_have_class("blurred")
    await expect(page.get_by_label("Blur images")).not_to_be_checked()

    assert real_errors(tab) == []
