"""Export jobs and their chunks.

A job's progress (cursor, counts, lease) changes only in the transaction that
stores its next chunk, so what is stored and where the job stands never
disagree: a worker killed between chunks leaves a job that the next one
continues exactly there.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    Event,
    ExportChunk,
    ExportJob,
    ExportStatus,
    Region,
    ReviewTextPolicy,
)
from event_review.central.paging import Position
from event_review.central.search import repository as search
from event_review.central.search.filters import EventFilters, SortBy

ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)


async def add(
    session: AsyncSession,
    *,
    requested_by: uuid.UUID,
    fmt: str,
    regions: Collection[str],
    filters: dict[str, Any],
    sort: SortBy,
) -> ExportJob:
    job = ExportJob(
        requested_by=requested_by,
        format=fmt,
        regions=sorted(regions),
        filters=filters,
        sort=sort.value,
        status=ExportStatus.QUEUED,
        attempts=0,
        rows_written=0,
        chunks_written=0,
        bytes_written=0,
    )
    session.add(job)
    await session.flush()
    await session.refresh(job)
    return job


async def get(session: AsyncSession, job_id: uuid.UUID) -> ExportJob | None:
    return await session.scalar(
        select(ExportJob)
        .where(ExportJob.job_id == job_id)
        .execution_options(populate_existing=True)
    )


async def active_count(session: AsyncSession, requested_by: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.count()).where(
            ExportJob.requested_by == requested_by,
            ExportJob.status.in_([s.value for s in ACTIVE]),
        )
    )
    return int(found or 0)


async def own(
    session: AsyncSession, requested_by: uuid.UUID, after: Position | None, limit: int
) -> Sequence[ExportJob]:
    """Up to `limit + 1` of the requester's jobs, newest first, on ix_export_jobs_requester."""
    statement = select(ExportJob).where(ExportJob.requested_by == requested_by)
    if after is not None:
        statement = statement.where(
            tuple_(ExportJob.created_at, ExportJob.job_id)
            < tuple_(after.value, uuid.UUID(after.row_id))
        )
    statement = statement.order_by(ExportJob.created_at.desc(), ExportJob.job_id.desc())
    return (await session.scalars(statement.limit(limit + 1))).all()


# The oldest job nobody works on: queued, or running under a lease that ran out (its
# worker died, or it waits out a pause after a failed run). The run counts on claim.
_CLAIM = text(
    """
    WITH next AS (
        SELECT job_id FROM export_jobs
        WHERE status IN ('queued', 'running')
          AND (lease_expires_at IS NULL OR lease_expires_at <= now())
        ORDER BY created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    UPDATE export_jobs AS j
    SET status = 'running', attempts = j.attempts + 1, lease_token = gen_random_uuid(),
        lease_expires_at = now() + :lease, started_at = coalesce(j.started_at, now())
    FROM next
    WHERE j.job_id = next.job_id
    RETURNING j.job_id, j.lease_token, j.attempts, j.error
    """
)


async def claim(
    session: AsyncSession, lease: timedelta
) -> tuple[uuid.UUID, uuid.UUID, int, str | None] | None:
    row = (await session.execute(_CLAIM, {"lease": lease})).first()
    return None if row is None else (row.job_id, row.lease_token, row.attempts, row.error)


async def lock_leased(
    session: AsyncSession, job_id: uuid.UUID, token: uuid.UUID
) -> ExportJob | None:
    """The job, locked, while this worker still holds its lease; None once it lost it."""
    return await session.scalar(
        select(ExportJob)
        .where(
            ExportJob.job_id == job_id,
            ExportJob.lease_token == token,
            ExportJob.status == ExportStatus.RUNNING,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def count(
    session: AsyncSession, regions: Collection[str], filters: EventFilters, sort: SortBy
) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.region_code.in_(sorted(regions)), *search.conditions(filters, sort))
    )
    return int(found or 0)


async def add_chunk(session: AsyncSession, job_id: uuid.UUID, seq: int, data: bytes) -> None:
    await session.execute(insert(ExportChunk).values(job_id=job_id, seq=seq, data=data))


async def chunk(session: AsyncSession, job_id: uuid.UUID, seq: int) -> bytes | None:
    data: bytes | None = await session.scalar(
        select(ExportChunk.data).where(ExportChunk.job_id == job_id, ExportChunk.seq == seq)
    )
    return data


