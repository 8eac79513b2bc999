from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import IngestKey, Region, Team, TeamRegion, User


async def get_region(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def add_region(session: AsyncSession, code: str, api_url: str, key_hash: str) -> Region:
    region = Region(code=code, api_url=api_url)
    session.add(region)
    await session.flush()
    await session.execute(insert(IngestKey).values(region_code=code, key_hash=key_hash))
    await session.refresh(region)
    return region


async def add_ingest_key(
    session: AsyncSession, code: str, key_hash: str, *, revoke_others: bool
) -> None:
    if revoke_others:
        await session.execute(
            update(IngestKey)
            .where(IngestKey.region_code == code, IngestKey.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
    await session.execute(insert(IngestKey).values(region_code=code, key_hash=key_hash))


async def list_regions(session: AsyncSession) -> Sequence[Region]:
    return (await session.scalars(select(Region).order_by(Region.code))).all()


async def existing_region_codes(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    result = await session.scalars(select(Region.code).where(Region.code.in_(codes)))
    return set(result.all())


async def get_team(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def add_team(session: AsyncSession, name: str, region_codes: Sequence[str]) -> Team:
    team = Team(name=name)
    session.add(team)
    await session.flush()
    if region_codes:
        await session.execute(
            insert(TeamRegion),
            [{"team_id": team.team_id, "region_code": code} for code in region_codes],
        )
    return team


async def list_teams(session: AsyncSession) -> Sequence[tuple[Team, list[str]]]:
    regions = func.array_remove(func.array_agg(TeamRegion.region_code.distinct()), None)
    stmt = (
        select(Team, regions)
        .outerjoin(TeamRegion, TeamRegion.team_id == Team.team_id)
        .group_by(Team.team_id)
        .order_by(Team.name)
    )
    return [(row[0], sorted(row[1])) for row in await session.execute(stmt)]


async def get_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def add_user(
    session: AsyncSession, username: str, password_hash: str, role: str, team_id: int | None
) -> User:
    user = User(username=username, password_hash=password_hash, role=role, team_id=team_id)
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return user


async def list_users(session: AsyncSession) -> Sequence[tuple[User, str | None]]:
    stmt = (
        select(User, Team.name)
        .outerjoin(Team, Team.team_id == User.team_id)
        .order_by(User.username)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]
