"""Signed access tokens. A token only names a session; the session row decides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt

ALGORITHM = "HS256"
ISSUER = "event-review"
AUDIENCE = "event-review-api"


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


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
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> TokenClaims:
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
        raise InvalidTokenError("the access token has expired; log in again") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("the access token is not valid") from exc
    try:
        return TokenClaims(user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]))
    except (ValueError, TypeError) as exc:
        raise InvalidTokenError("the access token is not valid") from exc
