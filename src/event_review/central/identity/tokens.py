"""Signed access tokens and opaque refresh tokens.

An access token only names a session; the session row decides, so logout and
deactivation take effect at once. Access tokens are short-lived; a refresh
token (one per session, rotated on every use) gets a new one. HMAC keys are
identified by `kid`, so a secret can be rotated while old tokens run out.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import jwt

ALGORITHM = "HS256"
ISSUER = "event-review"
AUDIENCE = "event-review-api"


class InvalidTokenError(Exception):
    pass


class TokenExpiredError(InvalidTokenError):
    """A genuine token past its lifetime: the client should refresh, not log in."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


@functools.cache
def key_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def issue_token(
    secret: str,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    issued_at: datetime,
    expires_at: datetime,
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": key_id(secret)})


def decode_token(secrets_in_use: str | Sequence[str], token: str) -> TokenClaims:
    """Verify with the secret the token's `kid` names (the current one or a retired one)."""
    candidates = [secrets_in_use] if isinstance(secrets_in_use, str) else list(secrets_in_use)
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("the access token is not valid") from exc
    secret = next((s for s in candidates if key_id(s) == kid), None)
    if secret is None:
        raise InvalidTokenError("the access token is not valid")
    try:
        # The algorithm list is pinned: a token cannot choose "none" or another key type.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpiredError("the access token has expired; refresh it") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("the access token is not valid") from exc
    try:
        return TokenClaims(user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]))
    except (ValueError, TypeError) as exc:
        raise InvalidTokenError("the access token is not valid") from exc


def new_refresh_token(session_id: uuid.UUID) -> str:
    """`<session id>.<secret>`: the session is found directly, the secret is checked by hash."""
    return f"{session_id}.{secrets.token_urlsafe(32)}"


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_refresh_token(token: str) -> uuid.UUID:
    session_part, _, secret = token.partition(".")
    try:
        session_id = uuid.UUID(session_part)
    except ValueError as exc:
        raise InvalidTokenError("the refresh token is not valid") from exc
    if len(secret) < 32:
        raise InvalidTokenError("the refresh token is not valid")
    return session_id
