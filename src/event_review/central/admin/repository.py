from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditEntry,
    IngestKey,
    Region,
    Team,
    TeamRegion,
    User,
    UserSession,
)


async def get_region(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def add_region(session: AsyncSession, code: str, api_url: str) -> Region:
    region = Region(code=code, api_url=api_url)
    session.add(region)
    await session.flush()
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


# -- paged lists and edits for the admin API ------------------------------------
#
# Pages fetch one row more than asked: its presence says whether there is a
# next page, without counting the whole table.


async def list_regions_page(session: AsyncSession, limit: int, offset: int) -> Sequence[Region]:
    stmt = select(Region).order_by(Region.code).limit(limit + 1).offset(offset)
    return (await session.scalars(stmt)).all()


async def list_teams_page(
    session: AsyncSession, limit: int, offset: int
) -> Sequence[tuple[Team, list[str]]]:
    regions = func.array_remove(func.array_agg(TeamRegion.region_code.distinct()), None)
    stmt = (
        select(Team, regions)
        .outerjoin(TeamRegion, TeamRegion.team_id == Team.team_id)
        .group_by(Team.team_id)
        .order_by(Team.name)
        .limit(limit + 1)
        .offset(offset)
    )
    return [(row[0], sorted(row[1])) for row in await session.execute(stmt)]


async def get_team_by_id(session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


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


async def list_users_page(
    session: AsyncSession,
    limit: int,
    offset: int,
    *,
    search: str | None = None,
    active: bool | None = None,
) -> Sequence[tuple[User, str | None]]:
    stmt = select(User, Team.name).outerjoin(Team, Team.team_id == User.team_id)
    if search:
        # Usernames are lowercase ASCII (a check constraint says so); escape LIKE wildcards.
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(User.username.like(f"%{escaped}%", escape="\\"))
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    stmt = stmt.order_by(User.username).limit(limit + 1).offset(offset)
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def get_user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def team_name(session: AsyncSession, team_id: int | None) -> str | None:
    if team_id is None:
        return None
    return await session.scalar(select(Team.name).where(Team.team_id == team_id))


async def revoke_user_sessions(session: AsyncSession, user_id: uuid.UUID) -> int:
    """End every live session of the user now; their tokens stop working at once."""
    result = await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def list_audit(
    session: AsyncSession,
    limit: int,
    offset: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    event_id: uuid.UUID | None = None,
) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry)
    if action:
        # `event.` matches every event action; a full name matches exactly that one.
        if action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if event_id is not None:
        stmt = stmt.where(AuditEntry.event_id == event_id)
    stmt = (
        stmt.order_by(AuditEntry.occurred_at.desc(), AuditEntry.audit_id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return (await session.scalars(stmt)).all()


async def revoke_all_but_newest_key(session: AsyncSession, code: str) -> int:
    newest = (
        select(IngestKey.key_id)
        .where(IngestKey.region_code == code, IngestKey.revoked_at.is_(None))
        .order_by(IngestKey.created_at.desc(), IngestKey.key_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    result = await session.execute(
        update(IngestKey)
        .where(
            IngestKey.region_code == code,
            IngestKey.revoked_at.is_(None),
            IngestKey.key_id != newest,
        )
        .values(revoked_at=func.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
