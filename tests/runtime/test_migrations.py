"""Both schemas' Alembic migrations build what the models describe, and undo it.

The central and the regional schema are separate databases with separate
histories; every check here runs on each, so neither can drift from its
models or lose its way down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from event_review.central.db import models as _central_models  # noqa: F401  registers tables
from event_review.central.db.base import Base
from event_review.central.db.migrate import CENTRAL_SCHEMA
from event_review.regional.store import models as _regional_models  # noqa: F401
from event_review.regional.store.base import RegionalBase
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.migrations import Schema
from event_review.runtime.postgres import ServerLocation
from tests.fixtures.databases import empty_database


@dataclass(frozen=True)
class Side:
    schema: Schema
    metadata: MetaData
    tables: frozenset[str]


SIDES = {
    "central": Side(
        CENTRAL_SCHEMA,
        Base.metadata,
        frozenset(
            {
                "regions", "teams", "team_regions", "users", "sessions", "events",
                "writeback_outbox", "audit_log", "ingest_keys", "event_skips", "review_forms",
                "review_revisions", "qa_tasks", "webhook_subscriptions", "webhook_deliveries",
                "export_jobs", "export_chunks", "queue_rule_sets", "sla_breaches", "limit_buckets",
            }
        ),
    ),
    "regional": Side(
        REGIONAL_SCHEMA,
        RegionalBase.metadata,
        frozenset(
            {
                "events", "forward_queue", "forward_rejects", "review_requests",
                "used_call_tokens", "review_revisions",
            }
        ),
    ),
}  # fmt: skip

# Everything a migration may leave in the public schema: tables, indexes, sequences,
# views, composite types; and functions. Alembic's own table and its key are expected.
_SCHEMA_OBJECTS = """
    SELECT c.relname AS name FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'i', 'S', 'v', 'm', 'c')
    UNION ALL
    SELECT t.typname FROM pg_type AS t
    JOIN pg_namespace AS n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
    UNION ALL
    SELECT p.proname FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
"""
_ALEMBIC_ONLY = {"alembic_version", "alembic_version_pkc"}


@pytest.fixture(params=sorted(SIDES))
def side(request: pytest.FixtureRequest) -> Side:
    return SIDES[request.param]


@pytest.fixture
async def empty_db(server: ServerLocation) -> AsyncIterator[ServerLocation]:
    async with empty_database(server) as location:
        yield location


async def fetch(location: ServerLocation, sql: str) -> list[Any]:
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        return [row[0] for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def tables(location: ServerLocation) -> set[str]:
    return set(
        await fetch(
            location,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    )


async def version(location: ServerLocation) -> list[str]:
    return list(await fetch(location, "SELECT version_num FROM alembic_version"))


# The migration environment runs its own event loop, so it runs in a worker thread here.
async def upgrade(side: Side, location: ServerLocation, revision: str = "head") -> None:
    await asyncio.to_thread(side.schema.upgrade, location, revision)


async def downgrade(side: Side, location: ServerLocation, revision: str = "base") -> None:
    await asyncio.to_thread(side.schema.downgrade, location, revision)


def test_there_is_exactly_one_head(side: Side) -> None:
    script = ScriptDirectory(str(side.schema.migrations_dir))

    assert script.get_heads() == [side.schema.head_revision()]


async def test_upgrade_builds_the_schema_and_downgrade_removes_it(
    side: Side, empty_db: ServerLocation
) -> None:
    await upgrade(side, empty_db)

    assert await tables(empty_db) == side.tables | {"alembic_version"}
    assert await version(empty_db) == [side.schema.head_revision()]

    await downgrade(side, empty_db, "base")

    assert await tables(empty_db) == {"alembic_version"}
    assert set(await fetch(empty_db, _SCHEMA_OBJECTS)) == _ALEMBIC_ONLY
    assert await version(empty_db) == []

    await upgrade(side, empty_db)

    assert await tables(empty_db) == side.tables | {"alembic_version"}
    assert await version(empty_db) == [side.schema.head_revision()]


async def test_every_revision_downgrades_and_applies_again(
    side: Side, empty_db: ServerLocation
) -> None:
    """The stairway: each step up can be taken back and taken again."""
    script = ScriptDirectory(str(side.schema.migrations_dir))
    revisions = [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]

    for revision in revisions:
        await upgrade(side, empty_db, revision)
        await downgrade(side, empty_db, "-1")
        await upgrade(side, empty_db, revision)
        assert await version(empty_db) == [revision]

    assert revisions[-1] == side.schema.head_revision()


async def test_models_match_the_migrated_schema(side: Side, empty_db: ServerLocation) -> None:
    assert set(side.metadata.tables) == side.tables  # every model module is registered
    await upgrade(side, empty_db)

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, side.metadata))

    engine = create_async_engine(empty_db.url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()

    assert diff == []
