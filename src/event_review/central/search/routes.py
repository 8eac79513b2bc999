from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from event_review.central.audit.schemas import AuditOut
from event_review.central.events.schemas import EventOut
from event_review.central.identity.dependencies import CurrentPrincipal, Overseer
from event_review.central.paging import DEFAULT_PAGE, Cursor, KeysetPage, Limit
from event_review.central.search import service
from event_review.central.search.export import MEDIA_TYPES, ExportFormat
from event_review.central.search.jobs.routes import router as jobs_router
from event_review.central.search.query import SEARCH_ERRORS, SearchQuery
from event_review.runtime.access import publish_access_rules
from event_review.runtime.database import Database, DbSession

router = APIRouter(prefix="/api/v1", tags=["search"])


@router.get("/search/events", response_model=KeysetPage[EventOut], responses=SEARCH_ERRORS)
async def search_events(
    overseer: Overseer,
    session: DbSession,
    search: SearchQuery,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> KeysetPage[EventOut]:
    """Events and their review outcomes, newest first, in pages that stay fast however deep.
    Metadata and outcomes only, never payloads."""
    return await service.search_events(
        session, overseer, search.regions, search.filters, search.reviewer, search.sort,
        cursor, limit,
    )  # fmt: skip


@router.get(
    "/search/events/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {m: {} for m in MEDIA_TYPES.values()}, "description": "The rows"},
        **SEARCH_ERRORS,
    },
)
async def export_events(
    overseer: Overseer,
    session: DbSession,
    request: Request,
    search: SearchQuery,
    format: Annotated[ExportFormat, Query(description="`csv` or `jsonl`.")] = ExportFormat.CSV,
) -> StreamingResponse:
    """The whole search as a download, streamed as it is read: metadata and review outcomes,
    never payloads; the comment and a form's text fields only for regions whose review-text
    policy keeps them central. CSV cells a spreadsheet would run as a formula are escaped."""
    database: Database = request.app.state.database
    rows, filename = await service.export_events(
        session, database.sessionmaker, overseer, search.regions, search.filters,
        search.reviewer, search.sort, format,
    )  # fmt: skip
    return StreamingResponse(
        rows,
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/me/history", response_model=KeysetPage[AuditOut])
async def own_history(
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> KeysetPage[AuditOut]:
    """What you reviewed, corrected, skipped, escalated and judged in QA, newest first."""
    return await service.own_history(session, principal, cursor, limit)


# Background exports, for searches too large to download in one request.
router.include_router(publish_access_rules(jobs_router))
