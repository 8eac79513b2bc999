from __future__ import annotations

import uuid

from fastapi import APIRouter

from event_review.central.events.schemas import EventOut
from event_review.central.identity.dependencies import CurrentPrincipal
from event_review.central.reviews import service
from event_review.central.reviews.schemas import ReviewRequest
from event_review.contracts.errors import ErrorBody
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/events", tags=["reviews"])


@router.post(
    "/{event_id}/review",
    response_model=EventOut,
    responses={
        403: {"model": ErrorBody, "description": "You do not hold this event"},
        404: {"model": ErrorBody, "description": "No such event that you may see"},
        409: {"model": ErrorBody, "description": "Already reviewed, or your lease expired"},
    },
)
async def submit_review(
    event_id: uuid.UUID, body: ReviewRequest, principal: CurrentPrincipal, session: DbSession
) -> EventOut:
    """Approve or reject an event you hold; the outcome is written back to its region."""
    return await service.submit(session, principal, event_id, body)
