"""Scenario 6: regional insert → central `pending`, idle latency and sustained rate.

The platform runs one `event-review forwarder` process per region. The baseline
is the same work without HTTP: per region an asyncpg loop that LISTENs on the
forwarder's channel, runs the forwarder's own queue query, inserts the batch
into the baseline's central database and deletes the acknowledged queue rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import asyncpg
from tests.fixtures.processes import ManagedProcess, database_url

from bench.env import Env
from bench.profiling import py_spy
from bench.report import Figure, at_least, at_most
from bench.scales import REGIONS
from bench.sql import asyncpg_sql
from bench.stats import ms, percentile, rate
from event_review.regional.forwarder import metadata as forwarder_metadata
from event_review.regional.forwarder.metadata import parse_fields
from event_review.regional.store.models import FORWARD_CHANNEL
from event_review.settings import Settings

IDLE_P95_TARGET_MS = 1000.0
SUSTAINED_TARGET = 10_000.0
POLL = 0.002

# The regional system's rows: a realistic document with personal data and a
# 1 KB sensor series the forwarder must not read; only the summary fields leave.
PRELOAD = """
    INSERT INTO events (external_event_id, event_type, occurred_at, device_id, priority, payload)
    SELECT $1 || '-' || g,
           (ARRAY['collision','driver_distraction','harsh_braking','lane_departure'])[1 + g % 4],
           now() - (g % 600) * interval '1 second',
           'dev-' || (g % 250),
           (g * 37) % 101,
           jsonb_build_object(
               'severity', (ARRAY['high','medium','low'])[1 + g % 3],
               'vehicle_class', (ARRAY['van','truck','bus','car'])[1 + g % 4],
               'speed_band', ((g % 6) * 20) || '-' || ((g % 6) * 20 + 20) || ' km/h',
               'driver', jsonb_build_object('name', 'Driver ' || g,
                                            'licence_number', 'D' || (10000000 + g)),
               'vehicle', jsonb_build_object('licence_plate', 'BEN-' || g),
               'compliance_canary', 'canary-' || md5(g::text),
               'sensors', repeat('0.1,', 250))
    FROM generate_series($2::bigint, $3::bigint) AS g
"""
PENDING = asyncpg_sql(forwarder_metadata._PENDING, ["summary_fields", "limit"])
CENTRAL_INSERT = """
    INSERT INTO events (external_event_id, region_code, event_type, occurred_at, device_id,
                        priority, summary)
    SELECT u.external_event_id, $2, u.event_type, u.occurred_at, u.device_id, u.priority,
           u.summary
    FROM unnest($1::text[], $3::text[], $4::timestamptz[], $5::text[], $6::smallint[],
                $7::jsonb[])
         AS u(external_event_id, event_type, occurred_at, device_id, priority, summary)
    ON CONFLICT (region_code, external_event_id) DO NOTHING
"""


class RawForwarder:
    """The forwarder's database work in plain asyncpg, without HTTP, validation or audit."""

    def __init__(self, region: str, regional_dsn: str, central_dsn: str, batch: int) -> None:
        self.region = region
        self.regional_dsn = regional_dsn
        self.central_dsn = central_dsn
        self.batch = batch
        self.fields = parse_fields(Settings(environment="development").forward_summary_fields)

    async def run(self) -> None:
        listen = await asyncpg.connect(self.regional_dsn)
        regional = await asyncpg.connect(self.regional_dsn)
        central = await asyncpg.connect(self.central_dsn)
        wake = asyncio.Event()
        try:
            await listen.add_listener(FORWARD_CHANNEL, lambda *_: wake.set())
            while True:
                wake.clear()
                if await self._once(regional, central) == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), 1.0)
        finally:
            for conn in (listen, regional, central):
                await conn.close()

    async def _once(self, regional: asyncpg.Connection, central: asyncpg.Connection) -> int:
        rows = await regional.fetch(PENDING, self.fields, self.batch)
        if not rows:
            return 0
        await central.execute(
            CENTRAL_INSERT,
            [r["external_event_id"] for r in rows],
            self.region,
            [r["event_type"] for r in rows],
            [r["occurred_at"] for r in rows],
            [r["device_id"] for r in rows],
            [r["priority"] for r in rows],
            [r["summary"] for r in rows],
        )
        await regional.execute(
            "DELETE FROM forward_queue WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows]
        )
        return len(rows)


