from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction, QaStatus, QaTask, ReviewRevisionRow

# Claimed like events: one ordered scan of ix_qa_tasks_pending_claim per region,
# SKIP LOCKED, and never a task whose review the claimant wrote.
CLAIM_SQL = text(
    f"""
    WITH candidates AS (
        SELECT c.task_id
        FROM unnest(CAST(:regions AS text[])) AS r(code)
        CROSS JOIN LATERAL (
            SELECT t.task_id, t.priority, t.created_at
            FROM qa_tasks AS t
            WHERE t.status = 'pending' AND t.region_code = r.code
              AND t.reviewer_id IS DISTINCT FROM :user_id
            ORDER BY t.priority DESC, t.created_at, t.task_id
            LIMIT :size
            FOR UPDATE SKIP LOCKED
        ) AS c
        ORDER BY c.priority DESC, c.created_at, c.task_id
        LIMIT :size
    ),
    claimed AS (
        UPDATE qa_tasks AS t
        SET status = 'assigned', assigned_user_id = :user_id, assigned_at = now(),
            lease_expires_at = now() + :lease
        FROM candidates
        WHERE t.task_id = candidates.task_id
        RETURNING t.task_id, t.event_id
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT 'user', :actor, '{AuditAction.QA_ASSIGNED.value}', claimed.event_id,
               jsonb_build_object('task_id', claimed.task_id)
        FROM claimed
    )
    SELECT task_id FROM claimed
    """
)


async def claim(
    session: AsyncSession,
    user_id: uuid.UUID,
    actor: str,
    regions: Collection[str],
    size: int,
    lease: timedelta,
) -> int:
    if not regions:
        return 0
    result = await session.execute(
        CLAIM_SQL,
        {"regions": sorted(regions), "size": size, "user_id": user_id, "lease": lease,
         "actor": actor},
    )  # fmt: skip
    return len(result.all())


async def held_by(session: AsyncSession, user_id: uuid.UUID) -> Sequence[QaTask]:
    return (
        await session.scalars(
            select(QaTask)
            .where(
                QaTask.status == QaStatus.ASSIGNED,
                QaTask.assigned_user_id == user_id,
                QaTask.lease_expires_at > func.now(),
            )
            .order_by(QaTask.priority.desc(), QaTask.created_at, QaTask.task_id)
            .execution_options(populate_existing=True)
        )
    ).all()


async def get_for_update(session: AsyncSession, task_id: int) -> QaTask | None:
    return await session.scalar(select(QaTask).where(QaTask.task_id == task_id).with_for_update())


async def finish(
    session: AsyncSession,
    task_id: int,
    verdict: str,
    revision: int,
    by: str,
    qa_answers: dict[str, Any],
    reviewed_answers: dict[str, Any],
) -> None:
    await session.execute(
        update(QaTask)
        .where(QaTask.task_id == task_id)
        .values(
            status=QaStatus.DONE,
            verdict=verdict,
            revision=revision,
            verdict_by=by,
            verdict_at=func.now(),
            qa_answers=qa_answers,
            reviewed_answers=reviewed_answers,
            assigned_user_id=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )


async def give_back(session: AsyncSession, task_id: int) -> None:
    await session.execute(
        update(QaTask)
        .where(QaTask.task_id == task_id)
        .values(
            status=QaStatus.PENDING, assigned_user_id=None, assigned_at=None, lease_expires_at=None
        )
        .execution_options(synchronize_session=False)
    )


async def revision(session: AsyncSession, event_id: uuid.UUID, number: int) -> ReviewRevisionRow:
    found = await session.get(ReviewRevisionRow, (event_id, number))
    assert found is not None, "a QA task names a revision its event has"
    return found


# Each finished task with the author of the revision it judged: the rows the
# agreement figures are made of.
_JUDGED = text(
    """
    SELECT t.reviewed_answers, t.qa_answers, t.verdict, r.reviewer
    FROM qa_tasks AS t
    JOIN review_revisions AS r ON r.event_id = t.event_id AND r.revision = t.revision
    WHERE t.status = 'done' AND t.form_key = :form_key
      AND (CAST(:regions AS text[]) IS NULL OR t.region_code = ANY(CAST(:regions AS text[])))
    ORDER BY t.verdict_at
    """
)


async def judged(
    session: AsyncSession, form_key: str, regions: Collection[str] | None
) -> Sequence[Row[Any]]:
    params = {"form_key": form_key, "regions": None if regions is None else sorted(regions)}
    return (await session.execute(_JUDGED, params)).all()
