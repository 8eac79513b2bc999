"""Sessions: what an access token names and a refresh token renews.

Login and refresh make and rotate them (central.auth); deactivating a user or
resetting a password ends them (central.users). Both come here, so a session
is made, read and ended in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Team, TeamRegion, User, UserSession


@dataclass(frozen=True)
class SessionRow:
    user_id: uuid.UUID
    username: str
    role: str
    is_active: bool
    team_id: int | None
    team_name: str | None
    region_codes: list[str]
    session_id: uuid.UUID
    expires_at: datetime
    revoked_at: datetime | None


async def create_session(
    session: AsyncSession,
    user_id: uuid.UUID,
    expires_at: datetime,
    *,
    session_id: uuid.UUID | None = None,
    refresh_hash: str | None = None,
) -> UserSession:
    row = UserSession(
        session_id=session_id or uuid.uuid4(),
        user_id=user_id,
        expires_at=expires_at,
        refresh_token_hash=refresh_hash,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row, ["session_id", "created_at"])
    return row


# Built once: every authenticated request runs it, and SQLAlchemy memoises a
# statement object's cache key, so a reused statement skips rebuilding it.
_SESSION_QUERY = (
    select(
        User.user_id,
        User.username,
        User.role,
        User.is_active,
        User.team_id,
        Team.name,
        select(func.coalesce(func.array_agg(TeamRegion.region_code), []))
        .where(TeamRegion.team_id == User.team_id)
        .scalar_subquery(),
        UserSession.session_id,
        UserSession.expires_at,
        UserSession.revoked_at,
    )
    .join(User, User.user_id == UserSession.user_id)
    .outerjoin(Team, Team.team_id == User.team_id)
    .where(UserSession.session_id == bindparam("session_id"))
)


async def load_session(session: AsyncSession, session_id: uuid.UUID) -> SessionRow | None:
    """The session, its user and the user's team regions, in one round trip."""
    row = (await session.execute(_SESSION_QUERY, {"session_id": session_id})).one_or_none()
    if row is None:
        return None
    return SessionRow(*row)


async def session_for_refresh(session: AsyncSession, session_id: uuid.UUID) -> UserSession | None:
    return await session.scalar(
        select(UserSession).where(UserSession.session_id == session_id).with_for_update()
    )


async def rotate_refresh_token(session: AsyncSession, session_id: uuid.UUID, new_hash: str) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.session_id == session_id)
        .values(refresh_token_hash=new_hash, refreshed_at=func.now())
    )


async def revoke_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.session_id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def revoke_user_sessions(session: AsyncSession, user_id: uuid.UUID) -> int:
    """End every live session of the user now; their tokens stop working at once."""
    result = await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
