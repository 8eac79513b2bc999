from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    Event,
    EventStatus,
    OutboxStatus,
    ReviewTextPolicy,
    WritebackOutbox,
)
from event_review.central.review_text import repository as review_text

# Claiming bumps next_attempt_at past the delivery's own timeout, so a worker
# that dies mid-call leaves the row to be picked up again, never lost, and two
# workers never deliver the same row at once. The attempt counts on claim.
_CLAIM_DUE = text(
    """
    WITH due AS (
        SELECT outbox_id FROM writeback_outbox
        WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE writeback_outbox AS o
    SET next_attempt_at = now() + :visibility, attempts = o.attempts + 1
    FROM due, regions AS r
    WHERE o.outbox_id = due.outbox_id AND r.code = o.region_code
    RETURNING o.outbox_id, o.event_id, o.region_code, o.external_event_id,
              o.idempotency_key, o.outcome, o.attempts, o.created_at,
              r.api_url, r.retention_policy, r.review_text
    """
)


@dataclass(frozen=True)
class Delivery:
    outbox_id: int
    event_id: uuid.UUID
    region_code: str
    external_event_id: str
    idempotency_key: uuid.UUID
    outcome: dict[str, Any]
    attempts: int
    created_at: datetime
    api_url: str
    retention_policy: str
    review_text: str


async def claim_due(session: AsyncSession, limit: int, visibility: timedelta) -> list[Delivery]:
    result = await session.execute(_CLAIM_DUE, {"limit": limit, "visibility": visibility})
    return [Delivery(**row._asdict()) for row in result]


async def mark_delivered(session: AsyncSession, delivery: Delivery) -> None:
    await session.execute(
        update(WritebackOutbox)
        .where(WritebackOutbox.outbox_id == delivery.outbox_id)
        .values(status=OutboxStatus.DELIVERED, delivered_at=func.now(), last_error=None)
    )
    # Complete only once no later revision is still on its way to the region.
    undelivered = (
        select(WritebackOutbox.outbox_id)
        .where(
            WritebackOutbox.event_id == delivery.event_id,
            WritebackOutbox.status != OutboxStatus.DELIVERED,
        )
        .exists()
    )
    await session.execute(
        update(Event)
        .where(
            Event.event_id == delivery.event_id,
            Event.status == EventStatus.SUBMITTED,
            ~undelivered,
        )
        .values(status=EventStatus.COMPLETED, completed_at=func.now())
    )
    if delivery.review_text == ReviewTextPolicy.REGIONAL:
        # The region holds the text now; the centre stops holding it, in the same
        # transaction that records the delivery.
        await review_text.clear_delivered(
            session, delivery.event_id, int(delivery.outcome["revision"])
        )


async def reschedule(
    session: AsyncSession, outbox_id: int, error: str, next_attempt_at: datetime
) -> None:
    await session.execute(
        update(WritebackOutbox)
        .where(WritebackOutbox.outbox_id == outbox_id)
        .values(last_error=error[:2000], next_attempt_at=next_attempt_at)
    )


async def park(session: AsyncSession, outbox_id: int, error: str) -> None:
    await session.execute(
        update(WritebackOutbox)
        .where(WritebackOutbox.outbox_id == outbox_id)
        .values(status=OutboxStatus.FAILED, last_error=error[:2000])
    )


async def list_rows(
    session: AsyncSession, status: OutboxStatus | None, limit: int, offset: int
) -> Sequence[WritebackOutbox]:
    stmt = select(WritebackOutbox).order_by(WritebackOutbox.outbox_id.desc())
    if status is not None:
        stmt = stmt.where(WritebackOutbox.status == status)
    return (await session.scalars(stmt.limit(limit).offset(offset))).all()


async def get_for_update(session: AsyncSession, outbox_id: int) -> WritebackOutbox | None:
    return await session.scalar(
        select(WritebackOutbox).where(WritebackOutbox.outbox_id == outbox_id).with_for_update()
    )


async def requeue(session: AsyncSession, outbox_id: int) -> WritebackOutbox:
    result = await session.execute(
        update(WritebackOutbox)
        .where(WritebackOutbox.outbox_id == outbox_id)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=func.now())
        .returning(WritebackOutbox)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return result.scalar_one()
