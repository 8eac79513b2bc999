from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event, UserSession
from event_review.central.identity.actor import Actor
from event_review.central.requeue.service import requeue_stale
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"


async def claim(client: httpx.AsyncClient, user: UserHandle, size: int) -> list[str]:
    batch = (await client.post(NEXT, json={"size": size}, headers=user.headers)).json()
    return [e["event_id"] for e in batch["events"]]


async def expire_leases(session: AsyncSession, user: UserHandle) -> None:
    await session.execute(
        update(Event)
        .where(Event.assigned_user_id == user.user_id)
        .values(lease_expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()


async def statuses(session: AsyncSession, ids: list[str]) -> set[str]:
    rows = await session.scalars(
        select(Event.status)
        .where(Event.event_id.in_([uuid.UUID(i) for i in ids]))
        .execution_options(populate_existing=True)
    )
    return set(rows.all())


async def test_expired_leases_and_ended_sessions_go_back(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, database: Database
) -> None:
    expired = await factory.reviewer(["eu"])
    logged_out = await factory.reviewer(["eu"])
    timed_out = await factory.reviewer(["eu"])
    active = await factory.reviewer(["eu"])
    await factory.ingest("eu", 12)
    expired_ids = await claim(client, expired, 3)
    logged_out_ids = await claim(client, logged_out, 3)
    timed_out_ids = await claim(client, timed_out, 3)
    active_ids = await claim(client, active, 2)
    reviewed_id = active_ids.pop()
    await client.post(
        f"/api/v1/events/{reviewed_id}/review",
        json={"decision": "approve", "rating": 4},
        headers=active.headers,
    )
    await expire_leases(session, expired)
    await client.post("/api/v1/auth/logout", headers=logged_out.headers)
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == timed_out.user_id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()

    count = await requeue_stale(database.sessionmaker, chunk=100, workers=1)

    assert count == 9
    assert await statuses(session, expired_ids + logged_out_ids + timed_out_ids) == {"pending"}
    assert await statuses(session, active_ids) == {"assigned"}
    assert await statuses(session, [reviewed_id]) == {"submitted"}
    reasons: dict[uuid.UUID, str] = dict(
        (
            await session.execute(
                select(AuditEntry.event_id, AuditEntry.details["reason"].astext).where(
                    AuditEntry.action == "event.requeued"
                )
            )
        ).all()
    )
    assert {str(k) for k, v in reasons.items() if v == "lease_expired"} == set(expired_ids)
    assert {str(k) for k, v in reasons.items() if v == "session_ended"} == set(
        logged_out_ids + timed_out_ids
    )
    requeued = await session.get(Event, uuid.UUID(expired_ids[0]), populate_existing=True)
    assert requeued is not None
    assert (requeued.assigned_user_id, requeued.assigned_at, requeued.lease_expires_at) == (
        None,
        None,
        None,
    )


async def test_requeue_works_in_chunks(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, database: Database
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 7)
    ids = await claim(client, reviewer, 7)
    await expire_leases(session, reviewer)

    count = await requeue_stale(database.sessionmaker, chunk=3, workers=1)

    assert count == 7
    assert await statuses(session, ids) == {"pending"}
    assert await requeue_stale(database.sessionmaker, chunk=3, workers=1) == 0


async def test_two_runs_at_once_share_the_work(fresh_db: ServerLocation) -> None:
    """Concurrent re-queue runs neither fail nor count an event twice."""
    database = Database.connect(fresh_db, application_name="test-requeue", pool_size=4)
    try:
        async with database.sessionmaker() as session:
            await session.execute(
                text("INSERT INTO regions (code, api_url) VALUES ('eu', 'http://127.0.0.1:9')")
            )
            await session.execute(
                text(
                    "INSERT INTO users (username, password_hash, role) "
                    "VALUES ('holder', 'x', 'admin')"
                )
            )
            await session.execute(
                text(
                    """
                    INSERT INTO events (external_event_id, region_code, event_type, occurred_at,
                                        status, assigned_user_id, assigned_at, lease_expires_at)
                    SELECT 'e' || n, 'eu', 'collision', now(), 'assigned',
                           (SELECT user_id FROM users), now() - interval '1 hour',
                           now() - interval '1 minute'
                    FROM generate_series(1, 3000) AS n
                    """
                )
            )
            await session.commit()

        counts = await asyncio.gather(
            requeue_stale(database.sessionmaker, chunk=100, actor=Actor.service("a")),
            requeue_stale(database.sessionmaker, chunk=100, actor=Actor.service("b")),
        )

        assert sum(counts) == 3000
        async with database.sessionmaker() as session:
            pending = await session.scalar(
                select(func.count()).select_from(Event).where(Event.status == "pending")
            )
            audited = await session.scalar(
                select(func.count(AuditEntry.event_id.distinct())).where(
                    AuditEntry.action == "event.requeued"
                )
            )
            audit_rows = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "event.requeued")
            )
        assert (pending, audited, audit_rows) == (3000, 3000, 3000)
    finally:
        await database.dispose()
