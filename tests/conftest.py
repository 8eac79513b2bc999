"""Test fixtures on a real PostgreSQL.

Without DATABASE_URL a throwaway embedded server starts for the run (and is
deleted after); with it, the tests create their own databases on that server
and drop them at the end, touching nothing else there.

Two migrated databases per run:
- `rollback_db`: route and service tests run inside a transaction that is
  rolled back, so they share nothing;
- `template_db`: never connected to; tests that need committed state and many
  connections (concurrency, real servers, the CLI) get a fresh clone of it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from event_review.central.db import migrate
from event_review.runtime.database import Database
from event_review.runtime.postgres import (
    ServerLocation,
    drop_database,
    ensure_database,
    parse_database_url,
    start_embedded,
)
from event_review.settings import Environment, Settings
from event_review.targets.registry import SERVE_TARGETS
from tests.factories import Factory

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def server() -> Iterator[ServerLocation]:
    """A location on the test server; its database name is only a prefix."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield parse_database_url(url).with_database(f"event_review_test_{RUN_ID}")
        return
    data_dir = Path(tempfile.mkdtemp(prefix="event-review-test-pg-"))
    location = start_embedded(data_dir, database="postgres", cleanup_mode="delete")
    asyncio.run(_tune_for_tests(location))
    yield location.with_database(f"event_review_test_{RUN_ID}")
    shutil.rmtree(data_dir, ignore_errors=True)


async def _tune_for_tests(location: ServerLocation) -> None:
    # Only on the throwaway embedded server: durability buys nothing in a test run.
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            await conn.execute(f"ALTER SYSTEM SET {setting}")
        await conn.execute("ALTER SYSTEM SET max_connections = 300")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def _migrated(server: ServerLocation, suffix: str) -> Iterator[ServerLocation]:
    location = server.with_database(f"{server.database}_{suffix}")
    asyncio.run(ensure_database(location))
    migrate.upgrade(location)
    yield location
    asyncio.run(drop_database(location))


@pytest.fixture(scope="session")
def rollback_db(server: ServerLocation) -> Iterator[ServerLocation]:
    yield from _migrated(server, "rb")


@pytest.fixture(scope="session")
def template_db(server: ServerLocation) -> Iterator[ServerLocation]:
    yield from _migrated(server, "tpl")


@pytest.fixture
async def fresh_db(template_db: ServerLocation) -> AsyncIterator[ServerLocation]:
    """A migrated database of this test's own, committed state allowed."""
    location = template_db.with_database(f"{template_db.database}_{uuid.uuid4().hex[:10]}")
    conn = await asyncpg.connect(template_db.with_database("postgres").asyncpg_dsn())
    try:
        await conn.execute(
            f'CREATE DATABASE "{location.database}" TEMPLATE "{template_db.database}"'
        )
    finally:
        await conn.close()
    yield location
    await drop_database(location)


@pytest.fixture(scope="session")
async def rollback_engine(rollback_db: ServerLocation) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(rollback_db.url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(rollback_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rollback_engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def database(connection: AsyncConnection) -> Database:
    return Database.on_connection(connection)


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.sessionmaker() as s:
        yield s


@pytest.fixture
def settings() -> Settings:
    return Settings(
        environment=Environment.DEVELOPMENT,
        jwt_secret="test-jwt-secret-" + "x" * 32,
        service_token="test-service-token-" + "y" * 32,
    )


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The `all` target's app over ASGI, on the test's rolled-back transaction."""
    app = SERVE_TARGETS["all"].build(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def factory(session: AsyncSession, client: httpx.AsyncClient, settings: Settings) -> Factory:
    return Factory(session, client, settings)
