"""Webhook subscriptions through the admin API: admins only, checked, audited."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from event_review.central.db.models import AuditEntry, Role, WebhookSubscription
from tests.central.webhooks.conftest import ADMIN_WEBHOOKS, Receiver, subscribe
from tests.factories import Factory


async def actions(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.like("webhook.%"))
        .order_by(AuditEntry.audit_id)
    )
    return list(rows)


async def test_an_admin_registers_changes_rotates_and_deletes_a_webhook(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await factory.region("us")

    created = await subscribe(
        client, admin, receiver.url, kinds=["review.created", "review.created", "sla.breached"],
        regions=["EU"], event_types=["collision"], description="Ops pager",
    )  # fmt: skip

    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # the library reads it as its own
    assert (created["kinds"], created["regions"], created["event_types"]) == (
        ["review.created", "sla.breached"], ["eu"], ["collision"],
    )  # fmt: skip
    assert (created["active"], created["description"]) == (True, "Ops pager")
    webhook = f"{ADMIN_WEBHOOKS}/{created['webhook_id']}"
    listed = (await client.get(ADMIN_WEBHOOKS, headers=admin.headers)).json()
    assert [w["webhook_id"] for w in listed["items"]] == [created["webhook_id"]]
    assert "secret" not in listed["items"][0]
    assert "secret" not in (await client.get(webhook, headers=admin.headers)).json()

    changed = await client.patch(
        webhook, json={"active": False, "regions": None, "kinds": ["event.escalated"]},
        headers=admin.headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["active"], changed.json()["regions"], changed.json()["kinds"]) == (
        False, [], ["event.escalated"],
    )  # fmt: skip
    assert changed.json()["event_types"] == ["collision"]  # left out: kept

    rotated = await client.post(f"{webhook}/rotate-secret", headers=admin.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    stored = await session.get(WebhookSubscription, uuid.UUID(created["webhook_id"]))
    assert stored is not None
    await session.refresh(stored)
    assert stored.secret == rotated.json()["secret"]

    deleted = await client.delete(webhook, headers=admin.headers)
    assert deleted.status_code == 204
    gone = await client.get(webhook, headers=admin.headers)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "webhook_not_found")
    assert await actions(session) == [
        "webhook.added", "webhook.updated", "webhook.secret_rotated", "webhook.deleted",
    ]  # fmt: skip
    # The audit trail keeps the host, never the secret or the URL's path.
    details = (
        await session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "webhook.added")
        )
    ).one()
    assert details["host"] == "127.0.0.1"
    assert "hooks" not in str(details)
    assert created["secret"] not in str(details)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kinds": []}, 422, "validation_error"),
        ({"kinds": ["review.deleted"]}, 422, "validation_error"),
        ({"regions": ["mars"]}, 404, "unknown_region"),
        ({"regions": ["not a code"]}, 422, "validation_error"),
        ({"event_types": ["Not A Type"]}, 422, "validation_error"),
        ({"secret": "whsec_mine"}, 422, "validation_error"),
    ],
)
async def test_bad_subscriptions_are_refused_with_a_specific_code(
    client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    receiver: Receiver,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    full = {"url": receiver.url, "kinds": ["review.created"], **body}

    response = await client.post(ADMIN_WEBHOOKS, json=full, headers=admin.headers)

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert (await session.scalars(select(WebhookSubscription))).all() == []


async def test_a_patch_cannot_empty_the_kinds_or_null_the_url(
    client: httpx.AsyncClient, factory: Factory, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    created = await subscribe(client, admin, receiver.url)
    webhook = f"{ADMIN_WEBHOOKS}/{created['webhook_id']}"

    bodies: list[dict[str, object]] = [
        {"kinds": []}, {"url": None}, {"kinds": None}, {"active": None},
    ]  # fmt: skip
    for body in bodies:
        response = await client.patch(webhook, json=body, headers=admin.headers)
        assert response.status_code == 422, (body, response.text)
    unknown = await client.patch(
        f"{ADMIN_WEBHOOKS}/{uuid.uuid4()}", json={"active": False}, headers=admin.headers
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "webhook_not_found")


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.QA, Role.LEAD])
async def test_only_admins_reach_any_webhook_route(
    client: httpx.AsyncClient, factory: Factory, receiver: Receiver, role: Role
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    created = await subscribe(client, admin, receiver.url)
    someone = await factory.reviewer(["eu"], role)
    webhook = f"{ADMIN_WEBHOOKS}/{created['webhook_id']}"
    calls = [
        ("GET", ADMIN_WEBHOOKS, None),
        ("POST", ADMIN_WEBHOOKS, {"url": receiver.url, "kinds": ["review.created"]}),
        ("GET", webhook, None),
        ("PATCH", webhook, {"active": False}),
        ("DELETE", webhook, None),
        ("POST", f"{webhook}/rotate-secret", None),
        ("GET", f"{webhook}/deliveries", None),
        ("POST", "/api/v1/admin/webhook-deliveries/1/retry", None),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=someone.headers)
        assert response.status_code == 403, (method, path, response.text)
    # Nothing changed on the way.
    again = (await client.get(webhook, headers=admin.headers)).json()
    assert again["active"] is True
