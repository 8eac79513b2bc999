from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, String, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditAction,
    Event,
    EventSkip,
    EventStatus,
    Queue,
    SkipReason,
)
from event_review.central.events.repository import EVENT_COLUMNS, returning_events


def _claiming(candidates: str) -> str:
    """A claim of the `candidates` rows: assigned, audited and returned in one statement."""
    return f"""
    WITH candidates AS ({candidates}),
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
    ORDER BY rank_at, event_id
    """


def _fresh(queue: Queue) -> str:
    # The queue is a literal, not a parameter: each queue has its own partial
    # index, and only a literal lets the planner prove the index applies.
    return f"""
        SELECT c.event_id
        FROM unnest(CAST(:regions AS text[])) AS r(code)
        CROSS JOIN LATERAL (
            SELECT e.event_id, e.rank_at
            FROM events AS e
            WHERE e.status = 'pending' AND e.queue = '{queue.value}' AND e.region_code = r.code
              AND NOT EXISTS (
                  SELECT 1 FROM event_skips AS s
                  WHERE s.user_id = :user_id AND s.event_id = e.event_id
              )
            ORDER BY e.rank_at, e.event_id
            LIMIT :size
            FOR UPDATE SKIP LOCKED
        ) AS c
        ORDER BY c.rank_at, c.event_id
        LIMIT :size
        """


def _skipped(queue: Queue) -> str:
    return f"""
        SELECT e.event_id
        FROM event_skips AS s
        JOIN events AS e ON e.event_id = s.event_id
        WHERE s.user_id = :user_id
          AND e.status = 'pending' AND e.queue = '{queue.value}'
          AND e.region_code = ANY(CAST(:regions AS text[]))
        ORDER BY e.rank_at, e.event_id
        LIMIT :size
        FOR UPDATE OF e SKIP LOCKED
        """


# One statement, one index scan per region. A single scan with
# `region_code = ANY(...)` cannot use the index order and sorts every pending
# row of those regions (seconds per claim at millions of rows); scanning each
# region's slice of ix_events_pending_claim in order, then merging at most
# `size` rows per region, costs the same at 2 million pending rows as at 20.
# SKIP LOCKED inside each scan lets concurrent claimers walk past each other.
# Events the claimant skipped are stepped over inside the scan, one
# primary-key probe of event_skips per row walked. The same statement writes
# the audit rows and returns the claimed rows whole: a claim is one round
# trip, not three. Leads claim escalated events with the same statement on
# their own index.
CLAIM_SQL = text(_claiming(_fresh(Queue.REVIEW)))
# The claimant's own skips, for when nothing else is left for them: a second
# statement, run only then, so the hot claim above stays as small as it was.
CLAIM_SKIPPED_SQL = text(_claiming(_skipped(Queue.REVIEW)))
CLAIM_ESCALATED_SQL = text(_claiming(_fresh(Queue.ESCALATED)))
_CLAIMS = {
    queue: (
        returning_events(text(_claiming(_fresh(queue)))),
        returning_events(text(_claiming(_skipped(queue)))),
    )
    for queue in Queue
}


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
    .order_by(Event.rank_at, Event.event_id)
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
    queue: Queue = Queue.REVIEW,
) -> Sequence[Row[Any]]:
    """Assign up to `size` pending events to the user; the claimed rows, in claim order.

    Events the user skipped come last, and only when too few others are left.
    """
    if not regions or size < 1:
        return []
    values = {"regions": sorted(regions), "size": size, "user_id": user_id, "lease": lease,
              "actor": actor}  # fmt: skip
    fresh, skipped = _CLAIMS[queue]
    claimed = list((await session.execute(fresh, values)).all())
    if len(claimed) < size:
        values["size"] = size - len(claimed)
        claimed.extend((await session.execute(skipped, values)).all())
    return claimed


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


# A lease grows back to a full lease from now, but never past the longest hold
# counted from the claim. An event still assigned to its holder is extended
# even if its lease just ran out: until the re-queue runs, no one else has it.
EXTEND_SQL = text(
    f"""
    WITH extended AS (
        UPDATE events AS e
        SET lease_expires_at = least(p.lease_end, e.assigned_at + p.max_hold)
        FROM (
            SELECT now() + CAST(:lease AS interval) AS lease_end,
                   CAST(:max_hold AS interval) AS max_hold
        ) AS p
        WHERE e.status = 'assigned' AND e.assigned_user_id = :user_id
          AND (CAST(:event_ids AS uuid[]) IS NULL OR e.event_id = ANY(CAST(:event_ids AS uuid[])))
          AND least(p.lease_end, e.assigned_at + p.max_hold) > e.lease_expires_at
        RETURNING e.event_id, e.lease_expires_at
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT 'user', :actor, '{AuditAction.EVENT_LEASE_EXTENDED.value}', event_id,
               jsonb_build_object('lease_expires_at', lease_expires_at)
        FROM extended
    )
    SELECT count(*) FROM extended
    """
)
_ASSIGNED_TO = select(func.count()).where(
    Event.status == EventStatus.ASSIGNED, Event.assigned_user_id == bindparam("user_id")
)


async def extend(
    session: AsyncSession,
    user_id: uuid.UUID,
    actor: str,
    event_ids: Collection[uuid.UUID] | None,
    lease: timedelta,
    max_hold: timedelta,
) -> int:
    """Extend the leases of what the user holds (or of `event_ids` among it); how many grew."""
    result = await session.execute(
        EXTEND_SQL,
        {
            "user_id": user_id,
            "actor": actor,
            "event_ids": None if event_ids is None else list(event_ids),
            "lease": lease,
            "max_hold": max_hold,
        },
    )
    return int(result.scalar_one())


async def assigned_count(
    session: AsyncSession, user_id: uuid.UUID, event_ids: Collection[uuid.UUID] | None = None
) -> int:
    """Events assigned to the user (of `event_ids`), counting leases run out that the
    re-queue has not seen yet."""
    statement = _ASSIGNED_TO
    if event_ids is not None:
        statement = statement.where(Event.event_id.in_(list(event_ids)))
    return int((await session.execute(statement, {"user_id": user_id})).scalar_one())


async def record_skip(
    session: AsyncSession, user_id: uuid.UUID, event_id: uuid.UUID, reason: SkipReason | None
) -> None:
    statement = insert(EventSkip).values(user_id=user_id, event_id=event_id, reason=reason)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[EventSkip.user_id, EventSkip.event_id],
            set_={"reason": statement.excluded.reason, "skipped_at": func.now()},
        )
    )


async def escalate(session: AsyncSession, event_id: uuid.UUID, by: str, note: str) -> None:
    await session.execute(
        update(Event)
        .where(Event.event_id == event_id)
        .values(
            queue=Queue.ESCALATED,
            escalated_at=func.now(),
            escalated_by=by,
            escalation_note=note,
        )
        .execution_options(synchronize_session=False)
    )
