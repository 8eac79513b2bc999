"""Administration of regions, teams and users, shared by the CLI and the admin API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.admin import repository
from event_review.central.admin.schemas import (
    AuditOut,
    Page,
    RegionCreated,
    RegionOut,
    RegionUpdate,
    TeamOut,
    TeamUpdate,
    UserOut,
    UserUpdate,
)
from event_review.central.audit import repository as audit
from event_review.central.auth.passwords import check_new_password, hash_password
from event_review.central.db.models import Region, RetentionPolicy, Role, User
from event_review.central.ingest.keys import digest, new_ingest_key
from event_review.contracts.fields import forbidden_character
from event_review.runtime.errors import Conflict, NotFound, Unprocessable

T = TypeVar("T")
U = TypeVar("U")

# Who the audit log names as acting: the CLI runs as an operator, the admin API as a user.
OPERATOR = "operator"
USER = "user"

REGION_CODE = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalise_region_code(code: str) -> str:
    normalised = code.strip().lower()
    if not REGION_CODE.match(normalised):
        raise Unprocessable(
            f"region code {code!r} is not valid: 2-16 characters, a letter first, "
            "then letters, digits or '-'",
            code="invalid_region_code",
        )
    return normalised


def validate_api_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or forbidden_character(url) is not None
    ):
        raise Unprocessable(
            f"api URL {url!r} must be an absolute http(s) URL, e.g. https://eu.example.com",
            code="invalid_api_url",
        )
    return url.strip().rstrip("/")


async def add_region(
    session: AsyncSession, code: str, api_url: str, *, actor: str, actor_type: str = OPERATOR
) -> RegionCreated:
    code = normalise_region_code(code)
    api_url = validate_api_url(api_url)
    if await repository.get_region(session, code) is not None:
        raise Conflict(f"region {code!r} already exists", code="region_exists")
    await repository.add_region(session, code, api_url)
    # The first key takes the same path as every later one (rotation).
    key = new_ingest_key()
    await repository.add_ingest_key(session, code, digest(key), revoke_others=False)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="region.added",
        details={"code": code, "api_url": api_url},
    )
    return RegionCreated(code=code, api_url=api_url, ingest_key=key)


def _region_out(region: Region) -> RegionOut:
    return RegionOut(
        code=region.code,
        api_url=region.api_url,
        retention_policy=region.retention_policy,
        retention_days=region.retention_days,
        created_at=region.created_at,
    )


async def list_regions(session: AsyncSession) -> list[RegionOut]:
    return [_region_out(r) for r in await repository.list_regions(session)]


async def add_team(
    session: AsyncSession,
    name: str,
    region_codes: Sequence[str],
    *,
    actor: str,
    actor_type: str = OPERATOR,
) -> TeamOut:
    name = name.strip()
    if not TEAM_NAME.match(name):
        raise Unprocessable(
            f"team name {name!r} is not valid: 1-64 letters, digits, spaces, '.', '_' or '-'",
            code="invalid_team_name",
        )
    codes = sorted({normalise_region_code(c) for c in region_codes if c.strip()})
    unknown = sorted(set(codes) - await repository.existing_region_codes(session, codes))
    if unknown:
        raise NotFound(
            f"unknown region(s): {', '.join(unknown)}; add them with `event-review regions add`",
            code="unknown_region",
        )
    if await repository.get_team(session, name) is not None:
        raise Conflict(f"team {name!r} already exists", code="team_exists")
    team = await repository.add_team(session, name, codes)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="team.added",
        details={"name": name, "regions": codes},
    )
    return TeamOut(team_id=team.team_id, name=team.name, regions=codes)


async def list_teams(session: AsyncSession) -> list[TeamOut]:
    return [
        TeamOut(team_id=team.team_id, name=team.name, regions=codes)
        for team, codes in await repository.list_teams(session)
    ]


async def add_user(
    session: AsyncSession,
    username: str,
    password: str,
    role: Role,
    team_name: str | None,
    *,
    actor: str,
    actor_type: str = OPERATOR,
) -> UserOut:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Unprocessable(
            f"username {username!r} is not valid: 2-64 lowercase letters, digits, '.', '_' or '-'",
            code="invalid_username",
        )
    check_new_password(password)
    team_id = None
    if team_name is not None:
        team = await repository.get_team(session, team_name.strip())
        if team is None:
            raise NotFound(
                f"unknown team {team_name!r}; add it with `event-review teams add`",
                code="unknown_team",
            )
        team_id = team.team_id
    elif role is not Role.ADMIN:
        raise Unprocessable(
            f"a {role.value} needs a team (--team): the team decides which regions they review",
            code="team_required",
        )
    if await repository.get_user(session, username) is not None:
        raise Conflict(f"user {username!r} already exists", code="user_exists")
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    user = await repository.add_user(session, username, password_hash, role, team_id)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="user.added",
        details={"username": username, "role": role.value, "team": team_name},
    )
    return UserOut(
        user_id=user.user_id,
        username=user.username,
        role=Role(user.role),
        team=team_name.strip() if team_name else None,
        is_active=user.is_active,
        created_at=user.created_at,
    )


async def list_users(session: AsyncSession) -> list[UserOut]:
    return [
        UserOut(
            user_id=user.user_id,
            username=user.username,
            role=Role(user.role),
            team=team_name,
            is_active=user.is_active,
            created_at=user.created_at,
        )
        for user, team_name in await repository.list_users(session)
    ]


async def set_retention(
    session: AsyncSession,
    code: str,
    policy: RetentionPolicy,
    days: int | None,
    *,
    actor: str,
    actor_type: str = OPERATOR,
) -> RegionOut:
    code = normalise_region_code(code)
    if (policy is RetentionPolicy.PURGE_AFTER_DAYS) != (days is not None):
        raise Unprocessable(
            "--days N goes with purge_after_days, and only with it", code="invalid_retention"
        )
    if days is not None and days < 0:
        raise Unprocessable("--days must be 0 or more", code="invalid_retention")
    region = await repository.get_region(session, code)
    if region is None:
        raise NotFound(f"unknown region {code!r}", code="unknown_region")
    region.retention_policy = policy.value
    region.retention_days = days
    await session.flush()
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="region.retention_set",
        details={"code": code, "policy": policy.value, "days": days},
    )
    return _region_out(region)


async def issue_ingest_key(
    session: AsyncSession,
    code: str,
    *,
    revoke_others: bool,
    actor: str,
    actor_type: str = OPERATOR,
) -> str:
    """A new ingest key for a region; with `revoke_others`, older keys stop working now."""
    code = normalise_region_code(code)
    if await repository.get_region(session, code) is None:
        raise NotFound(f"unknown region {code!r}", code="unknown_region")
    key = new_ingest_key()
    await repository.add_ingest_key(session, code, digest(key), revoke_others=revoke_others)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="region.ingest_key_issued",
        details={"code": code, "revoked_others": revoke_others},
    )
    return key


async def set_password(session: AsyncSession, username: str, password: str, *, actor: str) -> None:
    """The operator's way in (the CLI, `up`): by name rather than id."""
    user = await repository.get_user(session, username.strip().lower())
    if user is None:
        raise NotFound(f"unknown user {username!r}", code="unknown_user")
    await reset_password(session, user.user_id, password, actor=actor, actor_type=OPERATOR)


