from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from event_review.central.assignment import service
from event_review.central.assignment.schemas import Batch, BatchRequest
from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal
from event_review.contracts.errors import ErrorBody
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1", tags=["assignments"])


@router.post("/assignments/next-batch", response_model=Batch)
async def next_batch(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    body: BatchRequest | None = None,
) -> Batch:
    """Claim a batch of pending events of your team's regions, highest priority and oldest first.

    While you hold unexpired events, this returns those instead of claiming more.
    """
    size = (body or BatchRequest()).size
    return await service.next_batch(session, principal, size, settings.lease)


@router.get("/assignments", response_model=Batch)
async def held(principal: CurrentPrincipal, session: DbSession) -> Batch:
    """The events you hold under an unexpired lease."""
    return await service.held(session, principal)


@router.post(
    "/events/{event_id}/release",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: {"model": ErrorBody, "description": "Another reviewer holds the event"},
        404: {"model": ErrorBody, "description": "No such event that you may see"},
        409: {"model": ErrorBody, "description": "The event is not assigned"},
    },
)
async def release(event_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession) -> None:
    """Give an event you hold back to the queue (skip it)."""
    await service.release(session, principal, event_id)
