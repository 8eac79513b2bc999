"""Who may ask for an export job, see it and download it.

A job is checked and scoped like a search when it is asked for (the same
filters, the same 403s and 404s), and stored with the regions it was scoped
to, so the worker never widens it. Only its requester (and admins) see it; to
anyone else it does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, ExportJob, ExportStatus, Role
from event_review.central.identity.principal import Principal
from event_review.central.paging import KeysetPage, decode_cursor, keyset_page
from event_review.central.search import service as search
from event_review.central.search.export import ExportFormat
from event_review.central.search.filters import EventFilters, SortBy, stored
from event_review.central.search.jobs import repository
from event_review.central.search.jobs.schemas import ExportJobOut
from event_review.runtime.errors import ApiError, Conflict, Forbidden, NotFound

# Queued or running jobs one person may have at once: each holds a worker for a while.
MAX_ACTIVE = 5


class Gone(ApiError):
    status_code = 410
    code = "gone"


async def create(
    session: AsyncSession,
    principal: Principal,
    named_regions: Sequence[str],
    filters: EventFilters,
    reviewer: str | None,
    sort: SortBy,
    fmt: ExportFormat,
) -> ExportJobOut:
    scope, resolved = await search.resolve(session, principal, named_regions, filters, reviewer)
    if await repository.active_count(session, principal.user_id) >= MAX_ACTIVE:
        raise Conflict(
            f"you have {MAX_ACTIVE} exports queued or running; wait for one to finish",
            code="too_many_exports",
        )
    job = await repository.add(
        session,
        requested_by=principal.user_id,
        fmt=fmt.value,
        regions=scope,
        filters=stored(resolved),
        sort=sort,
    )
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.SEARCH_EXPORT_QUEUED,
        details={"job_id": str(job.job_id), "format": fmt.value, "regions": sorted(scope),
                 "sort": sort.value},
    )  # fmt: skip
    return ExportJobOut.of(job)


async def _visible(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> ExportJob:
    job = await repository.get(session, job_id)
    if job is None or (job.requested_by != principal.user_id and principal.role is not Role.ADMIN):
        raise NotFound("no such export", code="export_not_found")
    return job


async def get(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> ExportJobOut:
    return ExportJobOut.of(await _visible(session, principal, job_id))


async def own(
    session: AsyncSession, principal: Principal, after: str | None, limit: int
) -> KeysetPage[ExportJobOut]:
    position = decode_cursor(after, id_kind=uuid.UUID) if after else None
    rows = await repository.own(session, principal.user_id, position, limit)
    return keyset_page(rows, limit, lambda j: (j.created_at, str(j.job_id)), ExportJobOut.of)


def filename(job: ExportJob) -> str:
    return f"events-{job.created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.{job.format}"


async def download(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: Principal,
    job_id: uuid.UUID,
) -> tuple[AsyncIterator[bytes], ExportJob]:
    """The stored file, chunk by chunk, each read in a short transaction of its own."""
    job = await _visible(session, principal, job_id)
    status = ExportStatus(job.status)
    expired = status is ExportStatus.EXPIRED or (
        status is ExportStatus.DONE
        and job.expires_at is not None
        and job.expires_at <= datetime.now(UTC)
    )
    if not expired and status is ExportStatus.DONE:
        expired = await repository.kept_text_moved(session, job.text_regions or [])
    if expired:
        raise Gone("this export has expired and its file is deleted; export again",
                   code="export_expired")  # fmt: skip
    if status is ExportStatus.FAILED:
        raise Conflict(f"this export failed: {job.error}", code="export_failed")
    if status is not ExportStatus.DONE:
        raise Conflict(
            f"this export is {status.value}; download it once it is done", code="export_not_ready"
        )
    outside = sorted(set(job.regions) - principal.region_codes)
    if principal.role is not Role.ADMIN and outside:
        # The team lost a region since: the file holds rows the requester may no longer see.
        raise Forbidden(f"your team no longer covers {', '.join(outside)}",
                        code="region_not_in_team")  # fmt: skip
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.SEARCH_EXPORT_DOWNLOADED,
        details={"job_id": str(job.job_id), "format": job.format, "rows": job.rows_written},
    )
    return _chunks(sessionmaker, job.job_id, job.chunks_written), job


async def _chunks(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID, count: int
) -> AsyncIterator[bytes]:
    for seq in range(count):
        async with sessionmaker() as session, session.begin():
            data = await repository.chunk(session, job_id, seq)
        if data is None:  # expired (and deleted) while it was being read
            return
        yield data
