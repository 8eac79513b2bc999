"""The admin API of teams: admins change them, leads read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from event_review.central.identity.dependencies import Admin, Overseer
from event_review.central.paging import DEFAULT_PAGE, Limit, Offset, Page
from event_review.central.teams import service
from event_review.central.teams.schemas import TeamCreate, TeamOut, TeamUpdate
from event_review.contracts.errors import documented
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin/teams", tags=["admin"])

# Team ids are PostgreSQL integers: anything larger can name no team.
TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ERRORS = documented(
    e403="Your role may not do this",
    e404="No such team, or an unknown region",
    e409="A team of that name exists already",
)


@router.get("", response_model=Page[TeamOut])
async def list_teams(
    who: Overseer, session: DbSession, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> Page[TeamOut]:
    del who
    return await service.teams_page(session, limit, offset)


@router.post("", response_model=TeamOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
async def create_team(body: TeamCreate, admin: Admin, session: DbSession) -> TeamOut:
    return await service.add_team(session, body.name, body.regions, actor=admin.as_actor())


@router.patch("/{team_id}", response_model=TeamOut, responses=_ERRORS)
async def update_team(
    team_id: TeamId, body: TeamUpdate, admin: Admin, session: DbSession
) -> TeamOut:
    """Rename a team, or replace the regions it reviews (the team-to-region mapping)."""
    return await service.update_team(session, team_id, body, actor=admin.as_actor())
