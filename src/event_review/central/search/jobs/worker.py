"""The `exporter` loop: runs export jobs chunk by chunk, resumably, and deletes expired ones.

Each chunk is read, formatted and stored in one transaction together with the
job's new cursor and counts, and the job's lease is extended in it. A worker
killed mid-job leaves the job at its last stored chunk; once the lease has
run out, the next worker (this one restarted, or another replica) claims it
and carries on from there, so the file has every row once. A job whose runs
keep failing is failed after `export_max_attempts` runs, with the reason, and
keeps no part of a file.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import NoReturn

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, ExportJob
from event_review.central.identity.actor import Actor
from event_review.central.metrics import EXPORT_JOBS, EXPORT_ROWS
from event_review.central.paging import Position
from event_review.central.search import export
from event_review.central.search.export import ExportFormat
from event_review.central.search.filters import SortBy, from_stored
from event_review.central.search.jobs import repository
from event_review.runtime.loops import DEFAULT_ITERATION_TIMEOUT, LoopState, backoff, run_forever
from event_review.settings import Settings

log = structlog.get_logger(__name__)

ACTOR = Actor.service("exporter")
LOOP = "exporter"
SWEEP_EVERY_SECONDS = 60.0
SWEEP_BATCH = 100


def _reason(exc: BaseException) -> str:
    # A driver error's own message: SQLAlchemy's text would carry the statement and its
    # parameters, which here are the chunk's bytes.
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return f"{type(cause).__name__}: {cause}"[:500]


class Exporter:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.chunk_rows = settings.export_chunk_rows
        self.max_attempts = settings.export_max_attempts
        self.lease = timedelta(seconds=settings.export_lease_seconds)
        self.expiry = timedelta(hours=settings.export_expiry_hours)
        self._swept_at: float | None = None
        self.state: LoopState | None = None

    async def run(self, state: LoopState | None = None, idle_seconds: float = 1.0) -> NoReturn:
        """Export until cancelled, whatever fails on the way."""

        async def iteration() -> bool:
            if self._swept_at is None or time.monotonic() - self._swept_at >= SWEEP_EVERY_SECONDS:
                await self.sweep()
                self._swept_at = time.monotonic()
            return await self.work_once()

        self.state = state or LoopState(LOOP)
        await run_forever(self.state, iteration, idle_seconds=idle_seconds)

    async def sweep(self) -> int:
        """Expire jobs past their time (or holding text that may no longer be here) and
        delete their chunks; how many."""
        total = 0
        while True:
            async with self.sessionmaker() as session, session.begin():
                expired = await repository.expire_due(session, SWEEP_BATCH)
            for job_id, why in expired:
                EXPORT_JOBS.labels("expired").inc()
                log.info("export.expired", job_id=str(job_id), why=why)
            total += len(expired)
            if len(expired) < SWEEP_BATCH:
                return total

    async def work_once(self) -> bool:
        """Claim one job and run it to its end (or until a fault); whether there was one."""
        async with self.sessionmaker() as session, session.begin():
            claimed = await repository.claim(session, self.lease)
        if claimed is None:
            return False
        job_id, token, attempts, last_error = claimed
        if attempts > self.max_attempts:
            # Its earlier runs all stopped without finishing (the worker died each time).
            why = last_error or "the worker stopped before the export finished"
            await self._give_up(job_id, f"gave up after {self.max_attempts} runs: {why}", attempts)
            return True
        try:
            await self._run(job_id, token)
        except Exception as exc:  # one job's fault: recorded on the job, the loop goes on
            await self._failed(job_id, token, attempts, _reason(exc))
        return True

    async def _run(self, job_id: uuid.UUID, token: uuid.UUID) -> None:
        reader: export.Reader | None = None
        while True:
            async with self.sessionmaker() as session, session.begin():
                job = await repository.lock_leased(session, job_id, token)
                if job is None:  # the lease ran out and another worker took over
                    log.warning("export.lease_lost", job_id=str(job_id))
                    return
                filters, sort = from_stored(job.filters), SortBy(job.sort)
                if job.rows_total is None:
                    # The first chunk: the count and the text policy are fixed now, once.
                    kept = sorted(await export.text_kept(session) & set(job.regions))
                    total = await repository.count(session, job.regions, filters, sort)
                    await repository.start(session, job_id, rows_total=total, text_regions=kept)
                    job.text_regions = kept
                if reader is None:
                    reader = export.Reader(job.regions, filters, sort, job.text_regions or ())
                batch = await reader.batch(session, _position(job), self.chunk_rows)
                data = export.encode(
                    batch.records, ExportFormat(job.format), header=job.chunks_written == 0
                )
                await repository.add_chunk(session, job_id, job.chunks_written, data)
                await repository.advance(
                    session, job, following=batch.following, rows=len(batch.records),
                    size=len(data), lease=self.lease, expiry=self.expiry,
                )  # fmt: skip
            EXPORT_ROWS.inc(len(batch.records))
            if self.state is not None:
                # A large export runs for minutes: each stored chunk is progress, for the
                # liveness probe and the stalled-loop alert alike.
                self.state.succeeded()
                self.state.expect_back_within(DEFAULT_ITERATION_TIMEOUT)
            if batch.following is None:
                EXPORT_JOBS.labels("done").inc()
                log.info(
                    "export.done", job_id=str(job_id), rows=job.rows_written + len(batch.records)
                )
                return

    async def _failed(self, job_id: uuid.UUID, token: uuid.UUID, attempts: int, why: str) -> None:
        if attempts >= self.max_attempts:
            await self._give_up(job_id, f"gave up after {attempts} runs: {why}", attempts)
            return
        pause = min(self.lease, timedelta(seconds=backoff(attempts, 1.0, 60.0)))
        async with self.sessionmaker() as session, session.begin():
            await repository.pause(session, job_id, token, why, pause)
        log.warning("export.run_failed", job_id=str(job_id), attempts=attempts, error=why)

    async def _give_up(self, job_id: uuid.UUID, why: str, attempts: int) -> None:
        async with self.sessionmaker() as session, session.begin():
            await repository.fail(session, job_id, why)
            await audit.record(
                session,
                actor=ACTOR,
                action=AuditAction.SEARCH_EXPORT_FAILED,
                details={"job_id": str(job_id), "attempts": attempts, "error": why[:500]},
            )
        EXPORT_JOBS.labels("failed").inc()
        log.error("export.failed", job_id=str(job_id), attempts=attempts, error=why)


def _position(job: ExportJob) -> Position | None:
    """Where the job's next chunk starts: the committed cursor, whoever wrote it."""
    if job.cursor_value is None or job.cursor_id is None:
        return None
    return Position(job.cursor_value, str(job.cursor_id))
