from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from event_review.central.identity.dependencies import CurrentPrincipal, Overseer
from event_review.central.stats import service
from event_review.central.stats.repository import GroupBy
from event_review.central.stats.schemas import Statistics
from event_review.contracts.errors import documented
from event_review.contracts.fields import LINE, RegionCode
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1", tags=["statistics"])

DEFAULT_PERIOD = timedelta(days=7)
Since = Annotated[
    AwareDatetime | None,
    Query(
        description="From (inclusive); default: 7 days before `until`.",
        examples=["2026-11-23T00:00:00Z"],
    ),
]
Until = Annotated[
    AwareDatetime | None,
    Query(description="Until (exclusive); default: now.", examples=["2026-11-30T00:00:00Z"]),
]


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or datetime.now(UTC)
    return since or until - DEFAULT_PERIOD, until


@router.get(
    "/stats",
    response_model=Statistics,
    responses=documented(
        e403="Leads (their team) and admins (`role_required`, `not_your_team`)",
        e404="No such team or region (`team_not_found`, `unknown_region`)",
    ),
)
async def statistics(
    overseer: Overseer,
    session: DbSession,
    since: Since = None,
    until: Until = None,
    group_by: Annotated[GroupBy, Query(description="reviewer, team or region")] = GroupBy.REVIEWER,
    region: Annotated[list[RegionCode], Query(max_length=16)] = [],  # noqa: B006 (FastAPI copies it)
    team: Annotated[str | None, Query(min_length=1, max_length=64), LINE] = None,
) -> Statistics:
    """Reviews, corrections, skips, escalations, median time per review, decision and
    reason-code breakdowns and QA agreement over a period, per reviewer, team or region.
    A lead sees their team's people in the team's regions; an admin anyone's."""
    start, end = _period(since, until)
    return await service.statistics(session, overseer, start, end, group_by, region, team)


@router.get("/me/stats", response_model=Statistics)
async def own_statistics(
    principal: CurrentPrincipal, session: DbSession, since: Since = None, until: Until = None
) -> Statistics:
    """Your own figures over a period."""
    start, end = _period(since, until)
    return await service.statistics(
        session, principal, start, end, GroupBy.REVIEWER, [], None, mine=True
    )
