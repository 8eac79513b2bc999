from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from event_review.central.assignment import service
from event_review.central.assignment.schemas import (
    Batch,
    BatchRequest,
    EscalateRequest,
    ExtendRequest,
    SkipRequest,
)
from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal
from event_review.contracts.errors import documented
from event_review.runtime.database import DbSession
from event_review.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["assignments"])

_GIVE_BACK_ERRORS = documented(
    e403="Another reviewer holds the event",
    e404="No such event that you may see",
    e409="The event is not assigned (`not_assigned`)",
)


def _leases(settings: Settings) -> service.Leases:
    return service.Leases(length=settings.lease, max_hold=settings.lease_max_hold)


@router.post("/assignments/next-batch", response_model=Batch)
async def next_batch(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    body: BatchRequest | None = None,
) -> Batch:
    """Claim a batch of pending events of your team's regions, highest priority and oldest first.

    Under queue rules with ageing, waiting counts as priority: an event that waited
    the ageing period counts one point higher (`event-review queue-rules`).

    While you hold unexpired events, this returns those instead of claiming more.
    Events you skipped go to others first: you get them back only when nothing
    else is left for you. Leads and admins claim escalated events with
    `queue: escalated`.
    """
    request = body or BatchRequest()
    return await service.next_batch(
        session, principal, request.size, _leases(settings), request.queue
    )


@router.get("/assignments", response_model=Batch)
async def held(principal: CurrentPrincipal, session: DbSession, settings: AppSettings) -> Batch:
    """The events you hold under an unexpired lease."""
    return await service.held(session, principal, _leases(settings))


@router.post(
    "/assignments/extend",
    response_model=Batch,
    responses=documented(
        e409="You hold none of these events (`nothing_held`), or have held them for "
        "the longest hold already (`max_hold_reached`)"
    ),
)
async def extend(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    body: ExtendRequest | None = None,
) -> Batch:
    """Keep the events you hold for another full lease from now, never past the
    longest hold (`hold_until`) counted from the claim. Answers what you hold."""
    event_ids = body.event_ids if body else None
    return await service.extend(session, principal, event_ids, _leases(settings))


@router.post(
    "/events/{event_id}/skip", status_code=status.HTTP_204_NO_CONTENT, responses=_GIVE_BACK_ERRORS
)
async def skip(
    event_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    body: SkipRequest | None = None,
) -> None:
    """Give an event you hold back for someone else, with an optional reason: your
    next claims pass it over while anything else is left for you."""
    await service.skip(session, principal, event_id, body.reason if body else None)


@router.post(
    "/events/{event_id}/escalate",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(
        e403="Another reviewer holds the event",
        e404="No such event that you may see",
        e409="The event is not assigned to you (`not_assigned`), or escalated already",
    ),
)
async def escalate(
    event_id: uuid.UUID, body: EscalateRequest, principal: CurrentPrincipal, session: DbSession
) -> None:
    """Ask for a second opinion instead of deciding: the event goes to its region's
    leads, who claim escalated events like reviewers claim events."""
    await service.escalate(session, principal, event_id, body.note)


@router.post(
    "/events/{event_id}/release",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_GIVE_BACK_ERRORS,
)
async def release(event_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession) -> None:
    """Give an event you hold back to the queue, for anyone (you included)."""
    await service.release(session, principal, event_id)
