"""Administration of regions, teams and users (the CLI today, admin routes later)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.admin import repository
from event_review.central.admin.schemas import RegionCreated, RegionOut, TeamOut, UserOut
from event_review.central.audit import repository as audit
from event_review.central.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from event_review.central.db.models import Region, RetentionPolicy, Role
from event_review.central.ingest.keys import digest, new_ingest_key
from event_review.runtime.errors import Conflict, NotFound, Unprocessable

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
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unprocessable(
            f"api URL {url!r} must be an absolute http(s) URL, e.g. https://eu.example.com",
            code="invalid_api_url",
        )
    return url.strip().rstrip("/")


async def add_region(
    session: AsyncSession, code: str, api_url: str, *, actor: str
) -> RegionCreated:
    code = normalise_region_code(code)
    api_url = validate_api_url(api_url)
    if await repository.get_region(session, code) is not None:
        raise Conflict(f"region {code!r} already exists", code="region_exists")
    key = new_ingest_key()
    await repository.add_region(session, code, api_url, digest(key))
    await audit.record(
        session,
        actor_type="operator",
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
    session: AsyncSession, name: str, region_codes: Sequence[str], *, actor: str
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
        actor_type="operator",
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
) -> UserOut:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Unprocessable(
            f"username {username!r} is not valid: 2-64 lowercase letters, digits, '.', '_' or '-'",
            code="invalid_username",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            code="weak_password",
        )
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
    user = await repository.add_user(session, username, hash_password(password), role, team_id)
    await audit.record(
        session,
        actor_type="operator",
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
    session: AsyncSession, code: str, policy: RetentionPolicy, days: int | None, *, actor: str
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
        actor_type="operator",
        actor=actor,
        action="region.retention_set",
        details={"code": code, "policy": policy.value, "days": days},
    )
    return _region_out(region)


async def issue_ingest_key(
    session: AsyncSession, code: str, *, revoke_others: bool, actor: str
) -> str:
    """A new ingest key for a region; with `revoke_others`, older keys stop working now."""
    code = normalise_region_code(code)
    if await repository.get_region(session, code) is None:
        raise NotFound(f"unknown region {code!r}", code="unknown_region")
    key = new_ingest_key()
    await repository.add_ingest_key(session, code, digest(key), revoke_others=revoke_others)
    await audit.record(
        session,
        actor_type="operator",
        actor=actor,
        action="region.ingest_key_issued",
        details={"code": code, "revoked_others": revoke_others},
    )
    return key


async def set_password(session: AsyncSession, username: str, password: str, *, actor: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            code="weak_password",
        )
    user = await repository.get_user(session, username.strip().lower())
    if user is None:
        raise NotFound(f"unknown user {username!r}", code="unknown_user")
    user.password_hash = hash_password(password)
    await session.flush()
    await audit.record(
        session,
        actor_type="operator",
        actor=actor,
        action="user.password_set",
        details={"username": user.username},
    )