# -- the admin API: paged lists and edits -----------------------------------------


def _page(rows: Sequence[T], limit: int, offset: int, convert: Callable[[T], U]) -> Page[U]:
    """Repositories fetch limit + 1 rows; the extra one only says there is more."""
    return Page[U](
        items=[convert(r) for r in rows[:limit]],
        limit=limit,
        offset=offset,
        has_more=len(rows) > limit,
    )


def _user_out(user: User, team_name: str | None) -> UserOut:
    return UserOut(
        user_id=user.user_id,
        username=user.username,
        role=Role(user.role),
        team=team_name,
        is_active=user.is_active,
        created_at=user.created_at,
    )


async def regions_page(session: AsyncSession, limit: int, offset: int) -> Page[RegionOut]:
    rows = await repository.list_regions_page(session, limit, offset)
    return _page(rows, limit, offset, _region_out)


async def update_region(
    session: AsyncSession, code: str, changes: RegionUpdate, *, actor: str, actor_type: str = USER
) -> RegionOut:
    code = normalise_region_code(code)
    region = await repository.get_region(session, code)
    if region is None:
        raise NotFound(f"unknown region {code!r}", code="unknown_region")
    given = changes.model_fields_set
    changed: dict[str, object] = {}
    if "api_url" in given and changes.api_url is not None:
        region.api_url = validate_api_url(changes.api_url)
        changed["api_url"] = region.api_url
    if "retention_policy" in given or "retention_days" in given:
        policy = changes.retention_policy or RetentionPolicy(region.retention_policy)
        days = changes.retention_days if "retention_days" in given else None
        if (policy is RetentionPolicy.PURGE_AFTER_DAYS) != (days is not None):
            raise Unprocessable(
                "retention_days goes with retention_policy purge_after_days, and only with it",
                code="invalid_retention",
            )
        region.retention_policy = policy.value
        region.retention_days = days
        changed.update(retention_policy=policy.value, retention_days=days)
    await session.flush()
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="region.updated",
        details={"code": code, **changed},
    )
    return _region_out(region)


async def teams_page(session: AsyncSession, limit: int, offset: int) -> Page[TeamOut]:
    rows = await repository.list_teams_page(session, limit, offset)
    return _page(
        rows, limit, offset, lambda r: TeamOut(team_id=r[0].team_id, name=r[0].name, regions=r[1])
    )


