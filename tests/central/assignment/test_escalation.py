"""Escalation: a reviewer asks for a second opinion; the region's leads claim it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.assignment.repository import _CLAIMS
from event_review.central.db.models import AuditAction, AuditEntry, Event, Queue, Role
from event_review.central.requeue.service import requeue_stale
from event_review.runtime.database import Database
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"


async def claim(
    client: httpx.AsyncClient, who: UserHandle, size: int = 5, queue: str = "review"
) -> list[str]:
    response = await client.post(NEXT, json={"size": size, "queue": queue}, headers=who.headers)
    assert response.status_code == 200, response.text
    return [e["event_id"] for e in response.json()["events"]]


async def escalate(
    client: httpx.AsyncClient, who: UserHandle, event_id: str, note: str = "two vehicles?"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/escalate", json={"note": note}, headers=who.headers
    )


async def test_an_escalated_event_goes_to_the_regions_leads_and_not_to_reviewers(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await factory.team("escalation-eu", ["eu"])
    reviewer = await factory.user(team)
    colleague = await factory.user(team)
    lead = await factory.user(team, Role.LEAD)
    other_lead = await factory.reviewer(["us"], Role.LEAD)
    [event_id] = await factory.ingest("eu", 1, priority=99)
    await factory.ingest("eu", 1, priority=1)
    assert (await claim(client, reviewer, 1)) == [event_id]

    response = await escalate(client, reviewer, event_id)

    assert response.status_code == 204, response.text
    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert (event.status, event.queue, event.escalated_by, event.escalation_note) == (
        "pending", "escalated", reviewer.username, "two vehicles?",
    )  # fmt: skip
    # The queue's first event, but not for reviewers.
    assert event_id not in await claim(client, colleague, 5)
    assert await claim(client, other_lead, 5, "escalated") == []
    assert await claim(client, lead, 5, "escalated") == [event_id]
    audited = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.EVENT_ESCALATED,
            AuditEntry.event_id == uuid.UUID(event_id),
        )
    )
    assert audited is not None
    assert "two vehicles" not in str(audited.details)
    reviewed = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "reject", "rating": 2},
        headers=lead.headers,
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["review_revision"] == 1


async def test_only_leads_and_admins_claim_escalations(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    qa = await factory.reviewer(["eu"], Role.QA)
    for who in (reviewer, qa):
        response = await client.post(
            NEXT, json={"size": 1, "queue": "escalated"}, headers=who.headers
        )
        assert (response.status_code, response.json()["error"]["code"]) == (
            403, "role_required",
        )  # fmt: skip


async def test_a_leads_lease_that_runs_out_sends_the_event_back_to_the_escalations(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, database: Database
) -> None:
    team = await factory.team("escalation-requeue", ["eu"])
    reviewer = await factory.user(team)
    lead = await factory.user(team, Role.LEAD)
    [event_id] = await factory.ingest("eu", 1)
    await claim(client, reviewer, 1)
    await escalate(client, reviewer, event_id)
    assert await claim(client, lead, 1, "escalated") == [event_id]
    await session.execute(
        update(Event)
        .where(Event.event_id == uuid.UUID(event_id))
        .values(lease_expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()

    assert await requeue_stale(database.sessionmaker, chunk=100, workers=1) == 1

    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert (event.status, event.queue) == ("pending", "escalated")


async def test_escalation_refusals(client: httpx.AsyncClient, factory: Factory) -> None:
    team = await factory.team("escalation-refusals", ["eu"])
    reviewer = await factory.user(team)
    peer = await factory.user(team)
    lead = await factory.user(team, Role.LEAD)
    [held, pending] = await factory.ingest("eu", 2, priority=50)
    await claim(client, reviewer, 1)

    not_holder = await escalate(client, peer, held)
    not_assigned = await escalate(client, peer, pending)
    no_note = await client.post(
        f"/api/v1/events/{held}/escalate", json={"note": "  "}, headers=reviewer.headers
    )
    assert (not_holder.status_code, not_holder.json()["error"]["code"]) == (403, "not_holder")
    assert (not_assigned.status_code, not_assigned.json()["error"]["code"]) == (
        409, "not_assigned",
    )  # fmt: skip
    assert no_note.status_code == 422
    assert (await escalate(client, reviewer, held)).status_code == 204
    assert await claim(client, lead, 1, "escalated") == [held]
    again = await escalate(client, lead, held)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_escalated")


@pytest.mark.parametrize(
    ("queue", "index"),
    [(Queue.REVIEW, "ix_events_pending_claim"), (Queue.ESCALATED, "ix_events_escalated_claim")],
)
async def test_each_queue_is_claimed_on_its_own_index(
    session: AsyncSession, factory: Factory, queue: Queue, index: str
) -> None:
    await factory.ingest("eu", 50)
    fresh, _ = _CLAIMS[queue]
    plan = "\n".join(
        row[0]
        for row in await session.execute(
            text(f"EXPLAIN {fresh.element.text}"),  # type: ignore[attr-defined]
            {"regions": ["eu"], "size": 10, "user_id": uuid.uuid4(), "lease": timedelta(minutes=15),
             "actor": "x"},
        )
    )  # fmt: skip
    assert index in plan, plan
    assert "Seq Scan on events" not in plan, plan
