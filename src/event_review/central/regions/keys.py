"""Region ingest keys: random, shown once, stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "erk_"


def new_ingest_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    # 256 random bits need no slow hash: nobody can brute-force the preimage.
    return hashlib.sha256(key.encode()).hexdigest()
