from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.contracts.regional import RecordedReview, ReviewOutcome
from event_review.regional.api import repository
from event_review.runtime.errors import Conflict, NotFound


async def payload(session: AsyncSession, external_event_id: str) -> str:
    text = await repository.payload_text(session, external_event_id)
    if text is None:
        raise NotFound(f"no event {external_event_id!r} in this region", code="event_not_found")
    return text


async def record_review(
    session: AsyncSession, external_event_id: str, key: str, outcome: ReviewOutcome
) -> tuple[RecordedReview, bool]:
    """Record the outcome once per Idempotency-Key. Returns (result, replayed)."""
    earlier = await repository.stored_response(session, key)
    if earlier is None:
        event = await repository.lock_event(session, external_event_id)
        if event is None:
            raise NotFound(f"no event {external_event_id!r} in this region", code="event_not_found")
        # Re-read under the row lock: a concurrent request with the same key
        # may have committed while this one waited.
        earlier = await repository.stored_response(session, key)
        if earlier is None:
            if event.review_decision is not None:
                raise Conflict(
                    "a review is already recorded for this event under another Idempotency-Key",
                    code="already_recorded",
                )
            return await _record_first(session, external_event_id, key, outcome), False
    if earlier.external_event_id != external_event_id:
        raise Conflict(
            "this Idempotency-Key was used for another event", code="idempotency_key_reused"
        )
    return RecordedReview.model_validate(earlier.response), True


async def _record_first(
    session: AsyncSession, external_event_id: str, key: str, outcome: ReviewOutcome
) -> RecordedReview:
    now = datetime.now(UTC)
    await repository.record_review(
        session,
        external_event_id,
        {
            "review_decision": outcome.decision,
            "review_rating": outcome.rating,
            "review_comment": outcome.comment,
            "reviewed_by": outcome.reviewer,
            "reviewed_at": outcome.reviewed_at,
            "review_recorded_at": now,
        },
    )
    result = RecordedReview(
        external_event_id=external_event_id,
        decision=outcome.decision,
        rating=outcome.rating,
        comment=outcome.comment,
        reviewer=outcome.reviewer,
        reviewed_at=outcome.reviewed_at,
        recorded_at=now,
        idempotency_key=key,
    )
    await repository.remember_response(
        session, key, external_event_id, result.model_dump(mode="json")
    )
    return result
