"""Correcting a submitted review: the reviewer within a window, leads and admins with a reason.

A correction is the review's next revision: stored, audited and written back
like the first, and the region applies whichever revision is highest.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.identity.principal import Principal
from event_review.central.reviews import repository
from event_review.central.reviews.schemas import CorrectionRequest, FormRef
from event_review.central.reviews.service import checked, form_of
from event_review.contracts.regional import RevisionKind
from event_review.runtime.errors import Conflict, Forbidden, Unprocessable


async def correct(
    session: AsyncSession,
    principal: Principal,
    event_id: uuid.UUID,
    body: CorrectionRequest,
    window: timedelta,
) -> EventOut:
    event = await access.get_visible(session, principal, event_id)
    current = event.review_revision
    if current is None:
        raise Conflict("this event has not been reviewed yet: review it", code="not_reviewed")
    if body.revision != current:
        raise _changed(current)
    revisions = await repository.revisions(session, event_id)
    latest = revisions[-1]
    own = (
        event.review_user_id == principal.user_id
        and latest.user_id == principal.user_id
        and event.reviewed_at is not None
        and datetime.now(UTC) < event.reviewed_at + window
    )
    if not own:
        if not principal.may_oversee(event.region_code):
            minutes = round(window.total_seconds() / 60)
            why = (
                f"your own review can be corrected for {minutes} min after it was made"
                if event.review_user_id == principal.user_id
                else "only its reviewer, or a lead or admin of its region, may correct it"
            )
            raise Forbidden(
                f"you may not correct this review: {why}", code="correction_not_allowed"
            )
        if not body.note:
            raise Unprocessable(
                "say why you correct someone else's review",
                code="validation_error",
                details=[
                    {"loc": ["body", "note"], "msg": "a reason is required", "type": "missing"}
                ],
            )
    named = body.form or FormRef(key=latest.form_key, version=latest.form_version)
    form = await form_of(
        session, named, event.event_type, event.region_code,
        kept=(latest.form_key, latest.form_version),
    )  # fmt: skip
    answers = checked(form, body.answers())
    revised = await repository.revise(
        session, event_id, current, RevisionKind.CORRECTION, principal.user_id,
        principal.actor, form, answers, body.note,
    )  # fmt: skip
    if revised is None:
        raise _changed(current + 1)
    return EventOut.model_validate(revised)


def _changed(current: int) -> Conflict:
    return Conflict(
        f"the review changed since you opened it (it is at revision {current} now); "
        "reload it and correct that",
        code="revision_changed",
    )
