from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from event_review.contracts.regional import (
    RecordedReview,
    RecordedRevision,
    ReviewOutcome,
    ReviewRevision,
    RevisionHistory,
)
from event_review.regional.api import repository
from event_review.regional.store.models import RegionalEvent
from event_review.runtime.errors import Conflict, NotFound


async def payload(session: AsyncSession, external_event_id: str) -> str:
    text = await repository.payload_text(session, external_event_id)
    if text is None:
        raise _no_event(external_event_id)
    return text


async def revision_history(session: AsyncSession, external_event_id: str) -> RevisionHistory:
    """v2: the revisions kept here, with what reviewers typed (held here, not centrally,
    under a `regional` text policy)."""
    event = await repository.get_event(session, external_event_id)
    if event is None:
        raise _no_event(external_event_id)
    rows = await repository.revisions(session, external_event_id)
    return RevisionHistory(
        external_event_id=external_event_id,
        current_revision=event.review_revision,
        revisions=[ReviewRevision.model_validate(r.document) for r in rows],
    )


def _no_event(external_event_id: str) -> NotFound:
    return NotFound(f"no event {external_event_id!r} in this region", code="event_not_found")


async def record_review(
    session: AsyncSession, external_event_id: str, key: str, outcome: ReviewOutcome
) -> tuple[RecordedReview, bool]:
    """v1: record the outcome once per Idempotency-Key. Returns (result, replayed)."""
    earlier = await repository.stored_response(session, key)
    if earlier is None:
        event = await repository.lock_event(session, external_event_id)
        if event is None:
            raise _no_event(external_event_id)
        # Re-read under the row lock: a concurrent request with the same key
        # may have committed while this one waited.
        earlier = await repository.stored_response(session, key)
        if earlier is None:
            if event.review_decision is not None:
                raise Conflict(
                    "a review is already recorded for this event under another Idempotency-Key",
                    code="already_recorded",
                )
            return await _record_first(session, event, key, outcome), False
    if earlier.external_event_id != external_event_id:
        raise Conflict(
            "this Idempotency-Key was used for another event", code="idempotency_key_reused"
        )
    return RecordedReview.model_validate(earlier.response), True


async def _record_first(
    session: AsyncSession, event: RegionalEvent, key: str, outcome: ReviewOutcome
) -> RecordedReview:
    # Kept as revision 1 too, so a centre that later speaks v2 finds the history whole.
    await _keep(session, event, ReviewRevision.of_v1(outcome))
    recorded = await repository.get_revision(session, event.external_event_id, 1)
    assert recorded is not None
    result = RecordedReview(
        external_event_id=event.external_event_id,
        decision=outcome.decision,
        rating=outcome.rating,
        comment=outcome.comment,
        reviewer=outcome.reviewer,
        reviewed_at=outcome.reviewed_at,
        recorded_at=recorded.recorded_at,
        idempotency_key=key,
    )
    await repository.remember_response(
        session, key, event.external_event_id, result.model_dump(mode="json")
    )
    return result


async def record_revision(
    session: AsyncSession, external_event_id: str, revision: ReviewRevision
) -> tuple[RecordedRevision, bool]:
    """v2: keep a revision once; the highest-numbered one received is in force.

    Deliveries may come late, twice or out of order: an older revision is kept
    in the history but never replaces a newer one, and a repeat of a revision
    already kept changes nothing. Returns (result, replayed).
    """
    event = await repository.lock_event(session, external_event_id)
    if event is None:
        raise _no_event(external_event_id)
    existing = await repository.get_revision(session, external_event_id, revision.revision)
    if existing is not None:
        if ReviewRevision.model_validate(existing.document) != revision:
            raise Conflict(
                f"revision {revision.revision} of this event was recorded with other content",
                code="revision_conflict",
            )
        return _recorded(event, revision.revision, existing.recorded_at), True
    recorded_at = await _keep(session, event, revision)
    return _recorded(event, revision.revision, recorded_at), False


async def _keep(session: AsyncSession, event: RegionalEvent, revision: ReviewRevision) -> datetime:
    """Add the revision to the history; apply it if it is the newest."""
    row = await repository.add_revision(
        session,
        event.external_event_id,
        revision.revision,
        revision.kind.value,
        revision.reviewer,
        revision.reviewed_at,
        revision.model_dump(mode="json"),
    )
    if revision.revision > (event.review_revision or 0):
        values: dict[str, Any] = {
            "review_decision": revision.decision,
            "review_rating": revision.rating,
            "review_comment": revision.comment,
            "reviewed_by": revision.reviewer,
            "reviewed_at": revision.reviewed_at,
            "review_recorded_at": datetime.now(UTC),
            "review_revision": revision.revision,
            "review_form": f"{revision.form_key}@{revision.form_version}",
            "review_answers": {"reasons": revision.reasons, "fields": revision.fields},
        }
        await repository.record_review(session, event.external_event_id, values)
        # The locked row as it now is, without marking it for another UPDATE.
        set_committed_value(event, "review_revision", revision.revision)
    return row.recorded_at


def _recorded(event: RegionalEvent, revision: int, recorded_at: datetime) -> RecordedRevision:
    return RecordedRevision(
        external_event_id=event.external_event_id,
        revision=revision,
        current_revision=event.review_revision or revision,
        recorded_at=recorded_at,
    )
