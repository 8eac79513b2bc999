"""Single sign-on users: the identity provider's claims decide role and team."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.auth import service
from event_review.central.auth.schemas import TokenResponse
from event_review.central.db.models import AuditAction, Role
from event_review.central.identity.actor import Actor
from event_review.central.teams import repository as teams
from event_review.central.users import repository as users
from event_review.runtime.errors import Conflict, Forbidden, Unauthorized
from event_review.settings import Settings

# No argon2 hash has this form, so password login can never match it.
NO_PASSWORD = "!sso"
_NOT_ALLOWED = re.compile(r"[^a-z0-9._-]")


def username_from(claims: dict[str, Any], settings: Settings) -> str:
    raw = str(
        claims.get(settings.oidc_username_claim) or claims.get("email") or claims["sub"]
    ).lower()
    name = _NOT_ALLOWED.sub("-", raw.replace("@", "."))[:64].strip("-.")
    if len(name) < 2:
        raise Forbidden("the identity provider sent no usable username", code="sso_no_username")
    return name


async def sign_in(
    session: AsyncSession, settings: Settings, claims: dict[str, Any]
) -> TokenResponse:
    subject = f"{settings.oidc_issuer} {claims['sub']}"
    try:
        role = Role(str(claims.get(settings.oidc_role_claim, "")))
    except ValueError as exc:
        raise Forbidden(
            f"your identity provider gives you no role here (claim {settings.oidc_role_claim!r} "
            "must be reviewer, lead or admin); ask an administrator",
            code="sso_no_role",
        ) from exc
    team_name = claims.get(settings.oidc_team_claim)
    team_id = None
    if team_name:
        team = await teams.get_team(session, str(team_name))
        if team is None:
            raise Forbidden(
                f"your team {team_name!r} is not set up on this platform; ask an administrator",
                code="sso_unknown_team",
            )
        team_id = team.team_id
    elif role is not Role.ADMIN:
        raise Forbidden(
            f"your identity provider names no team (claim {settings.oidc_team_claim!r})",
            code="sso_no_team",
        )
    user = await users.get_user_by_subject(session, subject)
    if user is None:
        username = username_from(claims, settings)
        if await users.get_user(session, username) is not None:
            # Never merge into a local account by name: that would let whoever
            # controls a provider account take over a password user.
            raise Conflict(
                f"the username {username!r} belongs to a local account", code="sso_username_taken"
            )
        user = await users.add_user(
            session, username, NO_PASSWORD, role.value, team_id, oidc_subject=subject
        )
        await audit.record(
            session,
            actor=Actor.user(username),
            action=AuditAction.USER_PROVISIONED_BY_SSO,
            details={"role": role.value, "team": team_name},
        )
    elif not user.is_active:
        raise Unauthorized("this account is deactivated", code="account_inactive")
    else:
        # The provider is the source of truth for SSO users' role and team.
        user.role = role.value
        user.team_id = team_id
        await session.flush()
    return await service.start_session(session, settings, user.user_id, user.username, via="oidc")
