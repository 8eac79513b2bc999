from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event
from event_review.central.regions import service as regions
from event_review.contracts.ingest import MAX_BATCH_SIZE, MAX_SUMMARY_BYTES
from tests.factories import TEST, Factory, event_body

ONE = "/api/v1/internal-ingest/event"
BATCH = "/api/v1/internal-ingest/events"


async def count_events(session: AsyncSession, region: str | None = None) -> int:
    stmt = select(func.count()).select_from(Event)
    if region:
        stmt = stmt.where(Event.region_code == region)
    return int(await session.scalar(stmt) or 0)


async def test_single_event_is_stored_pending(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    body = event_body("eu", priority=7, summary={"speed_kmh": 81})

    response = await client.post(ONE, json=body, headers=eu.headers)

    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created"] is True
    event = await session.scalar(select(Event).where(Event.event_id == result["event_id"]))
    assert event is not None
    assert (event.status, event.region_code, event.priority) == ("pending", "eu", 7)
    assert event.summary == {"speed_kmh": 81}
    assert event.assigned_user_id is None


async def test_repeat_returns_existing_id_and_changes_nothing(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    body = event_body("eu", priority=3)
    first = (await client.post(ONE, json=body, headers=eu.headers)).json()

    changed = {**body, "priority": 99, "event_type": "collision"}
    repeat = await client.post(ONE, json=changed, headers=eu.headers)

    assert repeat.status_code == 200
    assert repeat.json() == {**first, "created": False}
    event = await session.scalar(select(Event).where(Event.event_id == first["event_id"]))
    assert event is not None
    await session.refresh(event)
    assert (event.priority, event.event_type) == (3, "harsh_braking")
    assert await count_events(session, "eu") == 1


async def test_batch_mixes_new_and_known_events(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    known = event_body("eu")
    await client.post(ONE, json=known, headers=eu.headers)
    fresh = [event_body("eu") for _ in range(3)]

    response = await client.post(BATCH, json={"events": [known, *fresh]}, headers=eu.headers)

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["existing"]) == (3, 1)
    assert [r["created"] for r in result["results"]] == [False, True, True, True]
    assert [r["external_event_id"] for r in result["results"]] == [
        b["external_event_id"] for b in [known, *fresh]
    ]
    assert await count_events(session, "eu") == 4


async def test_full_batch_of_1000_is_accepted(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    events = [event_body("eu") for _ in range(MAX_BATCH_SIZE)]

    response = await client.post(BATCH, json={"events": events}, headers=eu.headers)

    assert response.status_code == 200, response.text
    assert response.json()["created"] == MAX_BATCH_SIZE
    assert await count_events(session, "eu") == MAX_BATCH_SIZE
    audited = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "event.ingested")
    )
    assert audited == MAX_BATCH_SIZE


async def test_batch_over_the_limit_is_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    eu = await factory.region("eu")
    events = [event_body("eu") for _ in range(MAX_BATCH_SIZE + 1)]

    response = await client.post(BATCH, json={"events": events}, headers=eu.headers)

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["type"] == "too_long"


async def test_one_bad_item_refuses_the_whole_batch(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    events = [event_body("eu") for _ in range(5)]
    events[1]["priority"] = 101
    events[3]["occurred_at"] = "2026-11-27T10:00:00"  # no timezone

    response = await client.post(BATCH, json={"events": events}, headers=eu.headers)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert sorted({d["index"] for d in error["details"]}) == [1, 3]
    reasons = {d["index"]: d["loc"][-1] for d in error["details"]}
    assert reasons == {1: "priority", 3: "occurred_at"}
    assert "index 1, 3" in error["message"]
    assert await count_events(session) == 0


async def test_duplicate_ids_within_a_batch_are_named(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    first = event_body("eu")
    events = [first, event_body("eu"), {**first}]

    response = await client.post(BATCH, json={"events": events}, headers=eu.headers)

    assert response.status_code == 422
    assert [d["index"] for d in response.json()["error"]["details"]] == [2]
    assert await count_events(session) == 0


async def test_key_of_another_region_is_forbidden(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    us = await factory.region("us")
    await factory.region("eu")

    response = await client.post(ONE, json=event_body("eu"), headers=us.headers)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "region_mismatch"
    batch = await client.post(
        BATCH, json={"events": [event_body("us"), event_body("eu")]}, headers=us.headers
    )
    assert batch.status_code == 403
    assert await count_events(session) == 0


async def test_unknown_region_is_refused(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")

    response = await client.post(ONE, json=event_body("zz"), headers=eu.headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_region"
    assert await count_events(session) == 0


async def test_oversize_summary_is_refused(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    body = event_body("eu", summary={"note": "x" * MAX_SUMMARY_BYTES})

    response = await client.post(ONE, json=body, headers=eu.headers)

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["loc"][-1] == "summary"
    assert "limit is 4096" in detail["msg"]
    assert await count_events(session) == 0


async def test_unknown_top_level_fields_are_refused(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    for extra in ({"payload": {"driver_name": "X"}}, {"status": "completed"}):
        response = await client.post(ONE, json={**event_body("eu"), **extra}, headers=eu.headers)
        assert response.status_code == 422
        detail = response.json()["error"]["details"][0]
        assert detail["type"] == "extra_forbidden"
        assert "input" not in detail  # the refused value is not echoed back
    assert await count_events(session) == 0


async def test_summary_must_be_an_object(client: httpx.AsyncClient, factory: Factory) -> None:
    eu = await factory.region("eu")
    response = await client.post(ONE, json=event_body("eu", summary=[1, 2]), headers=eu.headers)
    assert response.status_code == 422


async def test_ingest_needs_a_valid_key(client: httpx.AsyncClient, factory: Factory) -> None:
    await factory.region("eu")
    cases: list[dict[str, Any]] = [
        {},
        {"Authorization": "Bearer erk_not-a-real-key"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
    ]
    for headers in cases:
        response = await client.post(ONE, json=event_body("eu"), headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] in {"missing_token", "invalid_ingest_key"}


async def test_user_token_is_not_an_ingest_key(client: httpx.AsyncClient, factory: Factory) -> None:
    reviewer = await factory.reviewer(["eu"])
    response = await client.post(ONE, json=event_body("eu"), headers=reviewer.headers)
    assert response.status_code == 401


async def test_ingest_keys_rotate_with_two_valid_at_once(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    eu = await factory.region("eu")
    new_key = await regions.issue_ingest_key(session, "eu", revoke_others=False, actor=TEST)
    await session.commit()
    new_headers = {"Authorization": f"Bearer {new_key}"}

    for headers in (eu.headers, new_headers):
        response = await client.post(ONE, json=event_body("eu"), headers=headers)
        assert response.status_code == 201

    assert await regions.revoke_old_ingest_keys(session, "eu", actor=TEST) == 1
    await session.commit()
    old = await client.post(ONE, json=event_body("eu"), headers=eu.headers)
    new = await client.post(ONE, json=event_body("eu"), headers=new_headers)
    assert (old.status_code, new.status_code) == (401, 201)
