"""The admin API of regions: registration with a key shown once, changes, key rotation."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry
from event_review.central.regions.keys import digest
from tests.central.admin_api import ADMIN, admin, error_code
from tests.factories import Factory


async def test_creating_a_region_returns_its_ingest_key_once(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    boss = await admin(factory)

    created = await client.post(
        f"{ADMIN}/regions",
        json={"code": " JP ", "api_url": "https://jp.example.com/"},
        headers=boss.headers,
    )

    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert (body["code"], body["api_url"]) == ("jp", "https://jp.example.com")
    key = body["ingest_key"]
    assert key.startswith("erk_")
    # The key works for the new region's forwarder...
    ingest = await client.post(
        "/api/v1/internal-ingest/event",
        json={
            "external_event_id": "jp-1",
            "region_code": "jp",
            "event_type": "harsh_braking",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert ingest.status_code == 201, ingest.text
    # ...and is never shown again: lists carry no key, the database only a digest.
    listed = await client.get(f"{ADMIN}/regions", headers=boss.headers)
    assert "ingest_key" not in listed.text
    assert key not in listed.text
    audit = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "region.added"))
    ).all()
    assert key not in str([a.details for a in audit])
    assert digest(key) not in str([a.details for a in audit])
    assert (audit[-1].actor_type, audit[-1].actor) == ("user", boss.username)


async def test_region_validation(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    await factory.region("eu")

    unknown_field = await client.post(
        f"{ADMIN}/regions",
        json={"code": "jp", "api_url": "https://jp.example.com", "ingest_key": "mine"},
        headers=boss.headers,
    )
    bad_code = await client.post(
        f"{ADMIN}/regions", json={"code": "1x", "api_url": "https://x.test"}, headers=boss.headers
    )
    bad_url = await client.post(
        f"{ADMIN}/regions", json={"code": "jp", "api_url": "ftp://jp"}, headers=boss.headers
    )
    missing = await client.post(f"{ADMIN}/regions", json={"code": "jp"}, headers=boss.headers)
    duplicate = await client.post(
        f"{ADMIN}/regions", json={"code": "eu", "api_url": "https://x.test"}, headers=boss.headers
    )

    assert unknown_field.status_code == 422
    assert unknown_field.json()["error"]["details"][0]["loc"] == ["body", "ingest_key"]
    assert unknown_field.json()["error"]["details"][0]["type"] == "extra_forbidden"
    # The one region-code rule (contracts.fields), named for the field that broke it.
    assert (bad_code.status_code, error_code(bad_code)) == (422, "validation_error")
    [problem] = bad_code.json()["error"]["details"]
    assert (problem["loc"], problem["type"]) == (["body", "code"], "region_code")
    assert "a letter first" in problem["msg"]
    assert (bad_url.status_code, error_code(bad_url)) == (422, "invalid_api_url")
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["loc"] == ["body", "api_url"]
    assert (duplicate.status_code, error_code(duplicate)) == (409, "region_exists")


async def test_updating_a_region(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    await factory.region("eu")

    moved = await client.patch(
        f"{ADMIN}/regions/eu", json={"api_url": "https://eu-2.example.com"}, headers=boss.headers
    )
    purging = await client.patch(
        f"{ADMIN}/regions/EU",
        json={"retention_policy": "purge_after_days", "retention_days": 30},
        headers=boss.headers,
    )
    inconsistent = await client.patch(
        f"{ADMIN}/regions/eu", json={"retention_policy": "keep", "retention_days": 3},
        headers=boss.headers,
    )  # fmt: skip
    unknown = await client.patch(
        f"{ADMIN}/regions/xx", json={"api_url": "https://x.test"}, headers=boss.headers
    )
    negative = await client.patch(
        f"{ADMIN}/regions/eu", json={"retention_days": -1}, headers=boss.headers
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["api_url"] == "https://eu-2.example.com"
    assert moved.json()["retention_policy"] == "keep"
    assert purging.status_code == 200, purging.text
    assert (purging.json()["retention_policy"], purging.json()["retention_days"]) == (
        "purge_after_days",
        30,
    )
    assert purging.json()["api_url"] == "https://eu-2.example.com"
    assert (inconsistent.status_code, error_code(inconsistent)) == (422, "invalid_retention")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_region")
    assert negative.status_code == 422


async def test_rotating_an_ingest_key(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    old = await factory.region("eu")

    issued = await client.post(
        f"{ADMIN}/regions/eu/ingest-keys", json={"revoke_others": True}, headers=boss.headers
    )

    assert issued.status_code == 201, issued.text
    assert issued.json()["revoked_others"] is True
    new_key = issued.json()["ingest_key"]
    body = {
        "external_event_id": f"rot-{uuid.uuid4().hex[:6]}",
        "region_code": "eu",
        "event_type": "harsh_braking",
        "occurred_at": "2026-01-01T00:00:00Z",
    }
    refused = await client.post("/api/v1/internal-ingest/event", json=body, headers=old.headers)
    accepted = await client.post(
        "/api/v1/internal-ingest/event", json=body, headers={"Authorization": f"Bearer {new_key}"}
    )
    assert refused.status_code == 401
    assert accepted.status_code == 201
