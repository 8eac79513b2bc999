"""Scenario 12: a queue that churns: the claim over a million claims, with autovacuum alone.

Every claim moves events out of `ix_events_pending_claim` (partial on
`status = 'pending'`): their entries stay behind, dead, until a vacuum removes
them, and the claim walks the index from its head, where they are. Migration
0011 sets the queue tables' autovacuum by their churn instead of their size.

Two identical copies of the central database (the baseline's), each with
`churn_pending` pending events: on one the autovacuum storage parameters the
migration set are RESET to PostgreSQL's defaults ("baseline"), the other keeps
them ("platform"). Then on each, one after the other, `churn_clients`
connections claim `churn_size` events at a time with the platform's
`CLAIM_SQL` and review every claimed event with its `REVIEW_SQL` (the
reviews of one claim in one transaction, pipelined: the same row versions
and index entries as one transaction per review, fewer commits), until
`churn_claims` events are claimed. Each copy is loaded (and vacuumed, as
every scenario's load is) just before its run, and dropped right after it.
Nothing runs VACUUM during the run; autovacuum is on, with
`autovacuum_naptime` at `churn_naptime` seconds on the bench's embedded
server for the run (and back afterwards).

At the start and after every eighth of the claims the workers stop, and a
probe claims on a connection of its own, as a reviewer of all 4 regions (one
index scan per region): `churn_probe` claims of 10 (`CLAIM_SQL`, each timed;
their events then reviewed), then three more under EXPLAIN (ANALYZE,
BUFFERS), rolled back, for the pages its index scans read (the fewest). The
figures are the probe's median at the end against the one at the start, and
the events table's dead tuples when the workers stopped and its autovacuums
over the run (`pg_stat_user_tables`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.env import Env, User
from bench.report import Figure, at_most
from bench.scenarios.claim import (
    AGEING,
    LEASE,
    NO_ANSWERS,
    RAW_CLAIM,
    RAW_REVIEW,
    raw_announcement,
    raw_outcome,
)
from bench.sql import load_generated
from bench.stats import ms, rate
from event_review.runtime.postgres import ServerLocation, drop_database

PROBE_SIZE = 10
CHECKPOINTS = [n / 8 for n in range(9)]  # the probes: at the start, then every eighth
TARGET = 1.2  # the claim's p50 at the end, at most this times the one at the start
CLAIM_INDEX = "ix_events_pending_claim"
# Tables whose storage parameters the migration set; RESET on the defaults' copy.
AUTOVACUUM_OPTIONS = """
    SELECT c.relname, c.reloptions FROM pg_class AS c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
      AND c.reloptions IS NOT NULL
    ORDER BY c.relname
