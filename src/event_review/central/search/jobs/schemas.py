from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from event_review.central.db.models import ExportJob, ExportStatus
from event_review.central.search.export import ExportFormat
from event_review.central.search.filters import SortBy


def download_path(job_id: uuid.UUID) -> str:
    return f"/api/v1/search/exports/{job_id}/download"


class ExportJobOut(BaseModel):
    job_id: uuid.UUID
    status: ExportStatus
    format: ExportFormat
    regions: list[str] = Field(description="The regions searched, fixed when it was asked.")
    sort: SortBy
    rows_written: int
    rows_total: int | None = Field(description="Counted when the job starts; null until then.")
    progress: float = Field(ge=0, le=1, description="Share of `rows_total` written (1 when done).")
    size_bytes: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None = Field(description="After this, the file is deleted (410).")
    error: str | None = Field(
        description="Why it failed; while it runs, what made its last run stop, if anything."
    )
    download_url: str | None = Field(description="Where the file is, once `done`.")

    @classmethod
    def of(cls, job: ExportJob) -> ExportJobOut:
        status = ExportStatus(job.status)
        if status is ExportStatus.DONE:
            progress = 1.0
        elif job.rows_total:
            progress = min(1.0, job.rows_written / job.rows_total)
        else:
            progress = 0.0
        return cls(
            job_id=job.job_id,
            status=status,
            format=ExportFormat(job.format),
            regions=list(job.regions),
            sort=SortBy(job.sort),
            rows_written=job.rows_written,
            rows_total=job.rows_total,
            progress=round(progress, 4),
            size_bytes=job.bytes_written,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            error=job.error,
            download_url=download_path(job.job_id) if status is ExportStatus.DONE else None,
        )
