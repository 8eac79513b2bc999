"""A background export survives its worker being killed mid-job.

The `exporter` runs as a real process on a database of this test's own. It is
killed with SIGKILL while a job is half written; started again, it waits out
the dead worker's lease, continues from the last chunk that was committed,
and the file it finishes holds every row of the search exactly once, byte for
byte what the streamed export gives.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from event_review.central.db.models import Role
from event_review.central.regions import service as regions
from event_review.central.search import export
from event_review.central.search.export import ExportFormat
from event_review.central.search.filters import EventFilters, SortBy, stored
from event_review.central.search.jobs import repository as jobs
from event_review.central.teams import service as teams
from event_review.central.users import service as users
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.factories import TEST
from tests.fixtures.cli import cli_env
from tests.fixtures.databases import fetch
from tests.fixtures.processes import free_port, process_group, wait_until_async

ROWS = 1_500
CHUNK_ROWS = 10
# Each chunk takes a little while to store (a trigger sleeps), so the kill lands mid-job.
SLOW_CHUNKS = """
CREATE FUNCTION slow_chunk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.01); RETURN NEW; END $$;
CREATE TRIGGER slow_chunk BEFORE INSERT ON export_chunks
    FOR EACH ROW EXECUTE FUNCTION slow_chunk();
"""
EVENTS = """
INSERT INTO events (external_event_id, region_code, event_type, occurred_at, device_id,
                    created_at, status)
SELECT 'resume-' || g, 'eu', 'collision', timestamptz '2026-01-01 00:00:00+00' + g * interval '1 s',
       CASE WHEN g % 7 = 0 THEN '=SUM(A1)' ELSE 'dev-' || g % 13 END,
       -- Ties on the sort key, so the cursor's tie-breaking id matters too.
       timestamptz '2026-02-01 00:00:00+00' + (g / 3) * interval '1 s', 'pending'
FROM generate_series(1, $1) AS g
"""


@pytest.fixture
async def database(fresh_db: ServerLocation) -> AsyncIterator[Database]:
    opened = Database.connect(fresh_db, application_name="test-export-resume", pool_size=2)
    yield opened
    await opened.dispose()


async def _job(database: Database) -> uuid.UUID:
    async with database.sessionmaker() as session:
        await regions.add_region(session, "eu", "http://127.0.0.1:9", actor=TEST)
        await teams.add_team(session, "eu-leads", ["eu"], actor=TEST)
        lead = await users.add_user(
            session, "lead", "a-long-password-1", Role.LEAD, "eu-leads", actor=TEST
        )
        await session.commit()
    async with database.sessionmaker() as session:
        connection = await session.connection()
        await connection.exec_driver_sql(EVENTS.replace("$1", str(ROWS)))
        for statement in SLOW_CHUNKS.split(";\n"):
            if statement.strip():
                await connection.exec_driver_sql(statement)
        job = await jobs.add(
            session,
            requested_by=lead.user_id,
            fmt="csv",
            regions=["eu"],
            filters=stored(EventFilters()),
            sort=SortBy.INGESTED,
        )
        await session.commit()
    return job.job_id


async def _state(location: ServerLocation, job_id: uuid.UUID) -> dict[str, object]:
    [row] = await fetch(
        location,
        "SELECT status, rows_written, rows_total, chunks_written, attempts, error "
        "FROM export_jobs WHERE job_id = $1",
        job_id,
    )
    return dict(row)


async def test_a_job_killed_mid_run_is_finished_by_the_next_worker_without_gaps_or_repeats(
    fresh_db: ServerLocation, database: Database, tmp_path: Path
) -> None:
    job_id = await _job(database)
    env = cli_env(
        fresh_db,
        {
            "EVENT_REVIEW_ENVIRONMENT": "development",
            "EVENT_REVIEW_EXPORT_CHUNK_ROWS": str(CHUNK_ROWS),
            "EVENT_REVIEW_EXPORT_LEASE_SECONDS": "1",
            "EVENT_REVIEW_LOG_FORMAT": "json",
        },
    )
    port = free_port()
    with process_group(tmp_path / "logs") as group:
        worker = group.start("exporter", "exporter", "--metrics-port", str(port), env=env)

        async def half_way() -> dict[str, object] | None:
            state = await _state(fresh_db, job_id)
            written = state["rows_written"]
            assert isinstance(written, int)
            return state if written >= ROWS // 3 else None

        await wait_until_async(half_way, message=worker.describe, interval=0.02)
        worker.kill()
        killed = await _state(fresh_db, job_id)
        assert killed["status"] == "running"
        assert killed["rows_total"] == ROWS
        assert 0 < killed["rows_written"] < ROWS  # type: ignore[operator]

        restarted = group.restart(worker)

        async def finished() -> dict[str, object] | None:
            state = await _state(fresh_db, job_id)
            return state if state["status"] != "running" else None

        done = await wait_until_async(finished, message=restarted.describe)
        chunks = await fetch(
            fresh_db, "SELECT seq, data FROM export_chunks WHERE job_id = $1 ORDER BY seq", job_id
        )

    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert done["rows_written"] == ROWS
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    stored_file = b"".join(c["data"] for c in chunks)
    rows = list(csv.DictReader(io.StringIO(stored_file.decode())))
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids)) == ROWS
    expected = await fetch(
        fresh_db, "SELECT event_id FROM events ORDER BY created_at DESC, event_id DESC"
    )
    assert ids == [str(r["event_id"]) for r in expected]
    streamed = b"".join(
        [
            part
            async for part in export.stream(
                database.sessionmaker, ["eu"], EventFilters(), SortBy.INGESTED, ExportFormat.CSV
            )
        ]
    )
    assert stored_file == streamed
