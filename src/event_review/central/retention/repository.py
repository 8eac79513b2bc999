from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor

# Completed events whose region no longer wants them centrally, a bounded
# chunk at a time. The audit log keeps who reviewed what and when.
_PURGE_CHUNK = text(
    """
    WITH doomed AS (
        SELECT e.event_id FROM events AS e JOIN regions AS r ON r.code = e.region_code
        WHERE e.status = 'completed'
          AND (r.retention_policy = 'delete_on_complete'
               OR (r.retention_policy = 'purge_after_days'
                   AND e.completed_at < now() - make_interval(days => r.retention_days)))
        LIMIT :chunk
        FOR UPDATE OF e SKIP LOCKED
    )
    DELETE FROM events AS e USING doomed WHERE e.event_id = doomed.event_id
    RETURNING e.event_id, e.region_code
    """
)


async def purge_chunk(session: AsyncSession, chunk: int) -> list[tuple[uuid.UUID, str]]:
    result = await session.execute(_PURGE_CHUNK, {"chunk": chunk})
    return [(row.event_id, row.region_code) for row in result]


async def delete_events(
    session: AsyncSession, event_ids: Sequence[uuid.UUID], *, actor: Actor
) -> None:
    await session.execute(
        text("DELETE FROM events WHERE event_id = ANY(:ids) AND status = 'completed'"),
        {"ids": list(event_ids)},
    )
    await audit.record_many(
        session, actor=actor, action=AuditAction.EVENT_PURGED, event_ids=event_ids
    )
