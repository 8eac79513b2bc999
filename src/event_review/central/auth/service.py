from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.auth.schemas import TokenResponse
from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor
from event_review.central.identity.principal import Principal
from event_review.central.identity.service import ensure_live
from event_review.central.identity.tokens import (
    InvalidTokenError,
    issue_token,
    new_refresh_token,
    parse_refresh_token,
    refresh_token_hash,
)
from event_review.central.sessions import repository as sessions
from event_review.central.users import repository as users
from event_review.central.users.passwords import verify_password
from event_review.runtime.errors import Unauthorized
from event_review.settings import Settings


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> TokenResponse:
    user = await users.get_user(session, username.strip().lower())
    valid = await verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        # One answer for every failure: the response must not reveal which usernames exist.
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    return await start_session(session, settings, user.user_id, user.username, via="password")


async def start_session(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, username: str, *, via: str
) -> TokenResponse:
    """A new session for an authenticated user (by password or single sign-on)."""
    now = datetime.now(UTC)
    session_id = uuid.uuid4()
    refresh_token = new_refresh_token(session_id)
    session_expires_at = now + settings.session_lifetime
    await sessions.create_session(
        session,
        user_id,
        session_expires_at,
        session_id=session_id,
        refresh_hash=refresh_token_hash(refresh_token),
    )
    await audit.record(
        session, actor=Actor.user(username), action=AuditAction.AUTH_LOGIN, details={"via": via}
    )
    return _tokens(settings, user_id, session_id, now, session_expires_at, refresh_token)


def _tokens(
    settings: Settings,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    now: datetime,
    session_expires_at: datetime,
    refresh_token: str,
) -> TokenResponse:
    expires_at = min(now + settings.access_token_lifetime, session_expires_at)
    token = issue_token(
        settings.effective_jwt_secret,
        user_id=user_id,
        session_id=session_id,
        issued_at=now,
        expires_at=expires_at,
    )
    return TokenResponse(
        access_token=token,
        expires_at=expires_at,
        refresh_token=refresh_token,
        refresh_expires_at=session_expires_at,
    )


class RefreshReused:
    """The refresh was refused and the session revoked; the revocation must commit."""


async def refresh(
    session: AsyncSession, settings: Settings, refresh_token: str
) -> TokenResponse | RefreshReused:
    """A new access token and a new refresh token; the presented one stops working.

    Presenting an already rotated refresh token means two parties hold the
    session's tokens: the session is revoked, and both must log in again. That
    outcome is returned, not raised, so the edge commits the revocation.
    """
    refused = Unauthorized("the refresh token is not valid; log in again", code="invalid_token")
    try:
        session_id = parse_refresh_token(refresh_token)
    except InvalidTokenError as exc:
        raise refused from exc
    row = await sessions.session_for_refresh(session, session_id)
    now = datetime.now(UTC)
    if row is None:
        raise refused
    ensure_live(row.revoked_at, row.expires_at)
    if row.refresh_token_hash is None or not hmac.compare_digest(
        row.refresh_token_hash, refresh_token_hash(refresh_token)
    ):
        await sessions.revoke_session(session, session_id)
        await audit.record(
            session,
            actor=Actor.service("auth"),
            action=AuditAction.AUTH_REFRESH_REUSE_DETECTED,
            details={"session_id": str(session_id)},
        )
        return RefreshReused()
    user = await users.get_user_by_id(session, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("this account is deactivated", code="account_inactive")
    rotated = new_refresh_token(session_id)
    await sessions.rotate_refresh_token(session, session_id, refresh_token_hash(rotated))
    return _tokens(settings, row.user_id, session_id, now, row.expires_at, rotated)


async def logout(session: AsyncSession, principal: Principal) -> None:
    await sessions.revoke_session(session, principal.session_id)
    await audit.record(session, actor=principal.as_actor(), action=AuditAction.AUTH_LOGOUT)
