from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, OutboxStatus
from event_review.central.identity.dependencies import Admin
from event_review.central.writeback import repository
from event_review.central.writeback.schemas import WritebackOut, WritebackPage
from event_review.contracts.errors import ErrorBody
from event_review.runtime.database import DbSession
from event_review.runtime.errors import Conflict, NotFound

router = APIRouter(prefix="/api/v1/admin/writebacks", tags=["admin"])


@router.get("", response_model=WritebackPage)
async def list_writebacks(
    admin: Admin,
    session: DbSession,
    status: OutboxStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WritebackPage:
    """Write-backs, newest first; `status=failed` lists those parked for an admin."""
    del admin
    rows = await repository.list_rows(session, status, limit, offset)
    return WritebackPage(
        items=[WritebackOut.model_validate(r) for r in rows], limit=limit, offset=offset
    )


@router.post(
    "/{outbox_id}/retry",
    response_model=WritebackOut,
    responses={
        404: {"model": ErrorBody, "description": "No such write-back"},
        409: {"model": ErrorBody, "description": "Already delivered"},
    },
)
async def retry_writeback(
    outbox_id: Annotated[int, Path(ge=1, le=2**63 - 1)], admin: Admin, session: DbSession
) -> WritebackOut:
    """Give a parked write-back a fresh round of attempts, starting now."""
    row = await repository.get_for_update(session, outbox_id)
    if row is None:
        raise NotFound(f"no write-back {outbox_id}", code="writeback_not_found")
    if row.status == OutboxStatus.DELIVERED:
        raise Conflict("this write-back was delivered already", code="already_delivered")
    updated = await repository.requeue(session, outbox_id)
    await audit.record(
        session,
        actor=admin.as_actor(),
        action=AuditAction.WRITEBACK_RETRIED,
        event_id=updated.event_id,
        details={"outbox_id": outbox_id},
    )
    return WritebackOut.model_validate(updated)
