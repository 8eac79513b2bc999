from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction, Event, ReviewRevisionRow, WebhookKind
from event_review.central.events.repository import EVENT_COLUMNS, returning_events
from event_review.central.forms.answers import Answers
from event_review.central.forms.repository import LATEST_FORMS, StoredForm, stored
from event_review.central.webhooks import outbox as webhooks
from event_review.contracts.regional import ReviewRevision, RevisionKind

# The review, its first revision, its write-back and its audit row in one
# statement. It changes the event only while the reviewer holds it under an
# unexpired lease; the UPDATE's row lock makes a racing re-queue or second
# submission either wait for this one or find the row no longer matching. The
# outbox row is the wire contract's model, built and validated before the
# statement runs, so what waits in the outbox is always what the region
# accepts. Every use of a parameter carries the same cast, so PostgreSQL
# deduces one type for it.
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
            review_form_key = CAST(:form_key AS text),
            review_form_version = CAST(:form_version AS integer),
            review_answers = CAST(:answers AS jsonb),
            review_revision = 1,
            assigned_user_id = NULL,
            lease_expires_at = NULL
        WHERE event_id = :event_id
          AND status = 'assigned'
          AND assigned_user_id = :user_id
          AND lease_expires_at > now()
        RETURNING *
    ),
    revised AS (
        INSERT INTO review_revisions (event_id, revision, kind, user_id, reviewer, created_at,
                                      form_key, form_version, decision, rating, comment, answers)
        SELECT event_id, 1, 'review', :user_id, CAST(:reviewer AS text),
               CAST(:reviewed_at AS timestamptz), CAST(:form_key AS text),
               CAST(:form_version AS integer), CAST(:decision AS text),
               CAST(:rating AS smallint), CAST(:comment AS text), CAST(:answers AS jsonb)
        FROM reviewed
    ),
    outbox AS (
        INSERT INTO writeback_outbox (event_id, region_code, external_event_id, outcome)
        SELECT event_id, region_code, external_event_id, CAST(:outcome AS jsonb)
        FROM reviewed
    ),
    -- Sampled for QA (decided before the statement, by the form's rules).
    sampled AS (
        INSERT INTO qa_tasks (event_id, region_code, priority, revision, reviewer_id, form_key)
        SELECT event_id, region_code, priority, 1, :user_id, CAST(:form_key AS text)
        FROM reviewed
        WHERE CAST(:qa AS boolean)
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
                   'rating', CAST(:rating AS smallint),
                   'form', CAST(:form_key AS text) || '@' || CAST(:form_version AS integer)
               )
        FROM reviewed
    ),
    -- Its webhooks: a delivery per subscription that wants it (ids and metadata only).
    announced AS ({webhooks.deliveries_sql("reviewed", data=webhooks.EVENT_DATA_SQL)})
    SELECT {EVENT_COLUMNS} FROM reviewed
    """
)
_REVIEW = returning_events(REVIEW_SQL)

# A later revision (a correction, a QA verdict) on top of revision :base, in one
# statement: only while :base is still the event's latest, so of two racing
# corrections one wins and the other matches nothing. The event is back to
# `submitted` until this revision reaches its region.
REVISE_SQL = text(
    f"""
    WITH base AS (
        SELECT event_id FROM events
        WHERE event_id = :event_id AND review_revision = CAST(:base AS integer)
        FOR UPDATE
    ),
    revised AS (
        INSERT INTO review_revisions (event_id, revision, kind, user_id, reviewer, created_at,
                                      form_key, form_version, decision, rating, comment,
                                      answers, note)
        SELECT event_id, CAST(:base AS integer) + 1, CAST(:kind AS text), :user_id,
               CAST(:reviewer AS text), CAST(:reviewed_at AS timestamptz),
               CAST(:form_key AS text), CAST(:form_version AS integer), CAST(:decision AS text),
               CAST(:rating AS smallint), CAST(:comment AS text), CAST(:answers AS jsonb),
               CAST(:note AS text)
        FROM base
        RETURNING event_id, revision
    ),
    changed AS (
        UPDATE events AS e
        SET review_decision = CAST(:decision AS text),
            review_rating = CAST(:rating AS smallint),
            review_comment = CAST(:comment AS text),
            review_form_key = CAST(:form_key AS text),
            review_form_version = CAST(:form_version AS integer),
            review_answers = CAST(:answers AS jsonb),
            review_revision = revised.revision,
            status = 'submitted',
            completed_at = NULL
        FROM revised
        WHERE e.event_id = revised.event_id
        RETURNING e.*
    ),
    outbox AS (
        INSERT INTO writeback_outbox (event_id, region_code, external_event_id, outcome)
        SELECT event_id, region_code, external_event_id, CAST(:outcome AS jsonb)
        FROM changed
    ),
    audited AS (
        INSERT INTO audit_log (actor_type, actor, action, event_id, details)
        SELECT 'user', CAST(:reviewer AS text), '{AuditAction.EVENT_CORRECTED.value}', event_id,
               jsonb_build_object(
                   'revision', review_revision, 'kind', CAST(:kind AS text),
                   'decision', CAST(:decision AS text),
                   'form', CAST(:form_key AS text) || '@' || CAST(:form_version AS integer)
               )
        FROM changed
    ),
    announced AS ({webhooks.deliveries_sql("changed", data=webhooks.EVENT_DATA_SQL)})
    SELECT {EVENT_COLUMNS} FROM changed
    """
)
_REVISE = returning_events(REVISE_SQL)
# What decides the event's form, (event type, region), and every form's
# current version, in one round trip: one row per form, the event's columns on
# each (a row with no form when there is none), no row for no event.
_latest = LATEST_FORMS.lateral("f")
_REVIEW_CONTEXT = (
    select(Event.event_type, Event.region_code, _latest.c.form_key, _latest.c.version,
           _latest.c.digest)
    .select_from(Event)
    .outerjoin(_latest, true())
    .where(Event.event_id == bindparam("event_id"))
)  # fmt: skip


@dataclass(frozen=True)
class ReviewContext:
    event_type: str
    region_code: str
    forms: list[StoredForm]  # the current version of each form


async def review_context(session: AsyncSession, event_id: uuid.UUID) -> ReviewContext | None:
    """What a review of the event is checked against; None when there is no such event."""
    rows = (await session.execute(_REVIEW_CONTEXT, {"event_id": event_id})).all()
    if not rows:
        return None
    refs = [(r.form_key, r.version, r.digest) for r in rows if r.form_key is not None]
    return ReviewContext(rows[0].event_type, rows[0].region_code, await stored(session, refs))


def _revision(
    number: int,
    kind: RevisionKind,
    reviewer: str,
    form: StoredForm,
    answers: Answers,
    note: str | None = None,
) -> ReviewRevision:
    """The write-back of a revision, built and checked before any statement runs."""
    return ReviewRevision.model_validate(
        {
            "revision": number,
            "kind": kind,
            "form_key": form.key,
            "form_version": form.version,
            "decision": answers.decision,
            "rating": answers.rating,
            "comment": answers.comment,
            "reasons": answers.reasons,
            "fields": answers.fields,
            "reviewer": reviewer,
            "reviewed_at": datetime.now(UTC),
            "note": note,
        }
    )


# What a revision announces: a correction and a QA verdict that corrects (a QA
# disagreement) are revisions alike.
_ANNOUNCED = {
    RevisionKind.REVIEW: WebhookKind.REVIEW_CREATED,
    RevisionKind.CORRECTION: WebhookKind.REVIEW_CORRECTED,
    RevisionKind.QA: WebhookKind.QA_DISAGREEMENT,
}


def _announcement(revision: ReviewRevision, user_id: uuid.UUID) -> dict[str, Any]:
    """The webhook data beside the event's own metadata: no comment, note or field."""
    return webhooks.params(
        _ANNOUNCED[revision.kind],
        {
            "revision": revision.revision,
            "revision_kind": revision.kind.value,
            "decision": revision.decision,
            "rating": revision.rating,
            "reasons": revision.reasons,
            "form_key": revision.form_key,
            "form_version": revision.form_version,
            "reviewer_id": str(user_id),
            "reviewer": revision.reviewer,
            "reviewed_at": revision.reviewed_at.isoformat(),
        },
    )


