"""Teams and the regions whose events they review (the team-to-region mapping)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, Team
from event_review.central.identity.actor import Actor
from event_review.central.paging import Page, page_of
from event_review.central.regions import service as regions
from event_review.central.teams import repository
from event_review.central.teams.schemas import TeamOut, TeamUpdate
from event_review.runtime.errors import Conflict, NotFound, Unprocessable

TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


async def _free_name(session: AsyncSession, name: str) -> str:
    """A valid team name that no team has yet."""
    name = name.strip()
    if not TEAM_NAME.match(name):
        raise Unprocessable(
            f"team name {name!r} is not valid: 1-64 letters, digits, spaces, '.', '_' or '-'",
            code="invalid_team_name",
        )
    if await repository.get_team(session, name) is not None:
        raise Conflict(f"team {name!r} already exists", code="team_exists")
    return name


async def team_named(session: AsyncSession, name: str) -> Team:
    team = await repository.get_team(session, name.strip())
    if team is None:
        raise NotFound(
            f"unknown team {name!r}; add it with `event-review teams add`", code="unknown_team"
        )
    return team


async def add_team(
    session: AsyncSession, name: str, region_codes: Sequence[str], *, actor: Actor
) -> TeamOut:
    codes = await regions.known_codes(session, region_codes)
    name = await _free_name(session, name)
    team = await repository.add_team(session, name, codes)
    await audit.record(
        session, actor=actor, action=AuditAction.TEAM_ADDED,
        details={"name": name, "regions": codes},
    )  # fmt: skip
    return TeamOut(team_id=team.team_id, name=team.name, regions=codes)


async def list_teams(session: AsyncSession) -> list[TeamOut]:
    return [
        TeamOut(team_id=team.team_id, name=team.name, regions=codes)
        for team, codes in await repository.list_teams(session)
    ]


async def teams_page(session: AsyncSession, limit: int, offset: int) -> Page[TeamOut]:
    rows = await repository.list_teams(session, limit, offset)
    return page_of(
        rows, limit, offset, lambda r: TeamOut(team_id=r[0].team_id, name=r[0].name, regions=r[1])
    )


async def update_team(
    session: AsyncSession, team_id: int, changes: TeamUpdate, *, actor: Actor
) -> TeamOut:
    """Rename a team or replace the regions it reviews.

    Removing a region stops new claims of its events at once; events a member
    already holds stay theirs until their lease runs out.
    """
    team = await repository.get_team_by_id(session, team_id)
    if team is None:
        raise NotFound(f"no team {team_id}", code="unknown_team")
    changed: dict[str, object] = {}
    if changes.name is not None and changes.name.strip() != team.name:
        team.name = await _free_name(session, changes.name)
        changed["name"] = team.name
    if changes.regions is not None:
        codes = await regions.known_codes(session, changes.regions)
        await repository.set_team_regions(session, team_id, codes)
        changed["regions"] = codes
    await session.flush()
    await audit.record(
        session, actor=actor, action=AuditAction.TEAM_UPDATED,
        details={"team_id": team_id, **changed},
    )  # fmt: skip
    return TeamOut(
        team_id=team.team_id,
        name=team.name,
        regions=await repository.team_region_codes(session, team_id),
    )
