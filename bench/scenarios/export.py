"""Scenario 10: a whole search exported as CSV, streamed and as a background job, and the
memory of the process doing it.

`export_events` reviewed events are exported by a lead over HTTP (all regions,
newest first), the body read and dropped as it arrives, while the centre's RSS
is sampled. Then the same search is exported as a background job
(`POST /search/exports`): an `exporter` process writes it into the database in
chunks, timed from the request until the job is done, while the exporter's RSS
is sampled. The baseline is PostgreSQL writing the same columns with `COPY (…)
TO STDOUT` through asyncpg: the fastest the rows can leave the database.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from tests.fixtures.processes import free_port

from bench.env import Env
from bench.http import Connection
from bench.memory import RssSampler
from bench.report import Figure, at_most
from bench.scenarios.search import REVIEWED, REVIEWERS, add_reviewers
from bench.services import READY_TIMEOUT
from bench.sql import load_generated
from bench.stats import rate

# Streaming in batches of 1,000 should hold a batch or two, not the export.
RSS_GROWTH_TARGET_MB = 20.0
# The exporter holds one chunk (5,000 rows) at a time, whatever the export's size.
JOB_RSS_GROWTH_TARGET_MB = 40.0
JOB_POLL_SECONDS = 0.25
ROWS = """
    SELECT event_id, external_event_id, region_code, event_type, occurred_at, device_id,
                 priority, status, queue, created_at, reviewed_at, review_user_id,
                 review_decision, review_rating, review_answers, review_comment,
                 review_form_key, review_revision, completed_at
    FROM events ORDER BY created_at DESC, event_id DESC
"""


class _Sink:
    def __init__(self) -> None:
        self.bytes = 0

    async def write(self, data: bytes) -> None:
        self.bytes += len(data)


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    await add_reviewers(env)
    await load_generated(
        [env.central],
        scale.export_events,
        prefix="ex",
        status="completed",
        progress=env.progress,
        what="export: loading reviewed events",
        extra_columns=REVIEWED[0],
        extra_values=REVIEWED[1],
        extra_args=(REVIEWERS,),
    )
    await env.pg.checkpoint()
    headers = {"Authorization": f"Bearer {env.lead.token}"}
    with RssSampler(env.centre.pid) as rest:
        time.sleep(1.0)
    say(f"export: {scale.export_events:,} events as CSV over HTTP, sampling the centre's RSS")
    async with Connection(env.centre_url) as http:
        with RssSampler(env.centre.pid) as busy:
            started = time.perf_counter()
            response = await http.request(
                "GET", "/api/v1/search/events/export?format=csv", headers=headers, discard=True
            )
            seconds = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"export: HTTP {response.status}: {response.text[:300]}")
    received = int(response.headers["x-bench-received"])
    say("export: the same rows with COPY … TO STDOUT")
    conn = await env.connect(env.central)
    try:
        sink = _Sink()
        copy_started = time.perf_counter()
        await conn.copy_from_query(ROWS, output=sink.write, format="csv")
        copy_seconds = time.perf_counter() - copy_started
    finally:
        await conn.close()
    mb = 1024 * 1024
    at_rest, peak = statistics.median(rest.samples) / mb, max(busy.samples) / mb
    rows = Figure(
        "export.rows_per_s",
        f"10 export, {scale.export_events:,} events as CSV",
        "rows/s",
        rate(scale.export_events, seconds),
        rate(scale.export_events, copy_seconds),
        notes=[
            "no target: the issue asks for flat memory; each row is formatted in Python, "
            "which COPY does not do",
            f"platform {seconds:.1f} s, {received / mb:,.0f} MB; COPY {copy_seconds:.1f} s, "
            f"{sink.bytes / mb:,.0f} MB",
        ],
    )
    memory = Figure(
        "export.rss_mb",
        "10 export, centre RSS: peak exporting vs at rest",
        "MB",
        peak,
        at_rest,
        target=f"peak ≤ rest + {RSS_GROWTH_TARGET_MB:.0f} MB",
        notes=[f"+{peak - at_rest:.1f} MB while exporting {scale.export_events:,} rows"],
    )
    memory.met = at_most(peak - at_rest, RSS_GROWTH_TARGET_MB)
    return [rows, memory, *await _background(env, headers, copy_seconds)]


async def _background(env: Env, headers: dict[str, str], copy_seconds: float) -> list[Figure]:
    """The same search as an export job, written by a real `exporter` process."""
    scale, say = env.scale, env.progress.say
    port = free_port()
    exporter = env.services.start(
        "exporter", "exporter", "--metrics-port", str(port), env=env.service_env(), port=port
    )
    await exporter.wait_ready_async(READY_TIMEOUT)
    with RssSampler(exporter.pid) as rest:
        time.sleep(1.0)
    say(f"export: {scale.export_events:,} events as a background job, sampling the exporter")
    async with httpx.AsyncClient(base_url=env.centre_url, timeout=60.0, trust_env=False) as http:
        with RssSampler(exporter.pid) as busy:
            started = time.perf_counter()
            created = await http.post("/api/v1/search/exports?format=csv", headers=headers)
            if created.status_code != 202:
                raise RuntimeError(f"export job: HTTP {created.status_code}: {created.text[:300]}")
            path = f"/api/v1/search/exports/{created.json()['job_id']}"
            while True:
                job = (await http.get(path, headers=headers)).json()
                if job["status"] not in ("queued", "running"):
                    break
                await asyncio.sleep(JOB_POLL_SECONDS)
            seconds = time.perf_counter() - started
    exporter.stop()
    if job["status"] != "done" or job["rows_written"] != scale.export_events:
        raise RuntimeError(f"export job ended {job['status']}: {job}")
    mb = 1024 * 1024
    at_rest, peak = statistics.median(rest.samples) / mb, max(busy.samples) / mb
    stored = f"{job['size_bytes'] / mb:,.0f} MB in chunks of 5,000 rows"
    return [
        Figure(
            "export.job_rows_per_s",
            f"10 export job, {scale.export_events:,} events as CSV",
            "rows/s",
            rate(scale.export_events, seconds),
            rate(scale.export_events, copy_seconds),
            notes=[
                f"from the request until the job was done, polled every "
                f"{JOB_POLL_SECONDS} s; {stored}"
            ],
        ),
        Figure(
            "export.job_seconds",
            f"10 export job, {scale.export_events:,} events: wall time",
            "s",
            seconds,
            copy_seconds,
        ),
        _rss_figure(peak, at_rest, scale.export_events),
    ]


def _rss_figure(peak: float, at_rest: float, rows: int) -> Figure:
    figure = Figure(
        "export.job_rss_mb",
        "10 export job, exporter RSS: peak exporting vs at rest",
        "MB",
        peak,
        at_rest,
        target=f"peak ≤ rest + {JOB_RSS_GROWTH_TARGET_MB:.0f} MB",
        notes=[f"+{peak - at_rest:.1f} MB while writing {rows:,} rows"],
    )
    figure.met = at_most(peak - at_rest, JOB_RSS_GROWTH_TARGET_MB)
    return figure