"""
SERVER_SETTINGS = (
    "autovacuum",
    "autovacuum_naptime",
    "autovacuum_max_workers",
    "autovacuum_vacuum_cost_limit",
    "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_threshold",
)


@dataclass
class Probe:
    fraction: float
    claimed: int  # events claimed before the probe
    p50_ms: float
    index_buffers: int  # pages the claim's index scans read (index and heap)
    dead_tuples: int
    autovacuums: int


@dataclass
class Side:
    name: str  # "defaults" or "settings"
    location: ServerLocation
    options: dict[str, list[str]] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    claimed: int = 0
    reserved: int = 0
    seconds: float = 0.0  # the workers' time, probes left out
    stats: dict[str, Any] = field(default_factory=dict)  # pg_stat_user_tables of events, at the end
    others: dict[str, int] = field(default_factory=dict)  # autovacuums of the other tables
    wal_bytes: int = 0  # WAL written during the run (probes included)

    def at(self, fraction: float) -> Probe:
        return next(p for p in self.probes if p.fraction == fraction)

    def ratio(self, fraction: float) -> float:
        return self.at(fraction).p50_ms / self.probes[0].p50_ms


class Worker:
    """One connection that claims and reviews as one reviewer."""

    def __init__(self, conn: asyncpg.Connection, user: User) -> None:
        self.conn, self.user = conn, user
        self.regions = sorted(user.regions)

    async def prepare(self) -> None:
        self.claim = await self.conn.prepare(RAW_CLAIM)
        self.review = await self.conn.prepare(RAW_REVIEW)

    async def claim_and_review(self, size: int) -> tuple[int, float]:
        """One claim of `size` (timed) and the review of everything it claimed."""
        user = self.user
        started = time.perf_counter()
        rows = await self.claim.fetch(self.regions, size, user.user_id, LEASE, user.username)
        elapsed = time.perf_counter() - started
        if rows:
            now = datetime.now(UTC)
            outcome, announcement = raw_outcome(user.username, now), raw_announcement(user, now)
            args = [
                (
                    row[0], user.user_id, user.username, now, "approve", 4, None, "default", 1,
                    NO_ANSWERS, outcome, False, *announcement,
                )
                for row in rows
            ]  # fmt: skip
            async with self.conn.transaction():
                await self.review.executemany(args)
        return len(rows), elapsed


async def _stats(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM pg_stat_user_tables WHERE relname = 'events'")
    assert row is not None
    return dict(row)


async def _index_buffers(worker: Worker) -> int:
    """The pages one claim's scans of the claim index read: executed, then rolled back."""
    user = worker.user
    transaction = worker.conn.transaction()
    await transaction.start()
    try:
        plan = await worker.conn.fetchval(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {RAW_CLAIM}",
            worker.regions, PROBE_SIZE, user.user_id, LEASE, user.username,
        )  # fmt: skip
    finally:
        await transaction.rollback()

    def walk(node: dict[str, Any]) -> int:
        own = 0
        if node.get("Index Name") == CLAIM_INDEX:
            own = int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0))
        return own + sum(walk(child) for child in node.get("Plans", []))

    document = json.loads(plan) if isinstance(plan, str) else plan
    return walk(document[0]["Plan"])


async def _probe(side: Side, prober: Worker, fraction: float, count: int) -> Probe:
    # Read first: the table as the workers left it (a second or so behind, but
    # for the last probe, which follows their connections' close).
    stats = await _stats(prober.conn)
    latencies = []
    claimed = side.claimed
    for _ in range(count):
        got, elapsed = await prober.claim_and_review(PROBE_SIZE)
        if got == 0:
            raise RuntimeError("churn: the queue ran dry under the probe")
        side.claimed += got
        side.reserved += got
        latencies.append(elapsed)
    # The fewest of three: the first may still visit the heap for entries that
    # died since the last scan (and mark them dead in the index for the next).
    buffers = min([await _index_buffers(prober) for _ in range(3)])
    return Probe(
        fraction=fraction,
        claimed=claimed,
        p50_ms=ms(statistics.median(latencies)),
        index_buffers=buffers,
        dead_tuples=int(stats["n_dead_tup"]),
        autovacuums=int(stats["autovacuum_count"]),
    )


async def _work(side: Side, worker: Worker, until: int, size: int) -> None:
    while side.reserved < until:
        side.reserved += size
        got, _ = await worker.claim_and_review(size)
        if got == 0:
            raise RuntimeError("churn: the queue ran dry")
        side.claimed += got
        side.reserved += got - size


