"""The audit page: who did what to which event, for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from event_review.central.audit import repository
from event_review.central.audit.schemas import AuditOut
from event_review.central.identity.dependencies import Admin
from event_review.central.paging import (
    DEFAULT_PAGE,
    Cursor,
    KeysetPage,
    Limit,
    decode_cursor,
    keyset_page,
)
from event_review.contracts.fields import LINE
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/audit", response_model=KeysetPage[AuditOut])
async def list_audit(
    admin: Admin,
    session: DbSession,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="An action, e.g. event.reviewed; `event.` for a family"),
        LINE,
    ] = None,
    actor: Annotated[str | None, Query(max_length=128), LINE] = None,
    event_id: uuid.UUID | None = None,
    occurred_from: Annotated[
        AwareDatetime | None, Query(description="From this time on (inclusive).")
    ] = None,
    occurred_until: Annotated[
        AwareDatetime | None, Query(description="Before this time (exclusive).")
    ] = None,
) -> KeysetPage[AuditOut]:
    """The audit trail, newest first: who did what to which event. Never payload content.
    Paged by `cursor`: each page's `next_cursor` gives the next."""
    del admin
    after = decode_cursor(cursor, id_kind=int) if cursor else None
    rows = await repository.list_entries(
        session, limit, after, action=action, actor=actor, event_id=event_id,
        since=occurred_from, until=occurred_until,
    )  # fmt: skip
    return keyset_page(rows, limit, repository.page_key, AuditOut.model_validate)
