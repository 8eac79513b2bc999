from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction
from event_review.central.events.repository import EVENT_COLUMNS, returning_events
from event_review.central.reviews.schemas import ReviewRequest
from event_review.contracts.regional import ReviewOutcome

# The review, its write-back and its audit row in one statement. It changes the
# event only while the reviewer holds it under an unexpired lease; the UPDATE's
# row lock makes a racing re-queue or second submission either wait for this
# one or find the row no longer matching. The outbox row is the wire contract's
# model, built and validated before the statement runs, so what waits in the
# outbox is always what the region accepts. Every use of a parameter carries
# the same cast, so PostgreSQL deduces one type for it.
REVIEW_SQL = text(
    f"""
    WITH reviewed AS (
        UPDATE events
        SET status = 'submitted',
            review_user_id = :user_id,
            reviewed_at = CAST(:reviewed_at AS timestamptz),
            review_decision = CAST(:decision AS text),
            review_rating = CAST(:rating AS smallint),
            review_comment = CAST(:comment AS text),
            assigned_user_id = NULL,
            lease_expires_at = NULL
        WHERE event_id = :event_id
          AND status = 'assigned'
          AND assigned_user_id = :user_id
          AND lease_expires_at > now()
        RETURNING *
    ),
    outbox AS (
        INSERT INTO writeback_outbox (event_id, region_code, external_event_id, outcome)
        SELECT event_id, region_code, external_event_id, CAST(:outcome AS jsonb)
        FROM reviewed
    ),
    -- Reviewed, the event needs no one to pass it over any more.
    unskipped AS (
        DELETE FROM event_skips WHERE event_id IN (SELECT event_id FROM reviewed)
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT 'user', CAST(:reviewer AS text), '{AuditAction.EVENT_REVIEWED.value}', event_id,
               jsonb_build_object(
                   'decision', CAST(:decision AS text),
                   'rating', CAST(:rating AS smallint)
               )
        FROM reviewed
    )
    SELECT {EVENT_COLUMNS} FROM reviewed
    """
)
_REVIEW = returning_events(REVIEW_SQL)


async def submit_review(
    session: AsyncSession,
    event_id: uuid.UUID,
    reviewer_id: uuid.UUID,
    reviewer: str,
    review: ReviewRequest,
) -> Row[Any] | None:
    """The reviewed event, or None when the reviewer does not hold it (nothing changed)."""
    outcome = ReviewOutcome.model_validate(
        {
            "decision": review.decision.value,
            "rating": review.rating,
            "comment": review.comment or None,
            "reviewer": reviewer,
            "reviewed_at": datetime.now(UTC),
        }
    )
    result = await session.execute(
        _REVIEW,
        {
            "event_id": event_id,
            "user_id": reviewer_id,
            "reviewer": reviewer,
            "reviewed_at": outcome.reviewed_at,
            "decision": outcome.decision,
            "rating": outcome.rating,
            "comment": outcome.comment,
            "outcome": outcome.model_dump_json(),
        },
    )
    return result.one_or_none()
