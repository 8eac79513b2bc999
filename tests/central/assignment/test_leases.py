"""Extending the leases a reviewer holds, up to the longest hold."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction, AuditEntry
from event_review.settings import Settings
from tests.factories import Factory

NEXT = "/api/v1/assignments/next-batch"
EXTEND = "/api/v1/assignments/extend"


async def _age_claim(session: AsyncSession, event_ids: list[str], by: timedelta) -> None:
    """Move the claim (and its lease) back in time, as if it had been held that long."""
    await session.execute(
        text(
            "UPDATE events SET assigned_at = assigned_at - CAST(:by AS interval), "
            "lease_expires_at = lease_expires_at - CAST(:by AS interval) "
            "WHERE event_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"by": by, "ids": event_ids},
    )
    await session.commit()


async def test_extending_gives_a_full_lease_from_now_and_is_audited(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 3)
    batch = (await client.post(NEXT, json={"size": 3}, headers=reviewer.headers)).json()
    ids = [e["event_id"] for e in batch["events"]]
    await _age_claim(session, ids, timedelta(minutes=10))

    response = await client.post(EXTEND, headers=reviewer.headers)

    assert response.status_code == 200, response.text
    extended = response.json()
    assert [e["event_id"] for e in extended["events"]] == ids
    now = await session.scalar(select(func.now()))
    assert now is not None
    lease_end = datetime.fromisoformat(extended["lease_expires_at"])
    assert abs(lease_end - (now + settings.lease)) < timedelta(seconds=5)
    claimed_at = datetime.fromisoformat(extended["events"][0]["assigned_at"])
    assert datetime.fromisoformat(extended["hold_until"]) == claimed_at + settings.lease_max_hold
    audited = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == AuditAction.EVENT_LEASE_EXTENDED,
            AuditEntry.actor == reviewer.username,
        )
    )
    assert audited == 3


async def test_no_lease_grows_past_the_longest_hold(
    client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    settings: Settings,
    app: FastAPI,
) -> None:
    app.state.settings = settings.model_copy(update={"lease_max_hold_minutes": 20})
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 1)
    batch = (await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)).json()
    ids = [e["event_id"] for e in batch["events"]]
    await _age_claim(session, ids, timedelta(minutes=12))

    first = await client.post(EXTEND, headers=reviewer.headers)
    again = await client.post(EXTEND, headers=reviewer.headers)

    assert first.status_code == 200, first.text
    held = first.json()
    claimed_at = datetime.fromisoformat(held["events"][0]["assigned_at"])
    # 12 minutes held, a full lease would reach 27: the hold of 20 is the limit.
    assert datetime.fromisoformat(held["lease_expires_at"]) == claimed_at + timedelta(minutes=20)
    assert held["hold_until"] == held["lease_expires_at"]
    assert (again.status_code, again.json()["error"]["code"]) == (409, "max_hold_reached")


async def test_only_the_named_events_are_extended(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 2)
    batch = (await client.post(NEXT, json={"size": 2}, headers=reviewer.headers)).json()
    first, second = (e["event_id"] for e in batch["events"])
    await _age_claim(session, [first, second], timedelta(minutes=5))

    response = await client.post(EXTEND, json={"event_ids": [first]}, headers=reviewer.headers)

    leases = {e["event_id"]: e["lease_expires_at"] for e in response.json()["events"]}
    assert leases[first] > leases[second]


async def test_a_lease_that_ran_out_is_kept_until_the_requeue_took_it(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 1)
    batch = (await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)).json()
    ids = [e["event_id"] for e in batch["events"]]
    await _age_claim(session, ids, timedelta(minutes=16))  # a 15-minute lease, run out

    response = await client.post(EXTEND, headers=reviewer.headers)

    assert response.status_code == 200, response.text
    assert [e["event_id"] for e in response.json()["events"]] == ids


async def test_extending_what_you_do_not_hold_is_a_conflict(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    holder = await factory.reviewer(["eu"])
    other = await factory.reviewer(["eu"])
    await factory.ingest("eu", 1)
    batch = (await client.post(NEXT, json={"size": 1}, headers=holder.headers)).json()
    held_id = batch["events"][0]["event_id"]

    nothing = await client.post(EXTEND, headers=other.headers)
    not_theirs = await client.post(EXTEND, json={"event_ids": [held_id]}, headers=other.headers)
    unknown = await client.post(
        EXTEND, json={"event_ids": [str(uuid.uuid4())]}, headers=holder.headers
    )

    for response in (nothing, not_theirs, unknown):
        assert (response.status_code, response.json()["error"]["code"]) == (409, "nothing_held")
    assert "you hold no events" in nothing.json()["error"]["message"]
    assert "none of these events is yours" in not_theirs.json()["error"]["message"]


async def test_extend_refuses_bad_bodies(client: httpx.AsyncClient, factory: Factory) -> None:
    reviewer = await factory.reviewer(["eu"])
    bodies: list[dict[str, object]] = [
        {"event_ids": []},
        {"event_ids": ["nope"]},
        {"ids": []},
        {"event_ids": [1]},
    ]
    for body in bodies:
        response = await client.post(EXTEND, json=body, headers=reviewer.headers)
        assert response.status_code == 422, body
    too_many = {"event_ids": [str(uuid.uuid4()) for _ in range(101)]}
    assert (await client.post(EXTEND, json=too_many, headers=reviewer.headers)).status_code == 422
