"""Pooled connections that die under the service (database restart, failover)."""

from __future__ import annotations

import asyncpg
import httpx

from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings
from event_review.targets.registry import SERVERS

APPLICATION = "test-dropped-connections"
LOGIN = {"username": "nobody", "password": "not-a-password"}


async def _terminate_backends(location: ServerLocation) -> int:
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        killed: int = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            APPLICATION,
        )
    finally:
        await conn.close()
    return killed


async def test_a_dropped_connection_costs_one_503_and_the_next_request_recovers(
    fresh_db: ServerLocation, settings: Settings
) -> None:
    database = Database.connect(fresh_db, application_name=APPLICATION, pool_size=2, pre_ping=False)
    app = SERVERS["all"].build(settings, database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            # A login with unknown credentials reads the users table: a pooled connection.
            assert (await client.post("/api/v1/auth/login", json=LOGIN)).status_code == 401
            assert await _terminate_backends(fresh_db) >= 1

            lost = await client.post("/api/v1/auth/login", json=LOGIN)
            assert lost.status_code == 503, lost.text
            assert lost.json()["error"]["code"] == "database_unavailable"
            assert lost.headers["retry-after"] == "1"

            assert (await client.post("/api/v1/auth/login", json=LOGIN)).status_code == 401
    finally:
        await database.dispose()
