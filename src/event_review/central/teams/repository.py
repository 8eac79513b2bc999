from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Team, TeamRegion


async def get_team(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def get_team_by_id(session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def team_name(session: AsyncSession, team_id: int | None) -> str | None:
    if team_id is None:
        return None
    return await session.scalar(select(Team.name).where(Team.team_id == team_id))


async def add_team(session: AsyncSession, name: str, region_codes: Sequence[str]) -> Team:
    team = Team(name=name)
    session.add(team)
    await session.flush()
    await set_team_regions(session, team.team_id, region_codes)
    return team


async def list_teams(
    session: AsyncSession, limit: int | None = None, offset: int = 0
) -> Sequence[tuple[Team, list[str]]]:
    """Teams by name with their regions, or one page (limit + 1 rows: see central.paging)."""
    regions = func.array_remove(func.array_agg(TeamRegion.region_code.distinct()), None)
    stmt = (
        select(Team, regions)
        .outerjoin(TeamRegion, TeamRegion.team_id == Team.team_id)
        .group_by(Team.team_id)
        .order_by(Team.name)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    return [(row[0], sorted(row[1])) for row in await session.execute(stmt)]


async def team_region_codes(session: AsyncSession, team_id: int) -> list[str]:
    result = await session.scalars(
        select(TeamRegion.region_code)
        .where(TeamRegion.team_id == team_id)
        .order_by(TeamRegion.region_code)
    )
    return list(result.all())


async def set_team_regions(session: AsyncSession, team_id: int, codes: Sequence[str]) -> None:
    await session.execute(delete(TeamRegion).where(TeamRegion.team_id == team_id))
    if codes:
        await session.execute(
            insert(TeamRegion), [{"team_id": team_id, "region_code": c} for c in codes]
        )
