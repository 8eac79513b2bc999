from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event, WritebackOutbox
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"
GOOD = {"decision": "reject", "rating": 2, "comment": "  blurry footage  "}


def review_url(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/review"


async def claim_one(client: httpx.AsyncClient, factory: Factory) -> tuple[UserHandle, str]:
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    batch = (await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)).json()
    assert [e["event_id"] for e in batch["events"]] == [event_id]
    return reviewer, event_id


async def test_holder_review_is_stored_with_its_writeback(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer, event_id = await claim_one(client, factory)

    response = await client.post(review_url(event_id), json=GOOD, headers=reviewer.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "submitted"
    assert (body["review_decision"], body["review_rating"]) == ("reject", 2)
    assert body["review_comment"] == "blurry footage"
    assert body["review_user_id"] == str(reviewer.user_id)
    assert body["reviewed_at"] is not None
    assert (body["assigned_user_id"], body["lease_expires_at"]) == (None, None)

    outbox = (
        await session.scalars(
            select(WritebackOutbox).where(WritebackOutbox.event_id == uuid.UUID(event_id))
        )
    ).all()
    assert len(outbox) == 1
    assert outbox[0].status == "pending"
    assert outbox[0].region_code == "eu"
    assert outbox[0].outcome["decision"] == "reject"
    assert outbox[0].outcome["rating"] == 2
    assert outbox[0].outcome["reviewer"] == reviewer.username
    assert outbox[0].outcome["comment"] == "blurry footage"
    # The region is told the same review time the centre recorded.
    assert datetime.fromisoformat(outbox[0].outcome["reviewed_at"]) == datetime.fromisoformat(
        body["reviewed_at"]
    )
    audit = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.event_id == uuid.UUID(event_id), AuditEntry.action == "event.reviewed"
        )
    )
    assert audit is not None
    assert audit.actor == reviewer.username


async def test_second_submission_conflicts_and_changes_nothing(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer, event_id = await claim_one(client, factory)
    await client.post(review_url(event_id), json=GOOD, headers=reviewer.headers)

    again = await client.post(
        review_url(event_id), json={"decision": "approve", "rating": 5}, headers=reviewer.headers
    )

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_reviewed"
    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert (event.review_decision, event.review_rating) == ("reject", 2)
    outbox_rows = await session.scalar(
        select(func.count())
        .select_from(WritebackOutbox)
        .where(WritebackOutbox.event_id == uuid.UUID(event_id))
    )
    assert outbox_rows == 1


async def test_only_the_holder_may_review(client: httpx.AsyncClient, factory: Factory) -> None:
    _, event_id = await claim_one(client, factory)
    peer = await factory.reviewer(["eu"])
    stranger = await factory.reviewer(["us"])

    by_peer = await client.post(review_url(event_id), json=GOOD, headers=peer.headers)
    by_stranger = await client.post(review_url(event_id), json=GOOD, headers=stranger.headers)

    assert (by_peer.status_code, by_peer.json()["error"]["code"]) == (403, "not_holder")
    # Outside the caller's regions the event is reported as absent.
    assert (by_stranger.status_code, by_stranger.json()["error"]["code"]) == (
        404,
        "event_not_found",
    )


async def test_pending_event_cannot_be_reviewed_without_claiming(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)

    response = await client.post(review_url(event_id), json=GOOD, headers=reviewer.headers)

    assert response.status_code == 403
    assert "claim it" in response.json()["error"]["message"]


async def test_expired_lease_refuses_the_review(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer, event_id = await claim_one(client, factory)
    await session.execute(
        update(Event)
        .where(Event.event_id == uuid.UUID(event_id))
        .values(lease_expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()

    response = await client.post(review_url(event_id), json=GOOD, headers=reviewer.headers)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "lease_expired"
    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert (event.status, event.review_decision) == ("assigned", None)


async def test_released_event_cannot_be_reviewed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer, event_id = await claim_one(client, factory)
    await client.post(f"/api/v1/events/{event_id}/release", headers=reviewer.headers)

    response = await client.post(review_url(event_id), json=GOOD, headers=reviewer.headers)

    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "approve", "rating": 0},
        {"decision": "approve", "rating": 6},
        {"decision": "approve", "rating": 2.5},
        {"decision": "maybe", "rating": 3},
        {"decision": "approve"},
        {"rating": 3},
        {"decision": "approve", "rating": 3, "comment": "x" * 4001},
        {"decision": "approve", "rating": 3, "status": "completed"},
        {"decision": "approve", "rating": 3, "review_user_id": str(uuid.uuid4())},
    ],
)
async def test_bad_review_bodies_are_refused(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, body: dict[str, Any]
) -> None:
    reviewer, event_id = await claim_one(client, factory)

    response = await client.post(review_url(event_id), json=body, headers=reviewer.headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert event.status == "assigned"
