from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, EventStatus

# One statement, one index scan per region. A single scan with
# `region_code = ANY(...)` cannot use the index order and sorts every pending
# row of those regions (seconds per claim at millions of rows); scanning each
# region's slice of ix_events_pending_claim in order, then merging at most
# `size` rows per region, costs the same at 2 million pending rows as at 20.
# SKIP LOCKED inside each scan lets concurrent claimers walk past each other.
CLAIM_SQL = text(
    """
    WITH candidates AS (
        SELECT c.event_id
        FROM unnest(CAST(:regions AS text[])) AS r(code)
        CROSS JOIN LATERAL (
            SELECT e.event_id, e.priority, e.created_at
            FROM events AS e
            WHERE e.status = 'pending' AND e.region_code = r.code
            ORDER BY e.priority DESC, e.created_at, e.event_id
            LIMIT :size
            FOR UPDATE SKIP LOCKED
        ) AS c
        ORDER BY c.priority DESC, c.created_at, c.event_id
        LIMIT :size
    )
    UPDATE events AS e
    SET status = 'assigned',
        assigned_user_id = :user_id,
        assigned_at = now(),
        lease_expires_at = now() + :lease
    FROM candidates
    WHERE e.event_id = candidates.event_id
    RETURNING e.event_id
    """
)


async def lock_claimant(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise one user's claims, so two clicks cannot claim two batches."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(str(user_id), 0)))
    )


async def held_by(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Event]:
    result = await session.scalars(
        select(Event)
        .where(
            Event.status == EventStatus.ASSIGNED,
            Event.assigned_user_id == user_id,
            Event.lease_expires_at > func.now(),
        )
        .order_by(Event.priority.desc(), Event.created_at, Event.event_id)
    )
    return result.all()


async def claim(
    session: AsyncSession,
    user_id: uuid.UUID,
    regions: Collection[str],
    size: int,
    lease: timedelta,
) -> list[uuid.UUID]:
    if not regions or size < 1:
        return []
    result = await session.execute(
        CLAIM_SQL,
        {"regions": sorted(regions), "size": size, "user_id": user_id, "lease": lease},
    )
    return [row[0] for row in result]


async def load(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> Sequence[Event]:
    if not event_ids:
        return []
    result = await session.scalars(
        select(Event)
        .where(Event.event_id.in_(event_ids))
        .order_by(Event.priority.desc(), Event.created_at, Event.event_id)
        .execution_options(populate_existing=True)
    )
    return result.all()


async def release(session: AsyncSession, event_id: uuid.UUID) -> None:
    await session.execute(
        update(Event)
        .where(Event.event_id == event_id)
        .values(
            status=EventStatus.PENDING,
            assigned_user_id=None,
            assigned_at=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
