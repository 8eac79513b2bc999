from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from event_review.central.identity.dependencies import Overseer
from event_review.central.paging import DEFAULT_PAGE, Cursor, KeysetPage, Limit
from event_review.central.search.export import MEDIA_TYPES, ExportFormat
from event_review.central.search.jobs import service
from event_review.central.search.jobs.schemas import ExportJobOut
from event_review.central.search.query import SEARCH_ERRORS, SearchQuery
from event_review.contracts.errors import documented
from event_review.runtime.database import Database, DbSession

router = APIRouter(tags=["search"])

_NOT_YOURS = "Nobody but its requester and admins sees a job (`export_not_found`)"


@router.post(
    "/search/exports",
    status_code=202,
    response_model=ExportJobOut,
    responses={
        **SEARCH_ERRORS,
        **documented(e409="Five of your exports are queued or running (`too_many_exports`)"),
    },
)
async def create_export(
    overseer: Overseer,
    session: DbSession,
    search: SearchQuery,
    response: Response,
    format: Annotated[ExportFormat, Query(description="`csv` or `jsonl`.")] = ExportFormat.CSV,
) -> ExportJobOut:
    """Export a whole search in the background, with the filters of `GET /search/events`:
    the same rows and bytes as `GET /search/events/export`, written by the `exporter` into
    a file kept centrally until it expires. Poll the job for its progress; download it once
    it is `done`."""
    job = await service.create(
        session, overseer, search.regions, search.filters, search.reviewer, search.sort, format
    )
    response.headers["Location"] = f"/api/v1/search/exports/{job.job_id}"
    return job


@router.get("/search/exports", response_model=KeysetPage[ExportJobOut], responses=documented())
async def own_exports(
    overseer: Overseer,
    session: DbSession,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> KeysetPage[ExportJobOut]:
    """Your export jobs, newest first."""
    return await service.own(session, overseer, cursor, limit)


@router.get(
    "/search/exports/{job_id}", response_model=ExportJobOut, responses=documented(e404=_NOT_YOURS)
)
async def get_export(overseer: Overseer, session: DbSession, job_id: uuid.UUID) -> ExportJobOut:
    """An export job: its status (`queued`, `running`, `done`, `failed`, `expired`), rows
    written of the total, and once done where to download it until when."""
    return await service.get(session, overseer, job_id)


@router.get(
    "/search/exports/{job_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {m: {} for m in MEDIA_TYPES.values()}, "description": "The file"},
        **documented(
            e403="The lead's team no longer covers a region of the export (`region_not_in_team`)",
            e404=_NOT_YOURS,
            e409="Not done yet (`export_not_ready`), or failed (`export_failed`)",
            e410="Expired, its file deleted (`export_expired`)",
        ),
    },
)
async def download_export(
    overseer: Overseer, session: DbSession, request: Request, job_id: uuid.UUID
) -> StreamingResponse:
    """The export's file, streamed from where it is stored; audited."""
    database: Database = request.app.state.database
    chunks, job = await service.download(session, database.sessionmaker, overseer, job_id)
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[ExportFormat(job.format)],
        headers={
            "Content-Disposition": f'attachment; filename="{service.filename(job)}"',
            "Content-Length": str(job.bytes_written),
            "Cache-Control": "no-store",
        },
    )