async def _churn(env: Env, side: Side, users: list[User], prober_user: User) -> None:
    scale, say = env.scale, env.progress.say
    dsn = side.location.asyncpg_dsn()
    conns = [await asyncpg.connect(dsn) for _ in range(len(users) + 1)]
    wal_start = await conns[0].fetchval("SELECT pg_current_wal_lsn()::text")
    try:
        workers = [Worker(conn, user) for conn, user in zip(conns, users, strict=False)]
        prober = Worker(conns[-1], prober_user)
        for worker in (*workers, prober):
            await worker.prepare()
        for fraction in CHECKPOINTS:
            until = round(fraction * scale.churn_claims)
            began = time.perf_counter()
            await asyncio.gather(*(_work(side, w, until, scale.churn_size) for w in workers))
            side.seconds += time.perf_counter() - began
            if fraction == CHECKPOINTS[-1]:
                for worker in workers:  # a backend flushes its statistics as it exits
                    await worker.conn.close()
                await asyncio.sleep(1.0)
            probe = await _probe(side, prober, fraction, scale.churn_probe)
            side.probes.append(probe)
            say(
                f"churn ({side.name}): {probe.claimed:,} claimed, claim p50 "
                f"{probe.p50_ms:.2f} ms, {probe.index_buffers} index-scan pages, "
                f"{probe.dead_tuples:,} dead tuples, {probe.autovacuums} autovacuums"
            )
    finally:
        for conn in conns:
            if not conn.is_closed():
                await conn.close()
    conn = await asyncpg.connect(dsn)
    try:
        await asyncio.sleep(1.0)  # the probe's statistics, flushed as its backend exited
        side.stats = await _stats(conn)
        rows = await conn.fetch(
            "SELECT relname, autovacuum_count FROM pg_stat_user_tables "
            "WHERE relname <> 'events' AND autovacuum_count > 0 ORDER BY relname"
        )
        side.others = {row["relname"]: int(row["autovacuum_count"]) for row in rows}
        side.wal_bytes = int(
            await conn.fetchval(
                "SELECT pg_current_wal_lsn() - CAST(CAST($1 AS text) AS pg_lsn)", wal_start
            )
        )
        assigned = await conn.fetchval("SELECT count(*) FROM events WHERE status = 'assigned'")
        submitted = await conn.fetchval("SELECT count(*) FROM events WHERE status = 'submitted'")
    finally:
        await conn.close()
    if assigned != 0 or submitted != side.claimed:
        raise RuntimeError(
            f"churn ({side.name}): {side.claimed} claimed, {submitted} reviewed, "
            f"{assigned} still assigned"
        )


@contextlib.asynccontextmanager
async def _autovacuum(env: Env, naptime: float) -> AsyncIterator[None]:
    """Autovacuum on, every `naptime` seconds, on the bench's own server; as before afterwards."""
    if not env.pg.embedded:  # DATABASE_URL's server: its settings are its own
        yield
        return
    conn = await env.pg.connect()
    try:
        await conn.execute("ALTER SYSTEM SET autovacuum = on")
        await conn.execute(f"ALTER SYSTEM SET autovacuum_naptime = '{naptime:g}s'")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
    try:
        yield
    finally:
        conn = await env.pg.connect()
        try:
            await conn.execute("ALTER SYSTEM RESET autovacuum")
            await conn.execute("ALTER SYSTEM RESET autovacuum_naptime")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()


async def _server_settings(env: Env) -> dict[str, str]:
    await asyncio.sleep(0.5)  # new backends start with the reloaded settings
    conn = await env.pg.connect()
    try:
        return {name: str(await conn.fetchval(f"SHOW {name}")) for name in SERVER_SETTINGS}
    finally:
        await conn.close()


async def _copy(env: Env, suffix: str) -> ServerLocation:
    """A copy of the baseline's database (nobody may be connected to it for that)."""
    for attempt in range(10):
        try:
            name = await env.pg.create_database(suffix, template=env.baseline.database)
        except asyncpg.ObjectInUseError:
            if attempt == 9:
                raise
            await asyncio.sleep(0.5)
        else:
            return env.pg.location(name)
    raise AssertionError("unreachable")


async def _drop(env: Env, location: ServerLocation) -> None:
    await drop_database(location)
    with contextlib.suppress(ValueError):
        env.pg.databases.remove(location.database)


