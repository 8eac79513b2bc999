"""The payload proxy: the full regional payload streamed through, never kept; and the
review text a `regional` policy keeps in the region, read the same way."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, ReviewTextPolicy
from event_review.central.events import access
from event_review.central.events import repository as events
from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal
from event_review.central.metrics import PAYLOADS
from event_review.central.regional_client import RegionalClient, stream_body
from event_review.central.regions import repository as regions
from event_review.central.review_text import service as review_text
from event_review.central.review_text.schemas import ReviewText
from event_review.contracts.errors import ErrorBody
from event_review.contracts.regional import ReviewRevision
from event_review.runtime.database import DbSession
from event_review.runtime.errors import ApiError, BadGateway

router = APIRouter(prefix="/api/v1/events", tags=["payloads"])

NO_STORE = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
}


@router.get(
    "/{event_id}/payload",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/json": {}}, "description": "The regional payload"},
        404: {"model": ErrorBody, "description": "No such event whose payload you may read"},
        502: {"model": ErrorBody, "description": "The region failed or refused"},
        504: {"model": ErrorBody, "description": "The region did not answer in time"},
    },
)
async def get_payload(
    event_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    request: Request,
) -> StreamingResponse:
    """The event's full payload, fetched from its region for you and not stored centrally.

    Allowed to the holder under an unexpired lease, to the holder of its QA task,
    and to leads and admins of the event's region; anyone else gets 404.
    """
    found = await events.get_with_region_url(session, event_id)
    if found is None or not await access.may_read_payload_or_judge(session, principal, found[0]):
        raise access.not_found(event_id)
    event, api_url = found
    if api_url is None:
        raise BadGateway(f"region {event.region_code} is not registered", code="region_unknown")
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.EVENT_PAYLOAD_VIEWED,
        event_id=event_id,
    )
    client: RegionalClient = request.app.state.regional_client
    try:
        upstream = await client.open_payload(api_url, event.region_code, event.external_event_id)
    except ApiError as exc:
        PAYLOADS.labels(event.region_code, exc.code).inc()
        raise
    PAYLOADS.labels(event.region_code, "ok").inc()
    length = upstream.headers.get("content-length")
    if length is not None and int(length) > settings.payload_max_bytes:
        await upstream.aclose()
        raise BadGateway(
            f"the payload is {length} bytes; the limit is {settings.payload_max_bytes}",
            code="payload_too_large",
        )
    headers = {**NO_STORE, "X-Data-Region": event.region_code}
    for name in ("content-length", "content-encoding"):
        if name in upstream.headers:
            headers[name] = upstream.headers[name]
    return StreamingResponse(
        stream_body(upstream, settings.payload_max_bytes),
        media_type=upstream.headers.get("content-type", "application/json"),
        headers=headers,
    )


@router.get(
    "/{event_id}/review-text",
    response_model=ReviewText,
    responses={
        404: {"model": ErrorBody, "description": "No such event that you may see"},
        502: {"model": ErrorBody, "description": "The region failed or refused"},
        504: {"model": ErrorBody, "description": "The region did not answer in time"},
    },
)
async def get_review_text(
    event_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, request: Request
) -> JSONResponse:
    """What reviewers typed on the event (comments, notes, text fields), revision by
    revision: from the centre while it holds it, else read from the region for you (its
    `regional` text policy) and not stored centrally.

    Allowed to whoever may see the event; anyone else gets 404.
    """
    found = await events.get_with_region_url(session, event_id)
    if found is None or not await access.may_view_or_judge(session, principal, found[0]):
        raise access.not_found(event_id)
    event, api_url = found
    region = await regions.get_region(session, event.region_code)
    policy = region.review_text if region else ReviewTextPolicy.CENTRAL.value
    client: RegionalClient = request.app.state.regional_client

    async def from_region() -> dict[int, ReviewRevision]:
        if api_url is None:
            raise BadGateway(f"region {event.region_code} is not registered", code="region_unknown")
        await audit.record(
            session,
            actor=principal.as_actor(),
            action=AuditAction.EVENT_TEXT_VIEWED,
            event_id=event_id,
        )
        history = await client.revision_history(api_url, event.region_code, event.external_event_id)
        return {r.revision: r for r in history.revisions}

    text = await review_text.review_text(session, event, policy, from_region)
    return JSONResponse(
        text.model_dump(mode="json"), headers={**NO_STORE, "X-Data-Region": event.region_code}
    )
