from __future__ import annotations

import uuid

from fastapi import APIRouter

from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.identity.dependencies import CurrentPrincipal
from event_review.contracts.errors import ErrorBody
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.get(
    "/{event_id}",
    response_model=EventOut,
    responses={404: {"model": ErrorBody, "description": "No such event that you may see"}},
)
async def get_event(
    event_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> EventOut:
    """Metadata of an event you hold, reviewed, or oversee as a lead or admin of its region."""
    return EventOut.model_validate(await access.get_visible(session, principal, event_id))
