"""The webhook worker against real receivers on loopback: signed, retried, parked,
retried by an admin, and never in a review's way."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from event_review.central.db.models import AuditEntry, WebhookDelivery, WebhookSubscription
from tests.central.webhooks.conftest import (
    ADMIN_WEBHOOKS,
    Receiver,
    Stack,
    reviewed,
    subscribe,
)
from tests.fixtures.processes import free_port


async def one_review(stack: Stack) -> str:
    reviewer = await stack.factory.reviewer(["eu"])
    [event_id] = await stack.factory.ingest("eu", 1)
    response = await reviewed(stack.client, reviewer, event_id)
    assert response.status_code == 200, response.text
    return event_id


async def rows(stack: Stack) -> list[WebhookDelivery]:
    async with stack.central.sessionmaker() as session:
        return list(
            (
                await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.delivery_id))
            ).all()
        )


async def due_now(stack: Stack) -> None:
    """Make waiting rows due now instead of waiting out the (tiny) backoff."""
    async with stack.central.sessionmaker() as session:
        await session.execute(update(WebhookDelivery).values(next_attempt_at=func.now()))
        await session.commit()


async def test_a_delivery_is_signed_so_the_receivers_library_verifies_it(
    stack: Stack, receiver: Receiver
) -> None:
    admin = await stack.admin()
    created = await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    event_id = await one_review(stack)

    assert await stack.worker().deliver_due() == 1

    [request] = receiver.requests
    assert request.path == "/hooks/event-review"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    [row] = await rows(stack)
    assert request.headers["webhook-id"] == str(row.message_id)
    verified: dict[str, Any] = Webhook(created["secret"]).verify(request.body, request.headers)
    assert verified["type"] == "review.created"
    assert verified["data"]["event_id"] == event_id
    assert verified == row.body
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
    assert row.delivered_at is not None

    tampered = json.loads(request.body)
    tampered["data"]["decision"] = "reject"
    with pytest.raises(WebhookVerificationError):
        Webhook(created["secret"]).verify(json.dumps(tampered), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    assert await stack.worker().deliver_due() == 0


async def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    stack: Stack, receiver: Receiver
) -> None:
    """`localhost` resolves (once) to 127.0.0.1, which the tests allow; the receiver
    sees its own name in Host although the socket went to the address."""
    admin = await stack.admin()
    url = f"http://localhost:{receiver.port}/hooks/by-name?x=1"
    await subscribe(stack.client, admin, url, kinds=["review.created"])
    await one_review(stack)

    assert await stack.worker().deliver_due() == 1

    [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{receiver.port}"
    assert request.path == "/hooks/by-name"


async def test_a_failing_receiver_gets_the_same_message_again_until_it_takes_it(
    stack: Stack, receiver: Receiver
) -> None:
    admin = await stack.admin()
    created = await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    await one_review(stack)
    receiver.statuses = [500]

    assert await stack.worker().deliver_due() == 1
    [row] = await rows(stack)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert "HTTP 500" in (row.last_error or "")
    await due_now(stack)
    assert await stack.worker().deliver_due() == 1

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(row.message_id)
    assert first.body == second.body
    for request in (first, second):
        Webhook(created["secret"]).verify(request.body, request.headers)
    [row] = await rows(stack)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        "delivered", 2, 200, None,
    )  # fmt: skip


async def test_redirects_are_not_followed_and_timeouts_are_retried(
    stack: Stack, receiver: Receiver
) -> None:
    admin = await stack.admin()
    await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    await one_review(stack)
    receiver.statuses = [307]

    await stack.worker().deliver_due()
    [row] = await rows(stack)
    assert (row.status, row.last_status_code) == ("pending", 307)
    assert [r.path for r in receiver.requests] == ["/hooks/event-review"]  # not /elsewhere

    receiver.delay = stack.settings.webhook_timeout_seconds + 1
    await due_now(stack)
    await stack.worker().deliver_due()
    [row] = await rows(stack)
    assert (row.status, row.attempts) == ("pending", 2)
    assert "Timeout" in (row.last_error or ""), row.last_error


async def test_after_max_attempts_a_delivery_is_parked_and_an_admin_retries_it(
    stack: Stack, receiver: Receiver
) -> None:
    admin = await stack.admin()
    created = await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    await one_review(stack)
    receiver.statuses = [503] * stack.settings.webhook_max_attempts
    worker = stack.worker()

    for _ in range(stack.settings.webhook_max_attempts):
        await due_now(stack)
        assert await worker.deliver_due() == 1
    [row] = await rows(stack)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 503)
    await due_now(stack)
    assert await worker.deliver_due() == 0  # parked: nobody tries it any more
    async with stack.central.sessionmaker() as session:
        parked = await session.scalar(
            select(func.count()).where(AuditEntry.action == "webhook.delivery_failed")
        )
        assert parked == 1

    listed = await stack.client.get(
        f"{ADMIN_WEBHOOKS}/{created['webhook_id']}/deliveries", params={"status": "failed"},
        headers=admin.headers,
    )  # fmt: skip
    assert listed.status_code == 200, listed.text
    assert [d["delivery_id"] for d in listed.json()["items"]] == [row.delivery_id]
    retry = f"/api/v1/admin/webhook-deliveries/{row.delivery_id}/retry"
    retried = await stack.client.post(retry, headers=admin.headers)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)

    assert await worker.deliver_due() == 1
    [row] = await rows(stack)
    assert row.status == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    again = await stack.client.post(retry, headers=admin.headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_delivered")
    missing = await stack.client.post(
        "/api/v1/admin/webhook-deliveries/999999/retry", headers=admin.headers
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404, "webhook_delivery_not_found",
    )  # fmt: skip


async def test_a_dead_or_slow_receiver_never_holds_up_a_review(
    stack: Stack, receiver: Receiver
) -> None:
    admin = await stack.admin()
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    await subscribe(stack.client, admin, dead, kinds=["review.created"])
    await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    receiver.delay = 1.5  # within the timeout: a slow receiver, not a broken one
    await one_review(stack)

    sending = asyncio.create_task(stack.worker().deliver_due())
    while not receiver.requests:
        await asyncio.sleep(0.01)
    # The worker waits on the slow receiver; a review meanwhile is not held up by it.
    await asyncio.wait_for(one_review(stack), timeout=1.0)
    assert not sending.done()
    assert await sending == 2

    by_url: dict[str, list[str]] = {}
    async with stack.central.sessionmaker() as session:
        for row in await session.execute(
            select(WebhookSubscription.url, WebhookDelivery.status)
            .join(WebhookDelivery, WebhookDelivery.webhook_id == WebhookSubscription.webhook_id)
            .order_by(WebhookDelivery.delivery_id)
        ):
            by_url.setdefault(row[0], []).append(row[1])
    assert by_url == {dead: ["pending", "pending"], receiver.url: ["delivered", "pending"]}
    [*_, last] = await rows(stack)
    assert last.status == "pending"


async def test_a_paused_subscription_keeps_its_deliveries_until_it_is_active_again(
    stack: Stack, receiver: Receiver
) -> None:
    admin = await stack.admin()
    created = await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    await one_review(stack)
    webhook = f"{ADMIN_WEBHOOKS}/{created['webhook_id']}"
    await stack.client.patch(webhook, json={"active": False}, headers=admin.headers)

    assert await stack.worker().deliver_due() == 0
    await stack.client.patch(webhook, json={"active": True}, headers=admin.headers)
    assert await stack.worker().deliver_due() == 1
    assert len(receiver.requests) == 1


async def test_a_destination_refused_at_delivery_is_parked_with_the_reason(
    stack: Stack, receiver: Receiver
) -> None:
    """Registered while allowed; by the time of the delivery the rules say no (the
    operator narrowed the allow-list, or the name now resolves elsewhere)."""
    admin = await stack.admin()
    await subscribe(stack.client, admin, receiver.url, kinds=["review.created"])
    reviewer = await stack.factory.reviewer(["eu"])
    [event_id] = await stack.factory.ingest("eu", 1)
    assert (await reviewed(stack.client, reviewer, event_id)).status_code == 200
    narrowed = stack.settings.model_copy(update={"webhook_allowed_networks": ""})

    assert await stack.worker(narrowed).deliver_due() == 1

    assert receiver.requests == []
    async with stack.central.sessionmaker() as session:
        row = (await session.scalars(select(WebhookDelivery))).one()
        assert (row.status, row.attempts) == ("failed", 1)
        assert "destination refused" in (row.last_error or "")
        assert "loopback" in (row.last_error or "")
        parked = await session.scalar(
            select(func.count()).where(AuditEntry.action == "webhook.delivery_failed")
        )
        assert parked == 1
        # The same holds for a URL changed behind the API's back.
        await session.execute(
            update(WebhookSubscription).values(url="https://169.254.169.254/latest/meta-data/")
        )
        await session.execute(
            update(WebhookDelivery).values(status="pending", next_attempt_at=func.now())
        )
        await session.commit()
    assert await stack.worker().deliver_due() == 1
    async with stack.central.sessionmaker() as session:
        row = (await session.scalars(select(WebhookDelivery))).one()
        assert row.status == "failed"
        assert "link-local" in (row.last_error or "")
