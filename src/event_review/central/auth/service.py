from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.auth import repository
from event_review.central.auth.passwords import verify_password
from event_review.central.auth.principal import Principal
from event_review.central.auth.schemas import TokenResponse
from event_review.central.auth.tokens import InvalidTokenError, decode_token, issue_token
from event_review.central.db.models import Role
from event_review.runtime.errors import Unauthorized
from event_review.settings import Settings


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> TokenResponse:
    user = await repository.get_user_by_username(session, username.strip().lower())
    valid = await verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        # One answer for every failure: the response must not reveal which usernames exist.
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    now = datetime.now(UTC)
    expires_at = now + settings.access_token_lifetime
    row = await repository.create_session(session, user.user_id, expires_at)
    await audit.record(session, actor_type="user", actor=user.username, action="auth.login")
    token = issue_token(
        settings.effective_jwt_secret,
        user_id=user.user_id,
        session_id=row.session_id,
        issued_at=now,
        expires_at=expires_at,
    )
    return TokenResponse(access_token=token, expires_at=expires_at)


async def authenticate(session: AsyncSession, settings: Settings, token: str) -> Principal:
    try:
        claims = decode_token(settings.effective_jwt_secret, token)
    except InvalidTokenError as exc:
        raise Unauthorized(str(exc), code="invalid_token") from exc
    row = await repository.load_session(session, claims.session_id)
    if row is None or row.user_id != claims.user_id:
        raise Unauthorized("the access token is not valid", code="invalid_token")
    if row.revoked_at is not None:
        raise Unauthorized("this session has been logged out; log in again", code="session_revoked")
    if row.expires_at <= datetime.now(UTC):
        raise Unauthorized("this session has expired; log in again", code="session_expired")
    if not row.is_active:
        raise Unauthorized("this account is deactivated", code="account_inactive")
    return Principal(
        user_id=row.user_id,
        username=row.username,
        role=Role(row.role),
        team_id=row.team_id,
        team_name=row.team_name,
        region_codes=frozenset(row.region_codes),
        session_id=row.session_id,
        session_expires_at=row.expires_at,
    )


async def logout(session: AsyncSession, principal: Principal) -> None:
    await repository.revoke_session(session, principal.session_id)
    await audit.record(session, actor_type="user", actor=principal.actor, action="auth.logout")
