from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from event_review.central.limits import CentralLimits
from event_review.runtime.ratelimit import RateLimiter
from event_review.settings import Settings
from tests.factories import Factory, event_body


@pytest.fixture
def tight(app: FastAPI, settings: Settings) -> None:
    app.state.limits = CentralLimits.from_settings(
        settings.model_copy(
            update={
                "rate_limit_user_per_minute": 5,
                "rate_limit_region_per_minute": 3,
                "rate_limit_login_per_minute": 2,
            }
        )
    )


@pytest.mark.usefixtures("tight")
async def test_users_are_limited_with_retry_after(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    other = await factory.reviewer(["eu"])
    statuses = [
        (await client.get("/api/v1/assignments", headers=reviewer.headers)).status_code
        for _ in range(7)
    ]
    assert statuses[:1] == [200]
    assert 429 in statuses
    limited = await client.get("/api/v1/assignments", headers=reviewer.headers)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    # Another user is not affected.
    assert (await client.get("/api/v1/assignments", headers=other.headers)).status_code == 200


@pytest.mark.usefixtures("tight")
async def test_regions_are_limited(client: httpx.AsyncClient, factory: Factory) -> None:
    eu = await factory.region("eu")
    statuses = [
        (
            await client.post(
                "/api/v1/internal-ingest/event", json=event_body("eu"), headers=eu.headers
            )
        ).status_code
        for _ in range(5)
    ]
    assert statuses[0] == 201
    assert statuses[-1] == 429


@pytest.mark.usefixtures("tight")
async def test_login_guessing_is_slowed(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.reviewer(["eu"])
    body = {"username": user.username, "password": "guess-guess"}
    statuses = [(await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(4)]
    assert statuses[:2] == [401, 401]
    assert statuses[-1] == 429


def test_bucket_refills_over_time() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    assert limiter.acquire("k", now=0.0) is None
    assert limiter.acquire("k", now=0.0) is None
    wait = limiter.acquire("k", now=0.0)
    assert wait == pytest.approx(1.0)
    assert limiter.acquire("k", now=1.0) is None
    assert RateLimiter(per_minute=0).acquire("k") is None  # 0 disables


@pytest.mark.usefixtures("tight")
async def test_login_limits_hold_across_replicas(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    """Each attempt lands on a fresh replica (fresh limiters): the budget is still shared."""
    user = await factory.reviewer(["eu"])
    body = {"username": user.username, "password": "guess-guess"}
    tight = settings.model_copy(update={"rate_limit_login_per_minute": 2})
    statuses = []
    for _ in range(4):
        app.state.limits = CentralLimits.from_settings(tight)
        statuses.append((await client.post("/api/v1/auth/login", json=body)).status_code)
    assert statuses[:2] == [401, 401]
    assert statuses[-1] == 429