async def chunk_count(session: AsyncSession, job_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.count()).select_from(ExportChunk).where(ExportChunk.job_id == job_id)
    )
    return int(found or 0)


async def advance(
    session: AsyncSession,
    job: ExportJob,
    *,
    following: Position | None,
    rows: int,
    size: int,
    lease: timedelta,
    expiry: timedelta,
) -> None:
    """Count the chunk just stored and move the cursor past it; the last one finishes the job."""
    values: dict[str, Any] = {
        "rows_written": ExportJob.rows_written + rows,
        "chunks_written": ExportJob.chunks_written + 1,
        "bytes_written": ExportJob.bytes_written + size,
        "cursor_value": following.value if following else None,
        "cursor_id": uuid.UUID(following.row_id) if following else None,
    }
    if following is None:
        values |= {
            "status": ExportStatus.DONE,
            "finished_at": func.now(),
            "expires_at": func.now() + expiry,
            "lease_token": None,
            "lease_expires_at": None,
            "error": None,
        }
    else:
        values["lease_expires_at"] = func.now() + lease
    await session.execute(update(ExportJob).where(ExportJob.job_id == job.job_id).values(**values))


async def start(
    session: AsyncSession, job_id: uuid.UUID, *, rows_total: int, text_regions: Sequence[str]
) -> None:
    await session.execute(
        update(ExportJob)
        .where(ExportJob.job_id == job_id)
        .values(rows_total=rows_total, text_regions=list(text_regions))
    )


async def pause(
    session: AsyncSession, job_id: uuid.UUID, token: uuid.UUID, error: str, until: timedelta
) -> None:
    """After a failed run: free the job for another run once `until` has passed."""
    await session.execute(
        update(ExportJob)
        .where(ExportJob.job_id == job_id, ExportJob.lease_token == token)
        .values(error=error[:2000], lease_token=None, lease_expires_at=func.now() + until)
    )


async def fail(session: AsyncSession, job_id: uuid.UUID, error: str) -> None:
    """Give up: the job says why, and keeps no part of a file."""
    await session.execute(
        update(ExportJob)
        .where(ExportJob.job_id == job_id)
        .values(
            status=ExportStatus.FAILED,
            error=error[:2000],
            finished_at=func.now(),
            lease_token=None,
            lease_expires_at=None,
        )
    )
    await session.execute(delete(ExportChunk).where(ExportChunk.job_id == job_id))


# A region turned `regional` takes its typed text back from the centre: exports
# holding it go too.
_TEXT_MOVED = text(
    "export_jobs.text_regions && ARRAY(SELECT code FROM regions WHERE review_text <> 'central')"
)


async def expire_due(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, str]]:
    """Expire up to `limit` jobs whose time is up, or that carry typed text of a region
    that no longer keeps it central, deleting their chunks; (job, why) of each."""
    past = (
        select(ExportJob.job_id)
        .where(ExportJob.status == ExportStatus.DONE, ExportJob.expires_at <= func.now())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    text_moved = (
        select(ExportJob.job_id)
        .where(
            ExportJob.status.in_([ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE]),
            _TEXT_MOVED,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    expired: list[tuple[uuid.UUID, str]] = []
    for query, why in ((past, None), (text_moved, "a region's review text is no longer kept here")):
        ids = list((await session.scalars(query)).all())
        if not ids:
            continue
        values: dict[str, Any] = {
            "status": ExportStatus.EXPIRED,
            "lease_token": None,
            "lease_expires_at": None,
        }
        if why:
            values["error"] = why
        await session.execute(update(ExportJob).where(ExportJob.job_id.in_(ids)).values(**values))
        await session.execute(delete(ExportChunk).where(ExportChunk.job_id.in_(ids)))
        expired += [(i, why or "expired") for i in ids]
    return expired


async def kept_text_moved(session: AsyncSession, text_regions: Sequence[str]) -> bool:
    """Whether a region whose typed text an export carries no longer keeps it central."""
    if not text_regions:
        return False
    moved = await session.scalar(
        select(func.count()).where(
            Region.code.in_(list(text_regions)), Region.review_text != ReviewTextPolicy.CENTRAL
        )
    )
    return bool(moved)
