"""The operations dashboard: queue counts and charts, for leads and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from event_review.central.dashboard import service
from event_review.central.dashboard.schemas import Dashboard
from event_review.central.db.models import Role
from event_review.central.identity.dependencies import require_role
from event_review.central.identity.principal import Principal
from event_review.contracts.errors import ErrorBody
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin/dashboard", tags=["dashboard"])

Overseer = Annotated[Principal, Depends(require_role(Role.LEAD, Role.ADMIN))]
Hours = Annotated[int, Query(ge=1, le=168, description="How many hours back, at most a week")]

SVG = "image/svg+xml"
# Live numbers, scoped to the caller's regions: no shared cache may keep them.
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_SVG_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {SVG: {}}, "description": "An SVG chart"},
    403: {"model": ErrorBody, "description": "Leads and admins only"},
}


@router.get("", response_model=Dashboard, responses={403: _SVG_RESPONSES[403]})
async def dashboard(who: Overseer, session: DbSession, response: Response) -> Dashboard:
    """Events per region and status, the oldest pending age, write-back health.

    A lead sees their team's regions; an admin sees all.
    """
    response.headers.update(_HEADERS)
    return await service.summary(session, who)


@router.get("/charts/reviews-per-hour.svg", response_class=Response, responses=_SVG_RESPONSES)
async def reviews_per_hour(who: Overseer, session: DbSession, hours: Hours = 24) -> Response:
    svg = await service.reviews_chart(session, who, hours)
    return Response(svg, media_type=SVG, headers=_HEADERS)


@router.get("/charts/writeback-lag.svg", response_class=Response, responses=_SVG_RESPONSES)
async def writeback_lag(who: Overseer, session: DbSession, hours: Hours = 24) -> Response:
    svg = await service.lag_chart(session, who, hours)
    return Response(svg, media_type=SVG, headers=_HEADERS)
