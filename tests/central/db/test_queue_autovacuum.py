"""Migration 0011 sets the queue tables' autovacuum by their churn; its downgrade resets it."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from types import ModuleType

import pytest

from event_review.central.db import migrate
from event_review.runtime.postgres import ServerLocation
from tests.fixtures.databases import empty_database, fetch

VERSIONS = migrate.MIGRATIONS_DIR / "versions"
OPTIONS = """
    SELECT c.relname, c.reloptions FROM pg_class AS c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
      AND c.reloptions IS NOT NULL
"""


def _migration() -> ModuleType:
    (path,) = VERSIONS.glob("*-0011_*.py")
    spec = importlib.util.spec_from_file_location("queue_autovacuum", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _options(location: ServerLocation) -> dict[str, dict[str, str]]:
    """Every public table's storage parameters (pg_class.reloptions), as name → value."""
    rows = await fetch(location, OPTIONS)
    return {
        row["relname"]: dict(option.split("=", 1) for option in row["reloptions"]) for row in rows
    }


@pytest.fixture
async def empty_db(server: ServerLocation) -> AsyncIterator[ServerLocation]:
    async with empty_database(server) as location:
        yield location


# The migration environment runs its own event loop, so it runs in a worker thread here.
async def _upgrade(location: ServerLocation, revision: str) -> None:
    await asyncio.to_thread(migrate.upgrade, location, revision)


async def _downgrade(location: ServerLocation, revision: str) -> None:
    await asyncio.to_thread(migrate.downgrade, location, revision)


async def test_upgrade_sets_the_churned_tables_autovacuum_and_downgrade_resets_it(
    empty_db: ServerLocation,
) -> None:
    await _upgrade(empty_db, "0010")
    assert await _options(empty_db) == {}

    await _upgrade(empty_db, "0011")
    options = await _options(empty_db)

    # The claim's table: vacuumed after a fixed number of dead tuples, whatever its
    # size, and its indexes always cleaned (their dead entries are what the claim walks).
    assert options["events"] == {
        "autovacuum_vacuum_scale_factor": "0",
        "autovacuum_vacuum_threshold": "20000",
        "autovacuum_vacuum_cost_limit": "2000",
        "vacuum_index_cleanup": "on",
    }
    for outbox in ("writeback_outbox", "webhook_deliveries", "qa_tasks"):
        assert options[outbox] == options["events"], outbox
    # Append-only: vacuumed every 100,000 inserted rows.
    for table in ("audit_log", "review_revisions"):
        assert options[table] == {
            "autovacuum_vacuum_insert_scale_factor": "0",
            "autovacuum_vacuum_insert_threshold": "100000",
        }, table
    # Exactly what the migration says, and nothing on any other table.
    assert options == _migration().TABLES

    await _downgrade(empty_db, "0010")
    assert await _options(empty_db) == {}

    await _upgrade(empty_db, "0011")
    assert await _options(empty_db) == _migration().TABLES
