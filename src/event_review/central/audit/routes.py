"""The audit page: who did what to which event, for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from event_review.central.audit import repository
from event_review.central.audit.schemas import AuditOut
from event_review.central.identity.dependencies import Admin
from event_review.central.paging import DEFAULT_PAGE, Limit, Offset, Page, page_of
from event_review.contracts.fields import LINE
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/audit", response_model=Page[AuditOut])
async def list_audit(
    admin: Admin,
    session: DbSession,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
    action: Annotated[
        str | None,
        Query(max_length=64, description="An action, e.g. event.reviewed; `event.` for a family"),
        LINE,
    ] = None,
    actor: Annotated[str | None, Query(max_length=128), LINE] = None,
    event_id: uuid.UUID | None = None,
) -> Page[AuditOut]:
    """The audit trail, newest first: who did what to which event. Never payload content."""
    del admin
    rows = await repository.list_entries(
        session, limit, offset, action=action, actor=actor, event_id=event_id
    )
    return page_of(rows, limit, offset, AuditOut.model_validate)
