"""An admin registers a webhook (its secret shown once), pauses and resumes it, retries
a parked delivery and deletes it, on the #/webhooks screen."""

from __future__ import annotations

import uuid

from tests.web.conftest import OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import expect  # noqa: E402

from tests.web.browsing import accessibility_problems, real_errors, wait_for_pending  # noqa: E402

# A public address literal (no DNS needed), so the centre's SSRF rules accept it.
# `up` runs no webhook worker, so nothing is ever sent there.
RECEIVER = "https://93.184.215.14/hooks/"


async def test_an_admin_manages_a_webhook_and_retries_a_parked_delivery(
    shared_platform: Platform, new_session: OpenSession
) -> None:
    platform = shared_platform
    url = RECEIVER + uuid.uuid4().hex[:8]
    tab = await new_session("admin")
    page = tab.page
    await tab.login(platform.url, "admin")
    await page.get_by_role("link", name="Webhooks").click()
    await expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()

    # A URL the centre may not call is refused, with the reason.
    await page.get_by_label("Receiver URL").fill("https://169.254.169.254/latest/meta-data/")
    await page.get_by_role("button", name="Add webhook").click()
    await expect(page.locator("#webhooks-status")).to_contain_text("link-local")

    await page.get_by_label("Receiver URL").fill(url)
    await page.get_by_label("Description").fill("Browser test receiver")
    await page.get_by_label("Regions").fill("eu")
    await page.get_by_role("button", name="Add webhook").click()
    secret = page.locator("#webhook-secret code")
    await expect(secret).to_contain_text("whsec_")
    shown = await secret.text_content()
    row = page.locator("#webhooks-table tbody tr", has_text=url)
    await expect(row).to_contain_text("Active")
    await expect(row).to_contain_text("review.created")
    await expect(row).to_contain_text("EU · every event type")
    [hook] = [
        h
        for h in platform.api("GET", "/api/v1/admin/webhooks?limit=200", "admin").json()["items"]
        if h["url"] == url
    ]
    assert "secret" not in hook
    assert shown is not None
    assert shown.startswith("whsec_")

    # Shown once: gone after a reload.
    await page.reload()
    await expect(row).to_be_visible()
    await expect(page.locator("#webhook-secret")).to_have_count(0)

    # A review in the EU makes a delivery; it is parked here as the worker would park it.
    await wait_for_pending(platform, "eu", 1)
    reviewer = platform.new_user("hooks", team="team-eu")
    batch = platform.api("POST", "/api/v1/assignments/next-batch", reviewer, json={"size": 1})
    event_id = batch.json()["events"][0]["event_id"]
    reviewed = platform.api(
        "POST", f"/api/v1/events/{event_id}/review", reviewer,
        json={"decision": "approve", "rating": 3},
    )  # fmt: skip
    assert reviewed.status_code == 200, reviewed.text
    parked = await platform.query(
        "UPDATE webhook_deliveries SET status = 'failed', attempts = 8, last_status_code = 500,"
        " last_error = 'the receiver answered HTTP 500'"
        " WHERE webhook_id = $1 AND event_id = $2 RETURNING delivery_id",
        uuid.UUID(hook["webhook_id"]), uuid.UUID(event_id),
    )  # fmt: skip
    [delivery_id] = [r["delivery_id"] for r in parked]

    await row.get_by_role("button", name="Deliveries").click()
    delivery = page.locator(f'#webhook-deliveries-table tr[data-delivery-id="{delivery_id}"]')
    await expect(delivery).to_contain_text("Parked")
    await expect(delivery).to_contain_text("HTTP 500")
    assert await accessibility_problems(page) == []
    await delivery.get_by_role("button", name="Retry").click()
    await expect(page.locator("#toasts")).to_contain_text("Retry scheduled")
    await expect(delivery).to_contain_text("next")
    [state] = await platform.query(
        "SELECT status, attempts FROM webhook_deliveries WHERE delivery_id = $1", delivery_id
    )
    assert (state["status"], state["attempts"]) == ("pending", 0)

    # Pause, resume.
    await row.get_by_role("button", name="Pause").click()
    await expect(row).to_contain_text("Paused")
    await row.get_by_role("button", name="Resume").click()
    await expect(row).to_contain_text("Active")

    # A new secret, confirmed, shown once.
    await row.get_by_role("button", name="New secret").click()
    await page.get_by_role("dialog").get_by_role("button", name="Renew secret").click()
    await expect(secret).to_contain_text("whsec_")
    assert await secret.text_content() != shown

    # Delete, confirmed.
    await row.get_by_role("button", name=f"Delete webhook to {url}").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(page.locator("#toasts")).to_contain_text("Webhook deleted")
    await expect(row).to_have_count(0)
    assert [
        h
        for h in platform.api("GET", "/api/v1/admin/webhooks?limit=200", "admin").json()["items"]
        if h["url"] == url
    ] == []
    assert real_errors(tab, "status of 422") == []