async def _reset_options(location: ServerLocation) -> dict[str, list[str]]:
    """RESET every autovacuum storage parameter the migrations set: PostgreSQL's defaults."""
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        reset = {}
        for row in await conn.fetch(AUTOVACUUM_OPTIONS):
            names = [o.split("=", 1)[0] for o in row["reloptions"]]
            names = [n for n in names if n.startswith(("autovacuum_", "vacuum_"))]
            if names:
                await conn.execute(f'ALTER TABLE "{row["relname"]}" RESET ({", ".join(names)})')
                reset[row["relname"]] = names
        return reset
    finally:
        await conn.close()


async def _settle(location: ServerLocation) -> None:
    """Start the counters of the run at zero: the load's inserts and its VACUUM ANALYZE.

    The loader's row counts can reach the statistics after its VACUUM did (a
    backend flushes them at most once a second, and at its exit): autovacuum
    would take the whole load for rows inserted since the last vacuum.
    """
    await asyncio.sleep(1.0)
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        # Not granted on every server (DATABASE_URL): then the counts include the load.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SELECT pg_stat_reset()")
    finally:
        await conn.close()


async def _options(location: ServerLocation) -> dict[str, list[str]]:
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        return {r["relname"]: list(r["reloptions"]) for r in await conn.fetch(AUTOVACUUM_OPTIONS)}
    finally:
        await conn.close()


def _users(env: Env) -> tuple[list[User], User]:
    """The workers (single- and 4-region reviewers alternately) and the probe's reviewer."""
    multi = [u for u in env.reviewers if u.multi]
    single = [u for u in env.reviewers if not u.multi]
    prober, multi = multi[0], multi[1:]
    mixed = [u for pair in zip(single, multi, strict=False) for u in pair]
    return mixed[: env.scale.churn_clients], prober


def _timeline(side: Side) -> str:
    return ", ".join(
        f"{p.fraction:.0%} {p.p50_ms:.2f} ms/{p.index_buffers} pages/{p.dead_tuples:,} dead"
        for p in side.probes
    )


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    sides = [
        Side("defaults", await _copy(env, "churn_defaults")),
        Side("settings", await _copy(env, "churn_settings")),
    ]
    try:
        reset = await _reset_options(sides[0].location)
        say(f"churn: PostgreSQL's defaults on the first copy (reset: {', '.join(sorted(reset))})")
        for side in sides:
            await env.execute(side.location, "TRUNCATE export_chunks, export_jobs")
            await env.execute(side.location, AGEING)
            side.options = await _options(side.location)
        users, prober = _users(env)
        async with _autovacuum(env, scale.churn_naptime):
            server = await _server_settings(env)
            say("churn: server " + ", ".join(f"{k}={v}" for k, v in server.items()))
            for side in sides:
                # Each copy is loaded just before its run, after a checkpoint: both
                # start with their pages written once since it (no full-page images
                # in the first claims' WAL) and see the same checkpoints.
                await env.pg.checkpoint()
                await load_generated(
                    [side.location],
                    scale.churn_pending,
                    prefix="ch",
                    status="pending",
                    progress=env.progress,
                    what=f"churn ({side.name}): loading pending events",
                )
                await _settle(side.location)
                say(
                    f"churn ({side.name}): {len(users)} connections claim {scale.churn_size} "
                    f"at a time and review, until {scale.churn_claims:,} events are claimed"
                )
                await _churn(env, side, users, prober)
                # Gone at once: its dead tuples would draw autovacuum into the next run.
                await _drop(env, side.location)
    finally:
        for side in sides:
            with contextlib.suppress(Exception):
                await _drop(env, side.location)
    return _figures(env, sides, server)


