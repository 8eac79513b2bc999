from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import EventStatus
from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.forms import repository as form_repository
from event_review.central.forms import service as forms
from event_review.central.forms.answers import Answers, AnswersInvalid, check
from event_review.central.forms.repository import StoredForm
from event_review.central.identity.principal import Principal
from event_review.central.metrics import REVIEWED
from event_review.central.reviews import repository
from event_review.central.reviews.sampling import needs_qa
from event_review.central.reviews.schemas import FormRef, ReviewRequest
from event_review.runtime.errors import ApiError, Conflict, Forbidden, Unprocessable


async def submit(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, review: ReviewRequest
) -> EventOut:
    """Check the answers against the event's form, then record the review and its
    write-back in one statement (see REVIEW_SQL)."""
    context = await repository.review_context(session, event_id)
    if context is None:
        raise await _refusal(session, principal, event_id)
    form = await form_of(
        session, review.form, context.event_type, context.region_code, current=context.forms
    )
    answers = checked(form, review.answers())
    qa = needs_qa(form.definition, answers, context.event_type)
    reviewed = await repository.submit_review(
        session, event_id, principal.user_id, principal.actor, form, answers, qa=qa
    )
    if reviewed is None:
        raise await _refusal(session, principal, event_id)
    REVIEWED.labels(answers.decision).inc()
    return EventOut.model_validate(reviewed)


async def form_of(
    session: AsyncSession,
    named: FormRef | None,
    event_type: str,
    region_code: str,
    *,
    kept: tuple[str, int] | None = None,
    current: Sequence[StoredForm] | None = None,
) -> StoredForm:
    """The form version named by the reviewer, if it applies to the event; else the current one.

    A version the reviewer had open stays acceptable after a newer one is applied,
    and a correction may keep the version of the review it corrects (`kept`).
    `current`, every form's current version when the caller has read them, spares
    reading them again.
    """
    if named is None:
        if current is not None:
            return forms.resolve(current, event_type, region_code)
        return await forms.form_for(session, event_type, region_code)
    form = next(
        (f for f in current or () if (f.key, f.version) == (named.key, named.version)), None
    )
    if form is None:
        form = await form_repository.get_version(session, named.key, named.version)
    applies = form is not None and (
        (named.key, named.version) == kept
        or forms.specificity(form.definition, event_type, region_code) is not None
    )
    if form is None or not applies:
        raise Unprocessable(
            f"form {named.key!r} version {named.version} does not apply to this event; "
            "fetch its form again",
            code="form_not_applicable",
        )
    return form


def checked(form: StoredForm, given: dict[str, object]) -> Answers:
    try:
        return check(form.definition, forms.answers_model(form), given)
    except AnswersInvalid as exc:
        places = ", ".join(".".join(str(p) for p in d["loc"][1:]) for d in exc.details)
        raise Unprocessable(
            f"the answers do not fit form {form.key!r} version {form.version}: {places}",
            code="validation_error",
            details=exc.details,
        ) from exc


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
