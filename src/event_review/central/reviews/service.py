from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.auth.principal import Principal
from event_review.central.db.models import EventStatus
from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.metrics import REVIEWED
from event_review.central.reviews import repository
from event_review.central.reviews.schemas import ReviewRequest
from event_review.runtime.errors import Conflict, Forbidden


async def submit(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, review: ReviewRequest
) -> EventOut:
    """Record the review and its write-back in one transaction.

    The event row is locked first, so a review racing a re-queue or a second
    submission sees the other's result instead of overwriting it.
    """
    event = await access.get_in_scope_for_update(session, principal, event_id)
    if event.status in (EventStatus.SUBMITTED, EventStatus.COMPLETED):
        raise Conflict("this event has already been reviewed", code="already_reviewed")
    if event.status != EventStatus.ASSIGNED or event.assigned_user_id != principal.user_id:
        if event.status == EventStatus.ASSIGNED:
            raise Forbidden("another reviewer holds this event", code="not_holder")
        raise Forbidden(
            "you do not hold this event; claim it with next-batch first", code="not_holder"
        )
    if event.lease_expires_at is None or event.lease_expires_at <= datetime.now(UTC):
        raise Conflict(
            "your lease on this event has expired; ask for a new batch", code="lease_expired"
        )
    updated = await repository.store_review(session, event_id, principal.user_id, review)
    await repository.enqueue_writeback(
        session,
        updated,
        {
            "decision": review.decision.value,
            "rating": review.rating,
            "comment": review.comment or None,
            "reviewer": principal.username,
            "reviewed_at": (updated.reviewed_at or datetime.now(UTC)).isoformat(),
        },
    )
    await audit.record(
        session,
        actor_type="user",
        actor=principal.actor,
        action="event.reviewed",
        event_id=event_id,
        details={"decision": review.decision.value, "rating": review.rating},
    )
    REVIEWED.labels(review.decision.value).inc()
    return EventOut.model_validate(updated)
