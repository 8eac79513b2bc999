"""A skipped event goes to the other reviewers first, and back to the skipper last."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction, AuditEntry, Event, EventSkip
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"


async def _claim(client: httpx.AsyncClient, who: UserHandle, size: int) -> list[str]:
    response = await client.post(NEXT, json={"size": size}, headers=who.headers)
    assert response.status_code == 200, response.text
    return [e["event_id"] for e in response.json()["events"]]


async def _skip(
    client: httpx.AsyncClient, who: UserHandle, event_id: str, reason: str | None = None
) -> httpx.Response:
    body = {"reason": reason} if reason else None
    return await client.post(f"/api/v1/events/{event_id}/skip", json=body, headers=who.headers)


async def test_a_skip_gives_the_event_back_and_records_why(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await _claim(client, reviewer, 1)

    response = await _skip(client, reviewer, event_id, "needs_expert")

    assert response.status_code == 204, response.text
    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert (event.status, event.assigned_user_id) == ("pending", None)
    skip = await session.get(EventSkip, (reviewer.user_id, uuid.UUID(event_id)))
    assert skip is not None
    assert skip.reason == "needs_expert"
    audited = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.EVENT_SKIPPED,
            AuditEntry.event_id == uuid.UUID(event_id),
        )
    )
    assert audited is not None
    assert (audited.actor, audited.details) == (reviewer.username, {"reason": "needs_expert"})


async def test_the_skipper_gets_other_events_and_the_others_get_the_skipped_one(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    team = await factory.team("skip-team", ["eu"])
    skipper = await factory.user(team)
    colleague = await factory.user(team)
    top = await factory.ingest("eu", 1, priority=90)
    rest = await factory.ingest("eu", 3, priority=10)
    assert await _claim(client, skipper, 1) == top
    assert (await _skip(client, skipper, top[0])).status_code == 204

    # The skipped event is still the queue's first, but not for the skipper.
    assert await _claim(client, skipper, 1) == rest[:1]
    assert await _claim(client, colleague, 1) == top


async def test_skipped_events_come_back_only_when_nothing_else_is_left(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    skipped = await factory.ingest("eu", 2, priority=90)
    [other] = await factory.ingest("eu", 1, priority=10)
    assert await _claim(client, reviewer, 2) == skipped
    for event_id in skipped:
        assert (await _skip(client, reviewer, event_id, "unclear")).status_code == 204

    assert await _claim(client, reviewer, 1) == [other]  # lower priority, but not skipped
    reviewed = await client.post(
        f"/api/v1/events/{other}/review",
        json={"decision": "reject", "rating": 2},
        headers=reviewer.headers,
    )
    assert reviewed.status_code == 200, reviewed.text

    # Nothing else is left for this reviewer: the skipped ones come back, in claim order.
    assert await _claim(client, reviewer, 5) == skipped


async def test_a_skip_without_reason_is_fine(client: httpx.AsyncClient, factory: Factory) -> None:
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await _claim(client, reviewer, 1)

    assert (await _skip(client, reviewer, event_id)).status_code == 204
    await _claim(client, reviewer, 1)  # back: nothing else is left
    assert (await _skip(client, reviewer, event_id, "other")).status_code == 204  # again


@pytest.mark.parametrize("body", [{"reason": "bored"}, {"reason": ""}, {"why": "unclear"}])
async def test_a_skip_reason_comes_from_the_list(
    client: httpx.AsyncClient, factory: Factory, body: dict[str, str]
) -> None:
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await _claim(client, reviewer, 1)

    response = await client.post(
        f"/api/v1/events/{event_id}/skip", json=body, headers=reviewer.headers
    )

    assert response.status_code == 422
    assert (await _claim(client, reviewer, 1)) == [event_id]  # still held: nothing happened


async def test_a_review_ends_the_skips_of_its_event(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await factory.team("skip-review-team", ["eu"])
    skipper = await factory.user(team)
    colleague = await factory.user(team)
    [event_id] = await factory.ingest("eu", 1)
    await _claim(client, skipper, 1)
    await _skip(client, skipper, event_id)
    assert await _claim(client, colleague, 1) == [event_id]

    review = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "approve", "rating": 4},
        headers=colleague.headers,
    )

    assert review.status_code == 200, review.text
    left = await session.scalars(select(EventSkip).where(EventSkip.event_id == uuid.UUID(event_id)))
    assert left.all() == []