def _figures(env: Env, sides: list[Side], server: dict[str, str]) -> list[Figure]:
    scale = env.scale
    defaults, settings = sides
    claims = f"{scale.churn_claims:,}"
    end = Figure(
        "churn.end_vs_start",
        f"12 churn, claim p50 after {claims} claims ÷ at the start",
        "x",
        settings.ratio(1.0),
        defaults.ratio(1.0),
        target=f"platform ≤ {TARGET} x start",
        notes=[
            "platform: the migration's autovacuum settings; baseline: PostgreSQL's defaults "
            f"(RESET); {scale.churn_pending:,} pending events, {scale.churn_clients} "
            f"connections claiming {scale.churn_size} at a time, no manual VACUUM",
            "server: " + ", ".join(f"{k}={v}" for k, v in server.items()),
            "events' settings: "
            + (", ".join(settings.options.get("events", [])) or "PostgreSQL's defaults"),
            *(
                f"{side.name}: claim p50 ÷ start at 25 % {side.ratio(0.25):.2f}, 50 % "
                f"{side.ratio(0.5):.2f}, 100 % {side.ratio(1.0):.2f}; worst "
                f"{max(p.p50_ms for p in side.probes) / side.probes[0].p50_ms:.2f}"
                for side in sides
            ),
            *(f"{side.name} probes: {_timeline(side)}" for side in sides),
        ],
    )
    end.met = at_most(end.platform, TARGET)
    worst = Figure(
        "churn.worst_vs_start",
        "12 churn, worst probe's claim p50 ÷ at the start",
        "x",
        max(p.p50_ms for p in settings.probes) / settings.probes[0].p50_ms,
        max(p.p50_ms for p in defaults.probes) / defaults.probes[0].p50_ms,
    )
    start = Figure(
        "churn.start_p50_ms",
        "12 churn, claim p50 at the start (10 events, 4 regions)",
        "ms",
        settings.probes[0].p50_ms,
        defaults.probes[0].p50_ms,
    )
    final = Figure(
        "churn.end_p50_ms",
        f"12 churn, claim p50 after {claims} claims",
        "ms",
        settings.probes[-1].p50_ms,
        defaults.probes[-1].p50_ms,
    )
    pages = Figure(
        "churn.pages_end_vs_start",
        "12 churn, pages the claim's index scans read at the end ÷ at the start",
        "x",
        settings.probes[-1].index_buffers / settings.probes[0].index_buffers,
        defaults.probes[-1].index_buffers / defaults.probes[0].index_buffers,
        notes=[
            f"{side.name}: {side.probes[0].index_buffers} pages at the start, "
            f"{side.probes[-1].index_buffers} at the end, at most "
            f"{max(p.index_buffers for p in side.probes)}; "
            f"{side.wal_bytes / side.claimed / 1024:.1f} kB of WAL per event"
            for side in sides
        ],
    )
    dead = Figure(
        "churn.dead_tuples",
        "12 churn, dead tuples in events at the end",
        "count",
        float(settings.probes[-1].dead_tuples),
        float(defaults.probes[-1].dead_tuples),
        notes=[
            f"{side.name}: at most {max(p.dead_tuples for p in side.probes):,} at a probe; "
            f"{int(side.stats['n_dead_tup']):,} after the last probe"
            for side in sides
        ],
    )
    vacuums = Figure(
        "churn.autovacuums",
        "12 churn, autovacuums of events during the run",
        "count",
        float(settings.stats["autovacuum_count"]),
        float(defaults.stats["autovacuum_count"]),
        notes=[
            f"{side.name}: {side.stats['autoanalyze_count']} autoanalyzes of events"
            + (
                f", {float(side.stats['total_autovacuum_time']) / 1000:.1f} s in its autovacuums"
                if "total_autovacuum_time" in side.stats
                else ""
            )
            + "; other tables' autovacuums: "
            + (", ".join(f"{k} {v}" for k, v in side.others.items()) or "none")
            for side in sides
        ],
    )
    throughput = Figure(
        "churn.events_per_s",
        "12 churn, events claimed and reviewed/s",
        "events/s",
        rate(settings.claimed, settings.seconds),
        rate(defaults.claimed, defaults.seconds),
    )
    return [end, worst, start, final, pages, dead, vacuums, throughput]
