from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import EventStatus
from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.identity.principal import Principal
from event_review.central.metrics import REVIEWED
from event_review.central.reviews import repository
from event_review.central.reviews.schemas import ReviewRequest
from event_review.runtime.errors import ApiError, Conflict, Forbidden


async def submit(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, review: ReviewRequest
) -> EventOut:
    """Record the review and its write-back in one statement (see REVIEW_SQL)."""
    reviewed = await repository.submit_review(
        session, event_id, principal.user_id, principal.actor, review
    )
    if reviewed is None:
        raise await _refusal(session, principal, event_id)
    REVIEWED.labels(review.decision.value).inc()
    return EventOut.model_validate(reviewed)


async def _refusal(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> ApiError:
    """Why the review changed nothing, read after the fact (the rare path)."""
    event = await access.get_in_scope(session, principal, event_id)
    if event.status in (EventStatus.SUBMITTED, EventStatus.COMPLETED):
        return Conflict("this event has already been reviewed", code="already_reviewed")
    if event.status == EventStatus.ASSIGNED and event.assigned_user_id == principal.user_id:
        return Conflict(
            "your lease on this event has expired; ask for a new batch", code="lease_expired"
        )
    if event.status == EventStatus.ASSIGNED:
        return Forbidden("another reviewer holds this event", code="not_holder")
    return Forbidden(
        "you do not hold this event; claim it with next-batch first", code="not_holder"
    )