async def _preload(env: Env, prefix: str) -> None:
    per_region = env.scale.forward_per_region
    counter = env.progress.counter("forwarder: preloading regional events", per_region * 4)
    chunk = 50_000

    async def one(region: str) -> None:
        conn = await env.connect(env.regional[region])
        try:
            for low in range(1, per_region + 1, chunk):
                high = min(low + chunk - 1, per_region)
                await conn.execute(PRELOAD, f"{prefix}-{region}", low, high)
                counter.add(high - low + 1)
            await conn.execute("VACUUM ANALYZE events")
            await conn.execute("VACUUM ANALYZE forward_queue")
        finally:
            await conn.close()

    await asyncio.gather(*(one(r) for r in REGIONS))


async def _until_all_arrive(
    env: Env, central_dsn: str, expected: int, alive: Callable[[], None]
) -> tuple[float, float, int]:
    """Poll the central count; returns (seconds until the first arrival, until all, count then)."""
    conn = await asyncpg.connect(central_dsn)
    counter = env.progress.counter("forwarder: events arrived centrally", expected)
    try:
        started = time.perf_counter()
        first_at, first_count, seen = None, 0, 0
        deadline = started + max(120.0, expected / 200.0)
        while True:
            count = await conn.fetchval("SELECT count(*) FROM events")
            now = time.perf_counter()
            if count > seen:
                counter.add(count - seen)
                seen = count
            if first_at is None and count > 0:
                first_at, first_count = now, count
            if count >= expected:
                assert first_at is not None
                return first_at - started, now - started, first_count
            if now > deadline:
                raise RuntimeError(f"forwarder: {count} of {expected} arrived before the deadline")
            alive()
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def _idle_latencies(env: Env, central_dsn: str, prefix: str) -> list[float]:
    """Insert one event at a time into a region; time until the centre holds it."""
    regional = {r: await env.connect(env.regional[r]) for r in REGIONS}
    central = await asyncpg.connect(central_dsn)
    latencies = []
    try:
        found = await central.prepare(
            "SELECT 1 FROM events WHERE region_code = $1 AND external_event_id = $2"
        )
        for n in range(env.scale.forward_idle_samples):
            region = REGIONS[n % len(REGIONS)]
            external_id = f"{prefix}-{region}-idle"
            started = time.perf_counter()
            await regional[region].execute(PRELOAD, external_id, n, n)
            full_id = f"{external_id}-{n}"
            deadline = started + 30.0
            while await found.fetchval(region, full_id) is None:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"forwarder: {full_id} did not arrive within 30 s")
                await asyncio.sleep(POLL)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)  # idle between events
    finally:
        for conn in (*regional.values(), central):
            await conn.close()
    return latencies


def _start_forwarders(env: Env) -> list[ManagedProcess]:
    started = []
    for region in REGIONS:
        started.append(
            env.services.start(
                f"forwarder-{region}",
                "forwarder",
                "--region",
                region,
                env=env.service_env(
                    {
                        "REGIONAL_DATABASE_URL": database_url(env.regional[region]),
                        "EVENT_REVIEW_INGEST_KEY": env.ingest_keys[region],
                        "EVENT_REVIEW_CENTRAL_URL": env.centre_url,
                    }
                ),
            )
        )
    return started


