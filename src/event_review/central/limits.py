"""The central platform's rate limits, one limiter per kind of caller."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from event_review.runtime.errors import TooManyRequests
from event_review.runtime.ratelimit import RateLimiter
from event_review.settings import Settings


@dataclass(frozen=True)
class CentralLimits:
    user: RateLimiter
    region: RateLimiter
    login: RateLimiter  # per username
    login_address: RateLimiter  # per client address: many users may share one

    @classmethod
    def from_settings(cls, settings: Settings) -> CentralLimits:
        return cls(
            user=RateLimiter(settings.rate_limit_user_per_minute),
            region=RateLimiter(settings.rate_limit_region_per_minute),
            login=RateLimiter(settings.rate_limit_login_per_minute),
            login_address=RateLimiter(settings.rate_limit_login_per_minute * 10),
        )


def limits(request: Request) -> CentralLimits:
    found: CentralLimits = request.app.state.limits
    return found


def enforce(limiter: RateLimiter, key: str, what: str) -> None:
    wait = limiter.acquire(key)
    if wait is not None:
        raise TooManyRequests(
            f"too many {what}; retry in {max(1, round(wait))} s", retry_after=wait
        )
