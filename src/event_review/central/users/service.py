"""Users: reviewers, leads and admins, for the command line and the admin API alike."""

from __future__ import annotations

import re
import uuid

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, Role, User
from event_review.central.identity.actor import Actor
from event_review.central.paging import Page, page_of
from event_review.central.sessions import repository as sessions
from event_review.central.teams import repository as teams
from event_review.central.teams.service import team_named
from event_review.central.users import repository
from event_review.central.users.passwords import check_new_password, hash_password
from event_review.central.users.schemas import UserOut, UserUpdate
from event_review.runtime.errors import Conflict, NotFound, Unprocessable

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def checked_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Unprocessable(
            f"username {username!r} is not valid: 2-64 lowercase letters, digits, '.', '_' or '-'",
            code="invalid_username",
        )
    return username


def _team_required(role: Role, team_id: int | None) -> None:
    # The team decides which regions a user reviews; only an admin may have none.
    if team_id is None and role is not Role.ADMIN:
        raise Unprocessable(
            f"a {role.value} needs a team: the team decides which regions they review",
            code="team_required",
        )


def user_out(user: User, team_name: str | None) -> UserOut:
    return UserOut(
        user_id=user.user_id,
        username=user.username,
        role=Role(user.role),
        team=team_name,
        is_active=user.is_active,
        created_at=user.created_at,
    )


async def add_user(
    session: AsyncSession,
    username: str,
    password: str,
    role: Role,
    team_name: str | None,
    *,
    actor: Actor,
) -> UserOut:
    username = checked_username(username)
    check_new_password(password)
    team = await team_named(session, team_name) if team_name is not None else None
    _team_required(role, team.team_id if team else None)
    if await repository.get_user(session, username) is not None:
        raise Conflict(f"user {username!r} already exists", code="user_exists")
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    user = await repository.add_user(
        session, username, password_hash, role.value, team.team_id if team else None
    )
    await audit.record(
        session, actor=actor, action=AuditAction.USER_ADDED,
        details={"username": username, "role": role.value, "team": team.name if team else None},
    )  # fmt: skip
    return user_out(user, team.name if team else None)


async def list_users(session: AsyncSession) -> list[UserOut]:
    return [user_out(user, team) for user, team in await repository.list_users(session)]


async def users_page(
    session: AsyncSession,
    limit: int,
    offset: int,
    *,
    search: str | None = None,
    active: bool | None = None,
) -> Page[UserOut]:
    rows = await repository.list_users(session, limit, offset, search=search, active=active)
    return page_of(rows, limit, offset, lambda r: user_out(r[0], r[1]))


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get_user_by_id(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="unknown_user")
    return user


def _not_yourself(user: User, acting_user_id: uuid.UUID | None, what: str) -> None:
    # An admin who locks themselves out may leave nobody able to undo it.
    if acting_user_id is not None and user.user_id == acting_user_id:
        raise Conflict(f"you cannot {what} yourself; ask another admin", code="cannot_change_self")


async def update_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    changes: UserUpdate,
    *,
    actor: Actor,
    acting_user_id: uuid.UUID | None = None,
) -> UserOut:
    user = await _user(session, user_id)
    role = changes.role if changes.role is not None else Role(user.role)
    if role.value != user.role:
        _not_yourself(user, acting_user_id, "change the role of")
    team_id = user.team_id
    if "team" in changes.model_fields_set:
        team = None if changes.team is None else await team_named(session, changes.team)
        team_id = team.team_id if team else None
    _team_required(role, team_id)
    user.role = role.value
    user.team_id = team_id
    await session.flush()
    team_name = await teams.team_name(session, team_id)
    await audit.record(
        session, actor=actor, action=AuditAction.USER_UPDATED,
        details={"username": user.username, "role": role.value, "team": team_name},
    )  # fmt: skip
    return user_out(user, team_name)


async def set_active(
    session: AsyncSession,
    user_id: uuid.UUID,
    active: bool,
    *,
    actor: Actor,
    acting_user_id: uuid.UUID | None = None,
) -> UserOut:
    """(De)activate a user. Deactivation also ends their sessions, so a token
    already handed out stops working now, and the re-queue job gives back the
    events they held (it returns events whose holder has no live session)."""
    user = await _user(session, user_id)
    if not active:
        _not_yourself(user, acting_user_id, "deactivate")
    user.is_active = active
    await session.flush()
    revoked = 0 if active else await sessions.revoke_user_sessions(session, user_id)
    await audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_ACTIVATED if active else AuditAction.USER_DEACTIVATED,
        details={"username": user.username, "sessions_revoked": revoked},
    )
    return user_out(user, await teams.team_name(session, user.team_id))


async def reset_password(
    session: AsyncSession, user_id: uuid.UUID, password: str, *, actor: Actor
) -> UserOut:
    """A new password; whoever knew the old one loses their sessions too."""
    check_new_password(password)
    user = await _user(session, user_id)
    user.password_hash = await anyio.to_thread.run_sync(hash_password, password)
    await session.flush()
    revoked = await sessions.revoke_user_sessions(session, user_id)
    await audit.record(
        session, actor=actor, action=AuditAction.USER_PASSWORD_RESET,
        details={"username": user.username, "sessions_revoked": revoked},
    )  # fmt: skip
    return user_out(user, await teams.team_name(session, user.team_id))


async def set_password(
    session: AsyncSession, username: str, password: str, *, actor: Actor
) -> None:
    """The operator's way in (the command line, `up`): by name rather than id."""
    user = await repository.get_user(session, username.strip().lower())
    if user is None:
        raise NotFound(f"unknown user {username!r}", code="unknown_user")
    await reset_password(session, user.user_id, password, actor=actor)
