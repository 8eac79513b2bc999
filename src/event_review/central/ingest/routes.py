from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from event_review.central.identity.dependencies import BearerCredentials, bearer_token
from event_review.central.ingest import service
from event_review.central.limits import enforce, limits
from event_review.contracts.errors import ErrorBody
from event_review.contracts.ingest import (
    INGEST_BATCH_PATH,
    INGEST_EVENT_PATH,
    INGEST_PREFIX,
    BatchIngestResult,
    EventBatch,
    EventMetadata,
    IngestResult,
)
from event_review.runtime.access import access_rule
from event_review.runtime.database import DbSession

router = APIRouter(
    prefix=INGEST_PREFIX,
    tags=["ingest"],
    responses={
        401: {"model": ErrorBody, "description": "Missing or unknown ingest key"},
        403: {"model": ErrorBody, "description": "Event of another region than the key's"},
        422: {"model": ErrorBody, "description": "Invalid body; nothing was stored"},
    },
)


@access_rule("region-ingest-key")
async def ingest_region(
    request: Request, session: DbSession, credentials: BearerCredentials
) -> str:
    region = await service.authenticate_region(session, bearer_token(credentials))
    enforce(limits(request).region, region, "ingest requests for this region")
    return region


CallerRegion = Annotated[str, Depends(ingest_region)]


@router.post(
    INGEST_EVENT_PATH.removeprefix(INGEST_PREFIX),
    response_model=IngestResult,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": IngestResult, "description": "Already known; nothing changed"}},
)
async def ingest_one(
    body: EventMetadata, region: CallerRegion, session: DbSession, response: Response
) -> IngestResult:
    result = (await service.ingest(session, region, [body])).results[0]
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.post(INGEST_BATCH_PATH.removeprefix(INGEST_PREFIX), response_model=BatchIngestResult)
async def ingest_batch(
    body: EventBatch, region: CallerRegion, session: DbSession
) -> BatchIngestResult:
    """Store up to 1,000 events; one invalid item refuses the whole batch."""
    return await service.ingest(session, region, body.events)
