"""Reviewer statistics: the figures as JSON, as charts (SVG) and as a file (CSV or
JSON Lines), each over the same query and with the same access rules; the `me`
routes give anyone their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.identity.dependencies import CurrentPrincipal, Overseer
from event_review.central.identity.principal import Principal
from event_review.central.stats import service
from event_review.central.stats.charts import ChartName
from event_review.central.stats.export import MEDIA_TYPES, ExportFormat
from event_review.central.stats.export import render as export_file
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
Format = Annotated[ExportFormat, Query(description="`csv` or `jsonl`.")]

SVG = "image/svg+xml"
# Figures scoped to the caller: no shared cache may keep them.
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_OVERSEEN = documented(
    e403="Leads (their team, in its regions) and admins "
    "(`role_required`, `not_your_team`, `region_not_in_team`)",
    e404="No such team or region (`team_not_found`, `unknown_region`)",
)
_Responses = dict[int | str, dict[str, object]]
_SVG: _Responses = {200: {"content": {SVG: {}}, "description": "An SVG chart, without scripts"}}
_FILE: _Responses = {
    200: {"content": {m: {} for m in MEDIA_TYPES.values()}, "description": "One row a group"}
}


@dataclass(frozen=True)
class StatsQuery:
    since: datetime
    until: datetime
    group_by: GroupBy = GroupBy.REVIEWER
    regions: list[str] = field(default_factory=list)
    team: str | None = None


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or datetime.now(UTC)
    return since or until - DEFAULT_PERIOD, until


def own_query(since: Since = None, until: Until = None) -> StatsQuery:
    return StatsQuery(*_period(since, until))


def stats_query(
    since: Since = None,
    until: Until = None,
    group_by: Annotated[GroupBy, Query(description="reviewer, team or region")] = GroupBy.REVIEWER,
    region: Annotated[list[RegionCode], Query(max_length=16)] = [],  # noqa: B006 (FastAPI copies it)
    team: Annotated[str | None, Query(min_length=1, max_length=64), LINE] = None,
) -> StatsQuery:
    return StatsQuery(*_period(since, until), group_by, list(region), team)


GroupQuery = Annotated[StatsQuery, Depends(stats_query)]
OwnQuery = Annotated[StatsQuery, Depends(own_query)]


async def _figures(
    session: DbSession, who: Principal, query: StatsQuery, *, mine: bool = False
) -> Statistics:
    return await service.statistics(
        session, who, query.since, query.until, query.group_by, query.regions, query.team,
        mine=mine,
    )  # fmt: skip


async def _chart(chart: ChartName, figures: Statistics) -> Response:
    return Response(await service.chart(chart, figures), media_type=SVG, headers=_HEADERS)


def _file(figures: Statistics, fmt: ExportFormat, prefix: str) -> Response:
    name = f"{prefix}-{figures.group_by}-{figures.since:%Y%m%d}-{figures.until:%Y%m%d}.{fmt.value}"
    return Response(
        export_file(figures, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={**_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/stats", response_model=Statistics, responses=_OVERSEEN)
async def statistics(overseer: Overseer, session: DbSession, query: GroupQuery) -> Statistics:
    """Reviews, corrections, skips, escalations, median time per review, decision and
    reason-code breakdowns and QA agreement over a period, per reviewer, team or region.
    A lead sees their team's people in the team's regions; an admin anyone's."""
    return await _figures(session, overseer, query)


@router.get(
    "/stats/charts/{chart}.svg",
    response_class=Response,
    responses={**_OVERSEEN, **_SVG},
)
async def statistics_chart(
    overseer: Overseer, session: DbSession, chart: ChartName, query: GroupQuery
) -> Response:
    """One chart of the figures `/stats` gives for the same query: `reviews` (reviews and
    corrections per group), `median-time`, `decisions` (stacked per group) or `reasons`
    (the ten reason codes given most). At most 12 groups are drawn, the busiest."""
    return await _chart(chart, await _figures(session, overseer, query))


@router.get("/stats/export", response_class=Response, responses={**_OVERSEEN, **_FILE})
async def export_statistics(
    overseer: Overseer, session: DbSession, query: GroupQuery, format: Format = ExportFormat.CSV
) -> Response:
    """The figures `/stats` gives for the same query as a download, one row a group: the
    figures, then a `decision:<decision>` and a `reason:<list>:<code>` column for each
    one given. CSV cells a spreadsheet would run as a formula are escaped. Audited
    (`stats.exported`): the file holds figures per person."""
    figures = await _figures(session, overseer, query)
    await audit.record(
        session,
        actor=overseer.as_actor(),
        action=AuditAction.STATS_EXPORTED,
        details={
            "group_by": figures.group_by,
            "since": figures.since.isoformat(),
            "until": figures.until.isoformat(),
            "format": format.value,
            "rows": len(figures.groups),
        },
    )
    return _file(figures, format, "statistics")


@router.get("/me/stats", response_model=Statistics, responses=documented())
async def own_statistics(
    principal: CurrentPrincipal, session: DbSession, query: OwnQuery
) -> Statistics:
    """Your own figures over a period."""
    return await _figures(session, principal, query, mine=True)


@router.get(
    "/me/stats/charts/{chart}.svg",
    response_class=Response,
    responses={**documented(), **_SVG},
)
async def own_statistics_chart(
    principal: CurrentPrincipal, session: DbSession, chart: ChartName, query: OwnQuery
) -> Response:
    """One chart of your own figures (the charts of `/stats/charts`)."""
    return await _chart(chart, await _figures(session, principal, query, mine=True))


@router.get("/me/stats/export", response_class=Response, responses={**documented(), **_FILE})
async def export_own_statistics(
    principal: CurrentPrincipal,
    session: DbSession,
    query: OwnQuery,
    format: Format = ExportFormat.CSV,
) -> Response:
    """Your own figures as a download, laid out as `/stats/export`."""
    return _file(await _figures(session, principal, query, mine=True), format, "my-statistics")
