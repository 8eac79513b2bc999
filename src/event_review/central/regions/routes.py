"""The admin API of regions: admins change them, leads read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from event_review.central.identity.dependencies import Admin, Overseer
from event_review.central.paging import DEFAULT_PAGE, Limit, Offset, Page
from event_review.central.regions import service
from event_review.central.regions.schemas import (
    IngestKeyIssued,
    IngestKeyRequest,
    RegionCreate,
    RegionCreated,
    RegionOut,
    RegionUpdate,
)
from event_review.contracts.errors import documented
from event_review.contracts.fields import LINE
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin/regions", tags=["admin"])

# Checked by the service, so a bad code is a 422 with the rule, not a 404.
Code = Annotated[str, Path(max_length=64), LINE]
# A freshly issued ingest key is a secret: no cache may keep the response.
_NO_STORE = {"Cache-Control": "no-store"}
_ERRORS = documented(
    e403="Your role may not do this", e404="No such region", e409="The region exists already"
)


@router.get("", response_model=Page[RegionOut])
async def list_regions(
    who: Overseer, session: DbSession, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> Page[RegionOut]:
    del who
    return await service.regions_page(session, limit, offset)


@router.post(
    "", response_model=RegionCreated, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
async def create_region(
    body: RegionCreate, admin: Admin, session: DbSession, response: Response
) -> RegionCreated:
    """Register a region. The answer holds its ingest key, once: only a digest is stored."""
    response.headers.update(_NO_STORE)
    return await service.add_region(session, body.code, body.api_url, actor=admin.as_actor())


@router.patch("/{code}", response_model=RegionOut, responses=_ERRORS)
async def update_region(
    code: Code, body: RegionUpdate, admin: Admin, session: DbSession
) -> RegionOut:
    """Change a region's API URL or retention; fields left out stay as they are."""
    return await service.update_region(session, code, body, actor=admin.as_actor())


@router.post(
    "/{code}/ingest-keys",
    response_model=IngestKeyIssued,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def issue_ingest_key(
    code: Code, body: IngestKeyRequest, admin: Admin, session: DbSession, response: Response
) -> IngestKeyIssued:
    """A new ingest key, shown once; `revoke_others` ends the older keys now (rotation)."""
    response.headers.update(_NO_STORE)
    key = await service.issue_ingest_key(
        session, code, revoke_others=body.revoke_others, actor=admin.as_actor()
    )
    return IngestKeyIssued(
        code=service.checked_code(code), ingest_key=key, revoked_others=body.revoke_others
    )
