from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor

# A bounded chunk per statement, so no statement holds its row locks for long;
# SKIP LOCKED lets two re-queue runs (or a re-queue and a claim) share the work
# instead of waiting on each other. The audit rows are written by the same
# statement, so a chunk and its trail commit together.
_REQUEUE_CHUNK = text(
    f"""
    WITH stale AS (
        SELECT e.event_id, e.assigned_user_id,
               CASE WHEN e.lease_expires_at <= now() THEN 'lease_expired'
                    ELSE 'session_ended' END AS reason
        FROM events AS e
        WHERE e.status = 'assigned'
          AND (
            e.lease_expires_at <= now()
            OR NOT EXISTS (
                SELECT 1 FROM sessions AS s
                WHERE s.user_id = e.assigned_user_id
                  AND s.revoked_at IS NULL
                  AND s.expires_at > now()
            )
          )
        LIMIT :chunk
        FOR UPDATE OF e SKIP LOCKED
    ),
    requeued AS (
        UPDATE events AS e
        SET status = 'pending', assigned_user_id = NULL, assigned_at = NULL,
            lease_expires_at = NULL
        FROM stale
        WHERE e.event_id = stale.event_id
        RETURNING e.event_id
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT :actor_type, :actor, '{AuditAction.EVENT_REQUEUED.value}', stale.event_id,
               jsonb_build_object('reason', stale.reason,
                                  'previous_holder', stale.assigned_user_id)
        FROM stale
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM requeued) AS requeued, (SELECT count(*) FROM audited) AS audited
    """
)


async def requeue_chunk(session: AsyncSession, chunk: int, actor: Actor) -> int:
    result = await session.execute(
        _REQUEUE_CHUNK, {"chunk": chunk, "actor_type": actor.kind.value, "actor": actor.name}
    )
    requeued, _ = result.one()
    return int(requeued)


# QA tasks whose lease ran out go back for another lead or QA reviewer.
_REQUEUE_QA_CHUNK = text(
    f"""
    WITH stale AS (
        SELECT task_id, event_id FROM qa_tasks
        WHERE status = 'assigned' AND lease_expires_at <= now()
        LIMIT :chunk
        FOR UPDATE SKIP LOCKED
    ),
    requeued AS (
        UPDATE qa_tasks AS t
        SET status = 'pending', assigned_user_id = NULL, assigned_at = NULL,
            lease_expires_at = NULL
        FROM stale WHERE t.task_id = stale.task_id
        RETURNING t.task_id, t.event_id
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT :actor_type, :actor, '{AuditAction.QA_REQUEUED.value}', event_id,
               jsonb_build_object('task_id', task_id)
        FROM requeued
    )
    SELECT count(*) FROM requeued
    """
)


async def requeue_qa_chunk(session: AsyncSession, chunk: int, actor: Actor) -> int:
    result = await session.execute(
        _REQUEUE_QA_CHUNK, {"chunk": chunk, "actor_type": actor.kind.value, "actor": actor.name}
    )
    return int(result.scalar_one())
