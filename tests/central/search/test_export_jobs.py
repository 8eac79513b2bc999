"""Export jobs through the API: the same bytes as the streamed export, progress and counts,
who may see and download a job, expiry, and a job that keeps failing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditAction,
    AuditEntry,
    ExportChunk,
    ExportJob,
    Role,
)
from event_review.central.search.jobs import service
from event_review.central.search.jobs.worker import Exporter
from event_review.runtime.database import Database
from event_review.settings import Settings
from tests.central.forms.test_definition import example
from tests.central.search.test_export import reviewed_with_text
from tests.factories import Factory, UserHandle

EXPORTS = "/api/v1/search/exports"
STREAM = "/api/v1/search/events/export"


def exporter(database: Database, settings: Settings, **tuning: Any) -> Exporter:
    return Exporter(database.sessionmaker, settings.model_copy(update=tuning))


async def run_all(worker: Exporter) -> int:
    """Run the worker until no job is left; how many runs it made."""
    runs = 0
    while await worker.work_once():
        runs += 1
    return runs


async def create(client: httpx.AsyncClient, who: UserHandle, **params: Any) -> httpx.Response:
    return await client.post(EXPORTS, params=params, headers=who.headers)


async def job_of(client: httpx.AsyncClient, who: UserHandle, job_id: str) -> httpx.Response:
    return await client.get(f"{EXPORTS}/{job_id}", headers=who.headers)


async def download(client: httpx.AsyncClient, who: UserHandle, job_id: str) -> httpx.Response:
    return await client.get(f"{EXPORTS}/{job_id}/download", headers=who.headers)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_a_job_stores_exactly_the_bytes_the_stream_sends(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    fmt: str,
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    applied = await client.post("/api/v1/admin/forms", json=example(), headers=admin.headers)
    assert applied.status_code == 200, applied.text
    await reviewed_with_text(client, factory, "us", "=cmd|' /C calc'!A0", "fw-kept")
    await reviewed_with_text(client, factory, "eu", "plate HIDDEN-1", "fw-hidden")
    policy = await client.patch(
        "/api/v1/admin/regions/eu", json={"review_text": "regional"}, headers=admin.headers
    )
    assert policy.status_code == 200, policy.text
    await factory.ingest("eu", 4)
    await factory.ingest("us", 3, device_id='=HYPERLINK("http://x.example")')
    filters = {"format": fmt, "region": ["eu", "us"]}

    created = await create(client, admin, **filters)
    assert created.status_code == 202, created.text
    job = created.json()
    assert (job["status"], job["rows_written"], job["rows_total"]) == ("queued", 0, None)
    assert created.headers["location"] == f"{EXPORTS}/{job['job_id']}"
    # Chunks of two rows: four of them, the last one short, the CSV header in the first.
    assert await run_all(exporter(database, settings, export_chunk_rows=2)) == 1
    stored = await download(client, admin, job["job_id"])
    streamed = await client.get(STREAM, params=filters, headers=admin.headers)

    assert stored.status_code == 200, stored.text
    assert stored.content == streamed.content
    assert stored.headers["content-type"] == streamed.headers["content-type"]
    assert stored.headers["content-disposition"].startswith('attachment; filename="events-')
    assert stored.headers["content-disposition"].endswith(f'.{fmt}"')
    assert stored.headers["cache-control"] == "no-store"
    assert b"'=cmd" in stored.content if fmt == "csv" else b'"=cmd' in stored.content
    assert b"HIDDEN" not in stored.content
    assert b"fw-hidden" not in stored.content
    lines = stored.content.splitlines()
    assert len(lines) == 9 + (fmt == "csv")
    if fmt == "csv":
        assert sum(line.startswith(b"event_id,") for line in lines) == 1


async def test_progress_and_counts_and_a_download_only_once_done(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    session: AsyncSession,
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    await factory.ingest("eu", 5)
    first = (await create(client, lead, format="jsonl")).json()
    second = (await create(client, lead, status="pending")).json()

    early = await download(client, lead, first["job_id"])
    assert (early.status_code, early.json()["error"]["code"]) == (409, "export_not_ready")

    await run_all(exporter(database, settings, export_chunk_rows=2))
    done = (await job_of(client, lead, first["job_id"])).json()
    assert done["status"] == "done"
    assert (done["rows_written"], done["rows_total"], done["progress"]) == (5, 5, 1.0)
    assert done["download_url"] == f"{EXPORTS}/{first['job_id']}/download"
    assert done["finished_at"]
    assert done["expires_at"] > done["finished_at"]
    chunks = await session.scalar(
        select(func.count()).where(ExportChunk.job_id == uuid.UUID(first["job_id"]))
    )
    assert chunks == 3

    mine = (await client.get(EXPORTS, headers=lead.headers)).json()
    assert [j["job_id"] for j in mine["items"]] == [second["job_id"], first["job_id"]]
    downloaded = await download(client, lead, first["job_id"])
    assert len(downloaded.text.splitlines()) == 5
    actions = (
        await session.scalars(select(AuditEntry.action).where(AuditEntry.actor == lead.username))
    ).all()
    assert sorted(actions) == sorted(
        [AuditAction.SEARCH_EXPORT_QUEUED] * 2 + [AuditAction.SEARCH_EXPORT_DOWNLOADED]
    )


async def test_a_running_job_says_how_far_it_got(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    job = (await create(client, lead)).json()
    await session.execute(
        update(ExportJob)
        .where(ExportJob.job_id == uuid.UUID(job["job_id"]))
        .values(status="running", rows_total=8, rows_written=2)
    )

    running = (await job_of(client, lead, job["job_id"])).json()
    assert (running["status"], running["progress"], running["download_url"]) == (
        "running", 0.25, None,
    )  # fmt: skip


async def test_an_expired_job_is_gone_and_so_are_its_chunks(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    session: AsyncSession,
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    await factory.ingest("eu", 3)
    job = (await create(client, lead)).json()
    worker = exporter(database, settings, export_chunk_rows=1)
    await run_all(worker)
    job_id = uuid.UUID(job["job_id"])
    await session.execute(
        update(ExportJob)
        .where(ExportJob.job_id == job_id)
        .values(expires_at=func.now() - text("interval '1 second'"))
    )

    gone = await download(client, lead, job["job_id"])
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "export_expired")
    assert await worker.sweep() == 1
    expired = (await job_of(client, lead, job["job_id"])).json()
    assert (expired["status"], expired["download_url"]) == ("expired", None)
    assert await session.scalar(select(func.count()).where(ExportChunk.job_id == job_id)) == 0
    still_gone = await download(client, lead, job["job_id"])
    assert still_gone.status_code == 410


async def test_a_job_holding_a_regions_text_goes_when_the_region_takes_it_back(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    session: AsyncSession,
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await reviewed_with_text(client, factory, "eu", "plate KEPT-1", "fw")
    job = (await create(client, admin, format="jsonl")).json()
    worker = exporter(database, settings)
    await run_all(worker)
    assert b"KEPT-1" in (await download(client, admin, job["job_id"])).content

    policy = await client.patch(
        "/api/v1/admin/regions/eu", json={"review_text": "regional"}, headers=admin.headers
    )
    assert policy.status_code == 200, policy.text

    gone = await download(client, admin, job["job_id"])
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "export_expired")
    assert await worker.sweep() == 1
    chunks = await session.scalar(
        select(func.count()).where(ExportChunk.job_id == uuid.UUID(job["job_id"]))
    )
    assert chunks == 0


async def test_only_the_requester_and_admins_see_a_job(
    client: httpx.AsyncClient, factory: Factory, database: Database, settings: Settings
) -> None:
    team = await factory.team("exports-eu", ["eu"])
    lead = await factory.user(team, Role.LEAD)
    colleague = await factory.user(team, Role.LEAD)
    reviewer = await factory.user(team)
    admin = await factory.reviewer(["us"], Role.ADMIN)
    await factory.ingest("eu", 2)
    job = (await create(client, lead)).json()
    await run_all(exporter(database, settings))

    for who in (colleague, reviewer):
        seen = await job_of(client, who, job["job_id"])
        fetched = await download(client, who, job["job_id"])
        listed = await client.get(EXPORTS, headers=who.headers)
        if who is reviewer:
            assert seen.status_code == fetched.status_code == 403
        else:
            assert seen.status_code == fetched.status_code == 404
            assert seen.json()["error"]["code"] == "export_not_found"
            assert (fetched.status_code, fetched.json()["error"]["code"]) == (
                404, "export_not_found",
            )  # fmt: skip
            assert listed.json()["items"] == []
    unknown = await job_of(client, lead, str(uuid.uuid4()))
    assert unknown.status_code == 404
    assert (await job_of(client, admin, job["job_id"])).status_code == 200
    assert (await download(client, admin, job["job_id"])).status_code == 200


async def test_a_lead_cannot_widen_the_regions_through_a_job(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    session: AsyncSession,
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    [inside] = await factory.ingest("eu", 1)
    await factory.ingest("us", 2)

    outside = await create(client, lead, region=["eu", "us"])
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "region_not_in_team")
    job = (await create(client, lead)).json()
    assert job["regions"] == ["eu"]
    await run_all(exporter(database, settings))
    rows = (await download(client, lead, job["job_id"])).text.splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [inside]

    # The team loses eu afterwards: the file holds rows the lead may no longer see.
    await session.execute(
        text("DELETE FROM team_regions WHERE region_code = 'eu' AND team_id = "
             "(SELECT team_id FROM users WHERE username = :u)"), {"u": lead.username},
    )  # fmt: skip
    await session.commit()
    refused = await download(client, lead, job["job_id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "region_not_in_team")


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"format": "xlsx"}, "format"),
        ({"status": "lost"}, "status"),
        ({"occurred_from": "2026-11-02T00:00:00Z", "occurred_until": "2026-11-01T00:00:00Z"},
         "occurred_until"),
        ({"reason": "no-colon"}, "reason"),
    ],
)  # fmt: skip
async def test_bad_filters_are_refused_when_the_job_is_asked_for(
    client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    params: dict[str, str],
    where: str,
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    refused = await create(client, lead, **params)
    searched = await client.get("/api/v1/search/events", params=params, headers=lead.headers)

    assert refused.status_code == 422, refused.text
    assert any(where in d["loc"] for d in refused.json()["error"]["details"])
    if where != "format":
        assert refused.json()["error"]["details"] == searched.json()["error"]["details"]
    assert await session.scalar(select(func.count()).select_from(ExportJob)) == 0


async def test_an_unknown_reviewer_is_refused_like_a_search(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    refused = await create(client, lead, reviewer="nobody-here")
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "unknown_reviewer")


async def test_a_requester_has_a_few_jobs_at_a_time(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    for _ in range(service.MAX_ACTIVE):
        assert (await create(client, lead)).status_code == 202
    refused = await create(client, lead)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "too_many_exports")


async def test_a_job_that_keeps_failing_ends_failed_with_its_reason(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    session: AsyncSession,
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    await factory.ingest("eu", 3)
    job = (await create(client, lead)).json()
    job_id = uuid.UUID(job["job_id"])
    # PostgreSQL refuses the job's second chunk every time: storage that keeps failing.
    await session.execute(text(
        "CREATE FUNCTION refuse_chunk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.seq > 0 THEN RAISE EXCEPTION 'no space left for chunk %', NEW.seq; END IF; "
        "RETURN NEW; END $$"
    ))  # fmt: skip
    await session.execute(text(
        "CREATE TRIGGER refuse_chunk BEFORE INSERT ON export_chunks "
        "FOR EACH ROW EXECUTE FUNCTION refuse_chunk()"
    ))  # fmt: skip
    worker = exporter(database, settings, export_chunk_rows=1, export_max_attempts=3)

    for attempt in (1, 2):
        assert await worker.work_once()
        paused = (await job_of(client, lead, job["job_id"])).json()
        assert paused["status"] == "running", attempt
        assert "no space left for chunk 1" in paused["error"]
        # The pause after a failed run is over (time stands still inside this test's transaction).
        await session.execute(
            update(ExportJob).where(ExportJob.job_id == job_id).values(lease_expires_at=None)
        )
    assert await worker.work_once()
    assert not await worker.work_once()

    failed = (await job_of(client, lead, job["job_id"])).json()
    assert failed["status"] == "failed"
    assert failed["error"].startswith("gave up after 3 runs: ")
    assert "no space left for chunk 1" in failed["error"]
    assert failed["download_url"] is None
    assert await session.scalar(select(func.count()).where(ExportChunk.job_id == job_id)) == 0
    refused = await download(client, lead, job["job_id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "export_failed")
    audited = await session.scalar(
        select(func.count()).where(AuditEntry.action == AuditAction.SEARCH_EXPORT_FAILED)
    )
    assert audited == 1


async def test_a_job_whose_runs_all_died_is_failed_on_its_next_claim(
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    settings: Settings,
    session: AsyncSession,
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    job = (await create(client, lead)).json()
    # Three runs that each died without a word: claimed, then nothing until the lease ran out.
    await session.execute(
        update(ExportJob)
        .where(ExportJob.job_id == uuid.UUID(job["job_id"]))
        .values(status="running", attempts=3, lease_token=uuid.uuid4(), lease_expires_at=None)
    )

    assert await exporter(database, settings, export_max_attempts=3).work_once()
    failed = (await job_of(client, lead, job["job_id"])).json()
    assert failed["status"] == "failed"
    assert failed["error"] == (
        "gave up after 3 runs: the worker stopped before the export finished"
    )
