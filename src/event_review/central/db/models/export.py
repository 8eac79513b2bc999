from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # gave up after too many attempts, its chunks deleted
    EXPIRED = "expired"  # past its expiry, its chunks deleted


class ExportJob(Base):
    """A search exported in the background: what was asked, how far it got, when it expires.

    The keyset cursor and the counts are committed with each chunk, so a worker
    that dies mid-job leaves it exactly where its last chunk ended.
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status"
        ),
        CheckConstraint("format IN ('csv', 'jsonl')", name="format"),
        CheckConstraint("(cursor_value IS NULL) = (cursor_id IS NULL)", name="cursor_whole"),
        # What the exporter claims: queued jobs, and running ones whose lease ran out.
        Index(
            "ix_export_jobs_claimable",
            "created_at",
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        # A requester's own jobs, newest first.
        Index("ix_export_jobs_requester", "requested_by", "created_at", "job_id"),
        # What the sweep deletes.
        Index("ix_export_jobs_expiry", "expires_at", postgresql_where=text("status = 'done'")),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(8))
    # The search as resolved when it was asked: the regions in the requester's scope
    # then, the filters (the reviewer as an id) and the sort.
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    sort: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'queued'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Regions whose typed text the export carries, fixed when it starts, so every
    # chunk (whichever worker writes it) follows the same policy.
    text_regions: Mapped[list[str] | None] = mapped_column(ARRAY(String(16)))
    rows_total: Mapped[int | None] = mapped_column(BigInteger)
    rows_written: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    chunks_written: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    bytes_written: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # The sort key and id of the last row written: where the next chunk starts.
    cursor_value: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cursor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Who works on it until when: a worker checks its token with every chunk, so one
    # whose lease ran out (and was taken over) cannot write a chunk twice.
    lease_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExportChunk(Base):
    """A piece of an export's file, in order: the same bytes the streamed export sends."""

    __tablename__ = "export_chunks"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("export_jobs.job_id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
