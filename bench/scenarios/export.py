"""Scenario 10: a whole search exported as CSV, and the centre's memory meanwhile.

`export_events` reviewed events are exported by a lead over HTTP (all regions,
newest first), the body read and dropped as it arrives, while the centre's RSS
is sampled. The baseline is PostgreSQL writing the same columns with `COPY (…)
TO STDOUT` through asyncpg: the fastest the rows can leave the database.
"""

from __future__ import annotations

import statistics
import time

from bench.env import Env
from bench.http import Connection
from bench.memory import RssSampler
from bench.report import Figure, at_most
from bench.scenarios.search import REVIEWED, REVIEWERS, add_reviewers
from bench.sql import load_generated
from bench.stats import rate

# Streaming in batches of 1,000 should hold a batch or two, not the export.
RSS_GROWTH_TARGET_MB = 20.0
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
    return [rows, memory]
