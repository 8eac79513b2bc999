from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, String, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction, Event, EventStatus
from event_review.central.events.repository import EVENT_COLUMNS, returning_events

# One statement, one index scan per region. A single scan with
# `region_code = ANY(...)` cannot use the index order and sorts every pending
# row of those regions (seconds per claim at millions of rows); scanning each
# region's slice of ix_events_pending_claim in order, then merging at most
# `size` rows per region, costs the same at 2 million pending rows as at 20.
# SKIP LOCKED inside each scan lets concurrent claimers walk past each other.
# The same statement writes the audit rows and returns the claimed rows whole:
# a claim is one round trip, not three.
CLAIM_SQL = text(
    f"""
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
    ),
    claimed AS (
        UPDATE events AS e
        SET status = 'assigned',
            assigned_user_id = :user_id,
            assigned_at = now(),
            lease_expires_at = now() + :lease
        FROM candidates
        WHERE e.event_id = candidates.event_id
        RETURNING e.*
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT 'user', :actor, '{AuditAction.EVENT_ASSIGNED.value}', claimed.event_id, '{{}}'::jsonb
        FROM claimed
    )
    SELECT {EVENT_COLUMNS} FROM claimed
    ORDER BY priority DESC, created_at, event_id
    """
)
_CLAIM = returning_events(CLAIM_SQL)


# Hot path statements, built once (see auth.repository._SESSION_QUERY).
_LOCK_CLAIMANT = select(
    func.pg_advisory_xact_lock(func.hashtextextended(bindparam("user_key", type_=String), 0))
)
_HELD_BY = (
    select(Event.__table__)
    .where(
        Event.status == EventStatus.ASSIGNED,
        Event.assigned_user_id == bindparam("user_id"),
        Event.lease_expires_at > func.now(),
    )
    .order_by(Event.priority.desc(), Event.created_at, Event.event_id)
)


async def lock_claimant(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise one user's claims, so two clicks cannot claim two batches."""
    await session.execute(_LOCK_CLAIMANT, {"user_key": str(user_id)})


async def held_by(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Row[Any]]:
    """The user's events under an unexpired lease, in claim order."""
    return (await session.execute(_HELD_BY, {"user_id": user_id})).all()


async def claim(
    session: AsyncSession,
    user_id: uuid.UUID,
    actor: str,
    regions: Collection[str],
    size: int,
    lease: timedelta,
) -> Sequence[Row[Any]]:
    """Assign up to `size` pending events to the user; the claimed rows, in claim order."""
    if not regions or size < 1:
        return []
    result = await session.execute(
        _CLAIM,
        {
            "regions": sorted(regions),
            "size": size,
            "user_id": user_id,
            "lease": lease,
            "actor": actor,
        },
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
