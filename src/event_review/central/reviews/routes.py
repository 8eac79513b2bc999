from __future__ import annotations

import uuid

from fastapi import APIRouter

from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.forms import service as forms
from event_review.central.forms.schemas import FormOut
from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal
from event_review.central.reviews import corrections, repository, service
from event_review.central.reviews.schemas import CorrectionRequest, ReviewRequest, RevisionOut
from event_review.contracts.errors import ErrorBody, documented
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/events", tags=["reviews"])


@router.post(
    "/{event_id}/review",
    response_model=EventOut,
    responses={
        403: {"model": ErrorBody, "description": "You do not hold this event"},
        404: {"model": ErrorBody, "description": "No such event that you may see"},
        409: {"model": ErrorBody, "description": "Already reviewed, or your lease expired"},
    },
)
async def submit_review(
    event_id: uuid.UUID, body: ReviewRequest, principal: CurrentPrincipal, session: DbSession
) -> EventOut:
    """Approve or reject an event you hold; the outcome is written back to its region."""
    return await service.submit(session, principal, event_id, body)


@router.post(
    "/{event_id}/corrections",
    response_model=EventOut,
    responses=documented(
        e403="Not your review, or its correction window has passed (`correction_not_allowed`)",
        e404="No such event that you may see",
        e409="Not reviewed yet (`not_reviewed`), or corrected since you opened it "
        "(`revision_changed`)",
    ),
)
async def correct_review(
    event_id: uuid.UUID,
    body: CorrectionRequest,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
) -> EventOut:
    """Correct a submitted review: its reviewer within EVENT_REVIEW_CORRECTION_WINDOW_MINUTES,
    a lead or admin of the region at any time with a `note`. The correction is the
    review's next revision, written back to the region like the first."""
    return await corrections.correct(session, principal, event_id, body, settings.correction_window)


@router.get(
    "/{event_id}/revisions",
    response_model=list[RevisionOut],
    responses=documented(e404="No such event that you may see"),
)
async def list_revisions(
    event_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> list[RevisionOut]:
    """Every revision of the event's review, first to latest: who, when, why, the form
    version and the answers."""
    await access.get_visible(session, principal, event_id)
    return [RevisionOut.model_validate(r) for r in await repository.revisions(session, event_id)]


@router.get(
    "/{event_id}/form",
    response_model=FormOut,
    responses=documented(e404="No such event that you may see"),
)
async def event_form(
    event_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> FormOut:
    """The form an event is reviewed with: the one its review was made with, else the
    current form for its type and region."""
    event = await access.get_visible(session, principal, event_id)
    if event.review_form_key is not None and event.review_form_version is not None:
        return FormOut.of(
            await forms.get_form(session, event.review_form_key, event.review_form_version)
        )
    return FormOut.of(await forms.form_for(session, event.event_type, event.region_code))
