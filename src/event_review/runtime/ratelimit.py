"""Per-key rate limits (token buckets) in process memory.

Each replica limits on its own, so with N replicas a client gets up to N
times the rate: good enough to stop floods, and it costs nothing per request.
Limits that must hold across replicas (login attempts) keep their buckets in
the database instead (central/limits.py), with the same shape. A gateway's
limits come on top, never instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

_PRUNE_EVERY = 1_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


def bucket_shape(per_minute: int, burst: int | None = None) -> tuple[float, float]:
    """(tokens per second, capacity) of a bucket allowing `per_minute`."""
    # Default burst: ten seconds' worth, but at least a handful (a typo or a
    # page load should not trip it).
    default_burst = max(1, min(per_minute, max(per_minute // 6, 5)))
    return per_minute / 60.0, float(burst if burst is not None else default_burst)


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        """`per_minute` 0 disables the limiter."""
        self.rate, self.capacity = bucket_shape(per_minute, burst)
        self._buckets: dict[str, _Bucket] = {}
        self._calls = 0

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key: str, now: float | None = None) -> float | None:
        """Take one token; None if allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        self._calls += 1
        if self._calls % _PRUNE_EVERY == 0:
            self._prune(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        # A bucket idle long enough to be full again carries no state worth keeping.
        full_after = self.capacity / self.rate
        idle = [k for k, b in self._buckets.items() if now - b.updated > full_after]
        for key in idle:
            del self._buckets[key]