async def _measure(
    env: Env,
    central_dsn: str,
    prefix: str,
    start: Callable[[], Awaitable[Callable[[], None]]],
) -> tuple[float, float, float, list[float]]:
    expected = env.scale.forward_per_region * len(REGIONS)
    alive = await start()
    first, everything, first_count = await _until_all_arrive(env, central_dsn, expected, alive)
    sustained = rate(expected - first_count, everything - first)
    latencies = await _idle_latencies(env, central_dsn, prefix)
    return sustained, first, everything, latencies


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    total = scale.forward_per_region * len(REGIONS)
    await _preload(env, "fw")
    await env.pg.checkpoint()

    say(f"forwarder: starting 4 forwarders; {total:,} queued events to the centre (platform)")
    forwarders: list[ManagedProcess] = []

    async def start_platform() -> Callable[[], None]:
        forwarders.extend(_start_forwarders(env))

        def alive() -> None:
            for f in forwarders:
                if not f.alive:
                    raise RuntimeError(f"{f.name} exited:\n{f.log_tail()}")

        return alive

    try:
        with contextlib.ExitStack() as profiling:
            # --profile: also sample the first forwarder once it has started.
            async def start_and_profile() -> Callable[[], None]:
                alive = await start_platform()
                profiling.enter_context(
                    py_spy(forwarders[0].pid, env.profile_dir, f"forwarder-{REGIONS[0]}")
                )
                return alive

            platform = await _measure(env, env.central.asyncpg_dsn(), "fw-p", start_and_profile)
    finally:
        for f in forwarders:
            f.stop()

    say("forwarder: the same rows again through raw asyncpg forwarders (baseline)")
    for region in REGIONS:
        await env.execute(
            env.regional[region],
            "INSERT INTO forward_queue (external_event_id) SELECT external_event_id FROM events "
            "WHERE external_event_id LIKE 'fw-%' AND external_event_id NOT LIKE '%-idle-%' "
            "ORDER BY created_at",
        )
    await env.pg.checkpoint()
    tasks: list[asyncio.Task[None]] = []

    async def start_raw() -> Callable[[], None]:
        for region in REGIONS:
            raw = RawForwarder(
                region,
                env.regional[region].asyncpg_dsn(),
                env.baseline.asyncpg_dsn(),
                Settings(environment="development").forward_batch_size,
            )
            tasks.append(asyncio.create_task(raw.run()))

        def alive() -> None:
            for task in tasks:
                if task.done():
                    task.result()  # raises what stopped it
                    raise RuntimeError("a raw forwarder stopped")

        return alive

    try:
        baseline = await _measure(env, env.baseline.asyncpg_dsn(), "fw-b", start_raw)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    p_rate, p_first, p_all, p_idle = platform
    b_rate, b_first, b_all, b_idle = baseline
    sustained = Figure(
        "forwarder.events_per_s",
        f"6 forwarder, sustained, 1 per region ({total:,} queued)",
        "events/s",
        p_rate,
        b_rate,
        target=f"platform ≥ {SUSTAINED_TARGET:,.0f}/s",
        notes=[
            f"platform: first arrival {p_first:.1f} s after starting the processes, all "
            f"{p_all:.1f} s; raw: {b_first:.1f} s / {b_all:.1f} s"
        ],
    )
    sustained.met = at_least(sustained.platform, SUSTAINED_TARGET)
    p50 = Figure(
        "forwarder.idle_p50_ms",
        "6 forwarder, idle insert → central, p50",
        "ms",
        ms(percentile(p_idle, 50)),
        ms(percentile(b_idle, 50)),
    )
    p95 = Figure(
        "forwarder.idle_p95_ms",
        "6 forwarder, idle insert → central, p95",
        "ms",
        ms(percentile(p_idle, 95)),
        ms(percentile(b_idle, 95)),
        target=f"platform ≤ {IDLE_P95_TARGET_MS:,.0f} ms",
    )
    p95.met = at_most(p95.platform, IDLE_P95_TARGET_MS)
    return [sustained, p50, p95]
