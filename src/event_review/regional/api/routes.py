from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from event_review.contracts.errors import ErrorBody
from event_review.contracts.fields import ExternalEventId
from event_review.contracts.regional import (
    IDEMPOTENCY_HEADER,
    PAYLOAD_ROUTE,
    REGIONAL_EVENTS_PREFIX,
    REGIONAL_V2_EVENTS_PREFIX,
    REVIEW_ROUTE,
    REVISION_ROUTE,
    RecordedReview,
    RecordedRevision,
    ReviewOutcome,
    ReviewRevision,
    RevisionHistory,
)
from event_review.regional.api import service
from event_review.regional.api.calls import VerifiedCall
from event_review.runtime.database import DbSession

_SIGNED_CALL_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Not signed by the centre, expired or replayed"},
    403: {"model": ErrorBody, "description": "Signed for another region, method or event"},
    404: {"model": ErrorBody, "description": "No such event in this region"},
}
router = APIRouter(prefix=REGIONAL_EVENTS_PREFIX, tags=["regional"], responses=_SIGNED_CALL_ERRORS)
# The update contract's second version: numbered revisions of any review form.
router_v2 = APIRouter(
    prefix=REGIONAL_V2_EVENTS_PREFIX, tags=["regional"], responses=_SIGNED_CALL_ERRORS
)

IdempotencyKey = Annotated[
    str, Header(alias=IDEMPOTENCY_HEADER, min_length=8, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


@router.get(PAYLOAD_ROUTE, response_class=Response)
async def fetch_payload(
    external_event_id: ExternalEventId, call: VerifiedCall, session: DbSession
) -> Response:
    """Regional Data Fetch API: the full payload, for the centre to stream to a reviewer."""
    del call  # verified by the dependency
    return Response(
        content=await service.payload(session, external_event_id),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    REVIEW_ROUTE,
    response_model=RecordedReview,
    responses={409: {"model": ErrorBody, "description": "Recorded under another key"}},
)
async def record_review(
    external_event_id: ExternalEventId,
    body: ReviewOutcome,
    idempotency_key: IdempotencyKey,
    call: VerifiedCall,
    session: DbSession,
) -> JSONResponse:
    """Regional Update API: record a review outcome; a repeated key replays the first answer."""
    del call
    result, replayed = await service.record_review(
        session, external_event_id, idempotency_key, body
    )
    return JSONResponse(
        result.model_dump(mode="json"),
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )


@router_v2.post(
    REVISION_ROUTE,
    response_model=RecordedRevision,
    responses={409: {"model": ErrorBody, "description": "This revision has other content here"}},
)
async def record_revision(
    external_event_id: ExternalEventId,
    body: ReviewRevision,
    call: VerifiedCall,
    session: DbSession,
) -> JSONResponse:
    """Regional Update API v2: keep a revision of the event's review; the highest revision
    received is in force, so late or repeated deliveries never move it back."""
    del call
    result, replayed = await service.record_revision(session, external_event_id, body)
    return JSONResponse(
        result.model_dump(mode="json"),
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )


@router_v2.get(REVISION_ROUTE, response_model=RevisionHistory)
async def revision_history(
    external_event_id: ExternalEventId, call: VerifiedCall, session: DbSession
) -> JSONResponse:
    """Regional Data Fetch API v2: the revisions kept here, with what reviewers typed, for
    the centre to show without storing it."""
    del call
    history = await service.revision_history(session, external_event_id)
    return JSONResponse(history.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
