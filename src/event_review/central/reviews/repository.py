from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, EventStatus, WritebackOutbox
from event_review.central.reviews.schemas import ReviewRequest


async def store_review(
    session: AsyncSession, event_id: uuid.UUID, reviewer_id: uuid.UUID, review: ReviewRequest
) -> Event:
    result = await session.execute(
        update(Event)
        .where(Event.event_id == event_id)
        .values(
            status=EventStatus.SUBMITTED,
            review_user_id=reviewer_id,
            reviewed_at=func.now(),
            review_decision=review.decision,
            review_rating=review.rating,
            review_comment=review.comment or None,
            assigned_user_id=None,
            lease_expires_at=None,
        )
        .returning(Event)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return result.scalar_one()


async def enqueue_writeback(session: AsyncSession, event: Event, outcome: dict[str, Any]) -> int:
    outbox_id: int | None = await session.scalar(
        insert(WritebackOutbox)
        .values(
            event_id=event.event_id,
            region_code=event.region_code,
            external_event_id=event.external_event_id,
            outcome=outcome,
        )
        .returning(WritebackOutbox.outbox_id)
    )
    assert outbox_id is not None
    return outbox_id
