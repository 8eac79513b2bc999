from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Team, User


async def get_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def get_user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_subject(session: AsyncSession, oidc_subject: str) -> User | None:
    return await session.scalar(select(User).where(User.oidc_subject == oidc_subject))


async def add_user(
    session: AsyncSession,
    username: str,
    password_hash: str,
    role: str,
    team_id: int | None,
    *,
    oidc_subject: str | None = None,
) -> User:
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        team_id=team_id,
        oidc_subject=oidc_subject,
    )
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return user


async def list_users(
    session: AsyncSession,
    limit: int | None = None,
    offset: int = 0,
    *,
    search: str | None = None,
    active: bool | None = None,
) -> Sequence[tuple[User, str | None]]:
    """Users by name with their team's name; one page when `limit` is given (limit + 1 rows)."""
    stmt = select(User, Team.name).outerjoin(Team, Team.team_id == User.team_id)
    if search:
        # Usernames are lowercase ASCII (a check constraint says so); escape LIKE wildcards.
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(User.username.like(f"%{escaped}%", escape="\\"))
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    stmt = stmt.order_by(User.username).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    return [(row[0], row[1]) for row in await session.execute(stmt)]
