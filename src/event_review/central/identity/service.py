"""How a bearer token becomes a Principal: the token names a session, the session row decides.

Logout, deactivation and a password reset end sessions, so they take effect
on the next request, on every replica: a replica's cache of session rows
forgets one as soon as the change is committed (identity/cache.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role
from event_review.central.identity.cache import PrincipalCache
from event_review.central.identity.principal import Principal
from event_review.central.identity.tokens import (
    InvalidTokenError,
    TokenExpiredError,
    decode_token,
)
from event_review.central.sessions import repository as sessions
from event_review.runtime.errors import Unauthorized
from event_review.settings import Settings


def ensure_live(revoked_at: datetime | None, expires_at: datetime) -> None:
    """Refuse an ended session, saying how it ended: the client tells the user why."""
    if revoked_at is not None:
        raise Unauthorized("this session has been logged out; log in again", code="session_revoked")
    if expires_at <= datetime.now(UTC):
        raise Unauthorized("this session has expired; log in again", code="session_expired")


async def authenticate(
    session: AsyncSession, settings: Settings, token: str, cache: PrincipalCache | None = None
) -> Principal:
    try:
        claims = decode_token(settings.jwt_verification_secrets, token)
    except TokenExpiredError as exc:
        raise Unauthorized(str(exc), code="token_expired") from exc
    except InvalidTokenError as exc:
        raise Unauthorized(str(exc), code="invalid_token") from exc
    row = cache.get(claims.session_id) if cache is not None else None
    if row is None:
        generation = cache.generation if cache is not None else 0
        row = await sessions.load_session(session, claims.session_id)
        if row is not None and cache is not None:
            cache.put(row, generation)
    if row is None or row.user_id != claims.user_id:
        raise Unauthorized("the access token is not valid", code="invalid_token")
    ensure_live(row.revoked_at, row.expires_at)
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
