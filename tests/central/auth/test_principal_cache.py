"""Two replicas on one database: a cached principal never outlives a change committed anywhere.

Each app runs its own lifespan, so each has its own engine, principal cache and
LISTEN connection, as two `serve review` processes would. The tests wait for the
notice to reach replica B (its cache's generation moves) rather than for a fixed
time: what they prove is that the notice evicts, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from event_review.central.identity.cache import PrincipalCache
from event_review.central.identity.tokens import decode_token
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.factories import Factory, UserHandle


@dataclass
class Replica:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def cache(self) -> PrincipalCache:
        cache: PrincipalCache = self.app.state.principal_cache
        return cache

    async def me(self, user: UserHandle) -> httpx.Response:
        return await self.client.get("/api/v1/auth/me", headers=user.headers)


async def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@dataclass
class Platform:
    a: Replica
    b: Replica
    database: Database
    factory: Factory

    async def noticed_by_b(self, change: Callable[[], Awaitable[object]]) -> None:
        """Make `change` (committed), then wait until replica B has heard of a change."""
        before = self.b.cache.generation
        await change()
        await _until(lambda: self.b.cache.generation > before, "replica B to hear the notice")


@pytest.fixture
async def platform(fresh_db: ServerLocation, settings: Settings) -> AsyncIterator[Platform]:
    async with AsyncExitStack() as stack:
        replicas = []
        for _ in range(2):
            app = SERVERS["review"].build(settings, fresh_db)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            )
            replicas.append(Replica(app, client))
        for replica in replicas:
            await _until(lambda r=replica: r.cache.live, "the replica's listener")  # type: ignore[misc]
        database = Database.connect(fresh_db, application_name="test-principal-cache")
        stack.push_async_callback(database.dispose)
        session = await stack.enter_async_context(database.sessionmaker())
        yield Platform(
            replicas[0], replicas[1], database, Factory(session, replicas[0].client, settings)
        )


def _session_id(platform: Platform, user: UserHandle) -> uuid.UUID:
    return decode_token(platform.factory.settings.effective_jwt_secret, user.token).session_id


async def _cached_on_b(platform: Platform, user: UserHandle) -> None:
    assert (await platform.b.me(user)).status_code == 200
    assert platform.b.cache.get(_session_id(platform, user)) is not None, "B keeps the principal"
    # The cached answer is the same answer.
    assert (await platform.b.me(user)).json()["username"] == user.username


async def test_a_logout_on_one_replica_ends_the_session_on_the_other(platform: Platform) -> None:
    user = await platform.factory.reviewer(["eu"])
    await _cached_on_b(platform, user)

    async def logout() -> None:
        response = await platform.a.client.post("/api/v1/auth/logout", headers=user.headers)
        assert response.status_code == 204

    await platform.noticed_by_b(logout)
    refused = await platform.b.me(user)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "session_revoked"


async def test_a_deactivation_by_any_path_ends_the_users_sessions_everywhere(
    platform: Platform,
) -> None:
    user = await platform.factory.reviewer(["eu"])
    await _cached_on_b(platform, user)

    async def deactivate() -> None:
        # Straight SQL, as an operator's command would: the trigger, not the route, tells.
        async with platform.database.sessionmaker() as session:
            await session.execute(
                text("UPDATE users SET is_active = false WHERE user_id = :id"),
                {"id": user.user_id},
            )
            await session.commit()

    await platform.noticed_by_b(deactivate)
    refused = await platform.b.me(user)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "account_inactive"


async def test_a_teams_new_regions_reach_every_replica(platform: Platform) -> None:
    user = await platform.factory.reviewer(["eu"])
    await _cached_on_b(platform, user)
    assert (await platform.b.me(user)).json()["regions"] == ["eu"]
    await platform.factory.region("us")

    async def widen() -> None:
        async with platform.database.sessionmaker() as session:
            await session.execute(
                text(
                    "INSERT INTO team_regions (team_id, region_code) "
                    "SELECT team_id, 'us' FROM users WHERE user_id = :id"
                ),
                {"id": user.user_id},
            )
            await session.commit()

    await platform.noticed_by_b(widen)
    assert sorted((await platform.b.me(user)).json()["regions"]) == ["eu", "us"]


async def test_a_replica_that_cannot_listen_trusts_nothing_it_cached(platform: Platform) -> None:
    user = await platform.factory.reviewer(["eu"])
    await _cached_on_b(platform, user)
    # Cut every listener off; a change made while they are away is never heard.
    async with platform.database.sessionmaker() as session:
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name LIKE '%-listener'"
            )
        )
        await session.execute(
            text("UPDATE sessions SET revoked_at = now() WHERE session_id = :id"),
            {"id": _session_id(platform, user)},
        )
        await session.commit()
    # Whether B is still reconnecting (nothing served from the cache) or back
    # (the cache cleared on reconnect), the revoked session is refused.
    refused = await platform.b.me(user)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "session_revoked"
    await _until(lambda: platform.b.cache.live, "B to listen again")
    assert (await platform.b.me(user)).status_code == 401