async def _known_region_codes(session: AsyncSession, region_codes: Sequence[str]) -> list[str]:
    codes = sorted({normalise_region_code(c) for c in region_codes if c.strip()})
    unknown = sorted(set(codes) - await repository.existing_region_codes(session, codes))
    if unknown:
        raise NotFound(f"unknown region(s): {', '.join(unknown)}", code="unknown_region")
    return codes


async def update_team(
    session: AsyncSession, team_id: int, changes: TeamUpdate, *, actor: str, actor_type: str = USER
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
        name = changes.name.strip()
        if not TEAM_NAME.match(name):
            raise Unprocessable(
                f"team name {name!r} is not valid: 1-64 letters, digits, spaces, '.', '_' or '-'",
                code="invalid_team_name",
            )
        if await repository.get_team(session, name) is not None:
            raise Conflict(f"team {name!r} already exists", code="team_exists")
        team.name = name
        changed["name"] = name
    if changes.regions is not None:
        codes = await _known_region_codes(session, changes.regions)
        await repository.set_team_regions(session, team_id, codes)
        changed["regions"] = codes
    await session.flush()
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="team.updated",
        details={"team_id": team_id, **changed},
    )
    return TeamOut(
        team_id=team.team_id,
        name=team.name,
        regions=await repository.team_region_codes(session, team_id),
    )


async def users_page(
    session: AsyncSession,
    limit: int,
    offset: int,
    *,
    search: str | None = None,
    active: bool | None = None,
) -> Page[UserOut]:
    rows = await repository.list_users_page(session, limit, offset, search=search, active=active)
    return _page(rows, limit, offset, lambda r: _user_out(r[0], r[1]))


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
    actor: str,
    acting_user_id: uuid.UUID | None = None,
    actor_type: str = USER,
) -> UserOut:
    user = await _user(session, user_id)
    given = changes.model_fields_set
    role = changes.role if changes.role is not None else Role(user.role)
    if role.value != user.role:
        _not_yourself(user, acting_user_id, "change the role of")
    team_id = user.team_id
    if "team" in given:
        if changes.team is None:
            team_id = None
        else:
            team = await repository.get_team(session, changes.team.strip())
            if team is None:
                raise NotFound(f"unknown team {changes.team!r}", code="unknown_team")
            team_id = team.team_id
    if team_id is None and role is not Role.ADMIN:
        raise Unprocessable(
            f"a {role.value} needs a team: the team decides which regions they review",
            code="team_required",
        )
    user.role = role.value
    user.team_id = team_id
    await session.flush()
    team_name = await repository.team_name(session, team_id)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="user.updated",
        details={"username": user.username, "role": role.value, "team": team_name},
    )
    return _user_out(user, team_name)


async def set_active(
    session: AsyncSession,
    user_id: uuid.UUID,
    active: bool,
    *,
    actor: str,
    acting_user_id: uuid.UUID | None = None,
    actor_type: str = USER,
) -> UserOut:
    """(De)activate a user. Deactivation also ends their sessions, so a token
    already handed out stops working now, and the re-queue job gives back the
    events they held (it returns events whose holder has no live session)."""
    user = await _user(session, user_id)
    if not active:
        _not_yourself(user, acting_user_id, "deactivate")
    user.is_active = active
    await session.flush()
    revoked = 0 if active else await repository.revoke_user_sessions(session, user_id)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="user.activated" if active else "user.deactivated",
        details={"username": user.username, "sessions_revoked": revoked},
    )
    return _user_out(user, await repository.team_name(session, user.team_id))


async def reset_password(
    session: AsyncSession,
    user_id: uuid.UUID,
    password: str,
    *,
    actor: str,
    actor_type: str = USER,
) -> UserOut:
    """A new password; whoever knew the old one loses their sessions too."""
    check_new_password(password)
    user = await _user(session, user_id)
    user.password_hash = await anyio.to_thread.run_sync(hash_password, password)
    await session.flush()
    revoked = await repository.revoke_user_sessions(session, user_id)
    await audit.record(
        session,
        actor_type=actor_type,
        actor=actor,
        action="user.password_reset",
        details={"username": user.username, "sessions_revoked": revoked},
    )
    return _user_out(user, await repository.team_name(session, user.team_id))


async def audit_page(
    session: AsyncSession,
    limit: int,
    offset: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    event_id: uuid.UUID | None = None,
) -> Page[AuditOut]:
    rows = await repository.list_audit(
        session, limit, offset, action=action, actor=actor, event_id=event_id
    )
    return _page(rows, limit, offset, AuditOut.model_validate)


async def revoke_old_ingest_keys(session: AsyncSession, code: str, *, actor: str) -> int:
    """End a rotation: every key of the region but the newest stops working."""
    code = normalise_region_code(code)
    if await repository.get_region(session, code) is None:
        raise NotFound(f"unknown region {code!r}", code="unknown_region")
    revoked = await repository.revoke_all_but_newest_key(session, code)
    await audit.record(
        session,
        actor_type="operator",
        actor=actor,
        action="region.ingest_keys_revoked",
        details={"code": code, "revoked": revoked},
    )
    return revoked
