"""The central platform's rate limits, one limiter per kind of caller.

Request limits (per user, per region) are in each replica's memory: they
stop floods and cost nothing per request, and the manifests divide them by
the replica count. Login limits guard against guessing, where N replicas
must not mean N times the guesses: their buckets are rows every replica
shares, taken in one statement outside the request's transaction (a failed
login rolls its transaction back, and must still count).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import text

from event_review.runtime.database import Database
from event_review.runtime.errors import TooManyRequests
from event_review.runtime.ratelimit import RateLimiter, bucket_shape
from event_review.settings import Settings

# Refill, take one token if there is one, and say whether it was taken: one
# statement, so concurrent replicas serialise on the bucket's row lock.
_REFILLED = "least(:capacity, b.tokens + extract(epoch FROM now() - b.updated_at) * :rate)"
_TAKE = text(
    f"""
    INSERT INTO limit_buckets AS b (bucket, tokens, updated_at, allowed)
    VALUES (:bucket, :capacity - 1, now(), true)
    ON CONFLICT (bucket) DO UPDATE SET
        tokens = {_REFILLED} - CASE WHEN {_REFILLED} >= 1 THEN 1 ELSE 0 END,
        updated_at = now(),
        allowed = {_REFILLED} >= 1
    RETURNING b.allowed, b.tokens
    """
)
_PRUNE = text("DELETE FROM limit_buckets WHERE updated_at < now() - make_interval(secs => :idle)")
_PRUNE_EVERY = 1_000


@dataclass
class SharedLimiter:
    """A token bucket per key, kept in `limit_buckets` for every replica to share."""

    name: str
    per_minute: int
    _takes: itertools.count[int] = field(default_factory=itertools.count, repr=False)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def bucket(self, key: str) -> str:
        # A digest: the key is a name someone typed or a client's address, and
        # the table need not hold either.
        return f"{self.name}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def acquire(self, database: Database, key: str) -> float | None:
        """Take one token; None if allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return None
        rate, capacity = bucket_shape(self.per_minute)
        async with database.sessionmaker() as session:
            if next(self._takes) % _PRUNE_EVERY == _PRUNE_EVERY - 1:
                # A bucket idle long enough to be full again says nothing a new one would not.
                await session.execute(_PRUNE, {"idle": capacity / rate})
            allowed, tokens = (
                await session.execute(
                    _TAKE,
                    {"bucket": self.bucket(key), "capacity": capacity, "rate": rate},
                )
            ).one()
            await session.commit()
        return None if allowed else (1 - tokens) / rate


@dataclass(frozen=True)
class CentralLimits:
    user: RateLimiter
    region: RateLimiter
    login: SharedLimiter  # per username
    login_address: SharedLimiter  # per client address: many users may share one

    @classmethod
    def from_settings(cls, settings: Settings) -> CentralLimits:
        return cls(
            user=RateLimiter(settings.rate_limit_user_per_minute),
            region=RateLimiter(settings.rate_limit_region_per_minute),
            login=SharedLimiter("login", settings.rate_limit_login_per_minute),
            login_address=SharedLimiter("login-address", settings.rate_limit_login_per_minute * 10),
        )


def limits(request: Request) -> CentralLimits:
    found: CentralLimits = request.app.state.limits
    return found


def _refuse(wait: float, what: str) -> TooManyRequests:
    return TooManyRequests(f"too many {what}; retry in {max(1, round(wait))} s", retry_after=wait)


def enforce(limiter: RateLimiter, key: str, what: str) -> None:
    wait = limiter.acquire(key)
    if wait is not None:
        raise _refuse(wait, what)


async def enforce_shared(request: Request, limiter: SharedLimiter, key: str, what: str) -> None:
    """`enforce` for a limit all replicas share."""
    wait = await limiter.acquire(request.app.state.database, key)
    if wait is not None:
        raise _refuse(wait, what)
