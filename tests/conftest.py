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
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from event_review.central.db import migrate
from event_review.central.regional_client import RegionalClient
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.postgres import (
    ServerLocation,
    drop_database,
    ensure_database,
    parse_database_url,
    start_embedded,
)
from event_review.settings import Environment, Settings
from event_review.targets.registry import SERVERS
from tests.factories import Factory
from tests.fixtures.databases import clone_database

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
    location = await clone_database(template_db)
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


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where development key pairs are generated: shared by central and regional apps."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(
        environment=Environment.DEVELOPMENT,
        data_dir=data_dir,
        jwt_secret="test-jwt-secret-" + "x" * 32,
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    """The `all` target's app on the test's rolled-back transaction.

    ASGI clients do not run the lifespan, so tests that reach a region set
    `app.state.regional_client` themselves (see `regional_app`).
    """
    return SERVERS["all"].build(settings, database)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def regional_template_db(server: ServerLocation) -> Iterator[ServerLocation]:
    location = server.with_database(f"{server.database}_region_tpl")
    asyncio.run(ensure_database(location))
    REGIONAL_SCHEMA.upgrade(location)
    yield location
    asyncio.run(drop_database(location))


@pytest.fixture
async def regional_db(regional_template_db: ServerLocation) -> AsyncIterator[Database]:
    """A fresh, migrated regional database of this test's own."""
    location = await clone_database(regional_template_db)
    database = Database.connect(location, application_name="test-regional", pool_size=5)
    yield database
    await database.dispose()
    await drop_database(location)


@pytest.fixture
async def regional_app(
    settings: Settings, regional_db: Database, app: FastAPI
) -> AsyncIterator[FastAPI]:
    """Region "eu"'s API, in process; the central app calls it through a signed client."""
    regional = SERVERS["regional-api"].build(settings, regional_db, "eu")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=regional)) as http:
        app.state.regional_client = RegionalClient(http, signing_key(settings))
        yield regional


@pytest.fixture
def factory(session: AsyncSession, client: httpx.AsyncClient, settings: Settings) -> Factory:
    return Factory(session, client, settings)