def _values(revision: ReviewRevision, form: StoredForm, answers: Answers) -> dict[str, Any]:
    return {
        "reviewed_at": revision.reviewed_at,
        "decision": revision.decision,
        "rating": revision.rating,
        "comment": revision.comment,
        "form_key": form.key,
        "form_version": form.version,
        "answers": json.dumps(answers.as_json()),
        "outcome": revision.model_dump_json(),
    }


async def submit_review(
    session: AsyncSession,
    event_id: uuid.UUID,
    reviewer_id: uuid.UUID,
    reviewer: str,
    form: StoredForm,
    answers: Answers,
    *,
    qa: bool = False,
) -> Row[Any] | None:
    """The reviewed event, or None when the reviewer does not hold it (nothing changed)."""
    revision = _revision(1, RevisionKind.REVIEW, reviewer, form, answers)
    values = {"event_id": event_id, "user_id": reviewer_id, "reviewer": reviewer, "qa": qa}
    values |= _announcement(revision, reviewer_id)
    result = await session.execute(_REVIEW, values | _values(revision, form, answers))
    return result.one_or_none()


async def revise(
    session: AsyncSession,
    event_id: uuid.UUID,
    base: int,
    kind: RevisionKind,
    user_id: uuid.UUID,
    reviewer: str,
    form: StoredForm,
    answers: Answers,
    note: str | None,
) -> Row[Any] | None:
    """Revision base + 1 of the event's review, or None when base is no longer its latest."""
    revision = _revision(base + 1, kind, reviewer, form, answers, note)
    values = {"event_id": event_id, "base": base, "kind": kind.value, "user_id": user_id,
              "reviewer": reviewer, "note": note}  # fmt: skip
    values |= _announcement(revision, user_id)
    result = await session.execute(_REVISE, values | _values(revision, form, answers))
    return result.one_or_none()


async def revisions(session: AsyncSession, event_id: uuid.UUID) -> Sequence[ReviewRevisionRow]:
    return (
        await session.scalars(
            select(ReviewRevisionRow)
            .where(ReviewRevisionRow.event_id == event_id)
            .order_by(ReviewRevisionRow.revision)
        )
    ).all()
