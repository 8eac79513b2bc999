"""Password hashing (argon2id), off the event loop: a hash costs tens of milliseconds."""

from __future__ import annotations

from functools import cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from event_review.contracts.fields import forbidden_character
from event_review.runtime.errors import Unprocessable

_hasher = PasswordHasher()


@cache
def _decoy_hash() -> str:
    """Verified against when the username is unknown, so a login takes as long for
    a missing user as for a wrong password and timing reveals neither. Made on
    first use, not at import: every process imports this module, few log anyone in."""
    return _hasher.hash("decoy-password-for-constant-time-login")


MIN_PASSWORD_LENGTH = 8


def check_new_password(password: str) -> None:
    """The one rule for a password being set, whether by the CLI, `up` or the admin API."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            code="weak_password",
        )
    found = forbidden_character(password)
    if found is not None:
        # Login refuses such characters, so a password holding one could never be used.
        raise Unprocessable(
            f"the password must not contain control characters ({found})",
            code="invalid_password",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        await anyio.to_thread.run_sync(_verify, _decoy_hash(), password)
        return False
    return await anyio.to_thread.run_sync(_verify, password_hash, password)
