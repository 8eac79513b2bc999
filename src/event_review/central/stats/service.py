"""Whose figures a caller sees: their own; a lead their team's; an admin anyone's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role, User
from event_review.central.identity.principal import Principal
from event_review.central.regions.service import known_codes
from event_review.central.stats import charts, repository
from event_review.central.stats.repository import GroupBy, Scope
from event_review.central.stats.schemas import GroupFigures, Statistics
from event_review.central.teams import repository as teams
from event_review.runtime.errors import Forbidden, NotFound, Unprocessable


async def _team_members(session: AsyncSession, team_id: int) -> set[uuid.UUID]:
    return set((await session.scalars(select(User.user_id).where(User.team_id == team_id))).all())


async def _people(
    session: AsyncSession, principal: Principal, team: str | None, mine: bool
) -> set[uuid.UUID] | None:
    """Whose work is counted (None: everyone's)."""
    if mine or principal.role not in (Role.LEAD, Role.ADMIN):
        return {principal.user_id}
    if principal.role is Role.LEAD:
        if team is not None and team != principal.team_name:
            raise Forbidden("a lead sees their own team's figures", code="not_your_team")
        return await _team_members(session, principal.team_id) if principal.team_id else set()
    if team is None:
        return None
    found = await teams.get_team(session, team)
    if found is None:
        raise NotFound(f"unknown team {team!r}", code="team_not_found")
    return await _team_members(session, found.team_id)


def _empty(key: str) -> dict[str, Any]:
    return {"key": key, "reviews": 0, "corrections": 0, "skips": 0, "escalations": 0,
            "median_seconds_per_review": None, "timed_reviews": 0, "decisions": {},
            "reasons": {}, "qa_judged": 0, "qa_agreed": 0}  # fmt: skip


async def statistics(
    session: AsyncSession,
    principal: Principal,
    since: datetime,
    until: datetime,
    group_by: GroupBy,
    regions: Sequence[str],
    team: str | None,
    *,
    mine: bool = False,
) -> Statistics:
    if until <= since:
        raise Unprocessable(
            "`until` must be after `since`",
            code="validation_error",
            details=[{"loc": ["query", "until"], "msg": "not after since", "type": "range"}],
        )
    if principal.role is Role.ADMIN and regions:
        in_regions: set[str] | None = set(await known_codes(session, regions))
    elif principal.role is Role.ADMIN or mine or principal.role is not Role.LEAD:
        in_regions = set(regions) or None
    else:  # a lead: within the team's regions, and told so rather than shown nothing
        outside = sorted(set(regions) - principal.region_codes)
        if outside:
            raise Forbidden(
                f"your team does not cover {', '.join(outside)}; its regions are "
                f"{', '.join(sorted(principal.region_codes)) or 'none'}",
                code="region_not_in_team",
            )
        in_regions = set(regions) or set(principal.region_codes)
    scope = Scope(since, until, await _people(session, principal, team, mine), in_regions)

    groups: dict[str, dict[str, Any]] = {}

    def group(key: str) -> dict[str, Any]:
        return groups.setdefault(key, _empty(key))

    for row in await repository.rows(session, repository.COUNTS, group_by, scope):
        figures = group(row.grp)
        if row.kind == "review":
            figures["reviews"] += row.n
            figures["decisions"][row.decision] = figures["decisions"].get(row.decision, 0) + row.n
        else:
            figures["corrections"] += row.n
    for row in await repository.rows(session, repository.TIMING, group_by, scope):
        group(row.grp).update(
            median_seconds_per_review=round(row.median_seconds, 3), timed_reviews=row.timed
        )
    for row in await repository.rows(session, repository.REASONS, group_by, scope):
        group(row.grp)["reasons"][f"{row.list}:{row.code}"] = row.n
    for row in await repository.rows(session, repository.PASSED_ON, group_by, scope):
        field = "skips" if row.action == "event.skipped" else "escalations"
        group(row.grp)[field] += row.n
    for row in await repository.rows(session, repository.JUDGED, group_by, scope):
        group(row.grp).update(qa_judged=row.judged, qa_agreed=row.agreed)
    out = [
        GroupFigures(
            **g, qa_agreement=round(g["qa_agreed"] / g["qa_judged"], 4) if g["qa_judged"] else None
        )
        for g in sorted(groups.values(), key=lambda g: g["key"])
    ]
    return Statistics(since=since, until=until, group_by=group_by.value, groups=out)


async def chart(name: charts.ChartName, stats: Statistics) -> bytes:
    # Drawing is milliseconds of pure Python: off the event loop, like the dashboard's.
    return await anyio.to_thread.run_sync(charts.of_statistics(name, stats))
