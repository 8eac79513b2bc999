"""Scenario 11: the platform against the floor, a bare FastAPI app sending the same statements.

The floor (bench/floor.py) serves the platform's paths on its own copy of the
central database (the baseline's), so the two never claim the same rows. In
one run, in rounds that alternate which of the two goes first, so that the
machine's noise hits both, each kind of request is measured twice per side:

- CPU time per request: sequential requests on one keep-alive connection,
  the server's CPU time (schedstat, all threads) before and after the block;
- closed-loop throughput: `floor_clients` clients for `floor_seconds` each.

Kinds: GET /auth/me, a claim of `claim_size`, a review, the claim → review
loop and a `batch_size`-event ingest batch. Each figure is the median over
the rounds. Besides: the batch against the platform's own ingest statements
through asyncpg without HTTP, and the payload proxy's added p50 for 2 KB.

How requests are fed: a claim-only client expires its batch's leases from
the bench's own connection after each claim (the held-batch check would
otherwise hand the same batch back); a review-only client reviews events
assigned to it beforehand in SQL. Neither costs the servers' CPU.

Correctness, checked every run: every response of either side is a 200; the
floor's bodies have the platform's shape, kind by kind; no event is claimed
twice on either side (the audit log and the claimed ids).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import asyncpg
from tests.fixtures.processes import ManagedProcess, free_port

from bench.data import BASE_TIME, EVENT_TYPES, dumps, metadata, priority, summary
from bench.env import Env, User
from bench.floor import AUDIT, INSERT, no_reset
from bench.http import Connection
from bench.report import Figure, at_least, at_most
from bench.scales import REGIONS
from bench.scenarios.claim import LEASE, REVIEW
from bench.scenarios.ingest import BATCH_PATH
from bench.scenarios.payload import (
    ADDED_P50_TARGET_MS,
    SMALL_BYTES,
    SMALL_EVENTS,
    _latencies,
    _store,
)
from bench.services import READY_TIMEOUT, cpu_seconds
from bench.sql import load_generated
from bench.stats import ms, percentile, rate
from event_review.central.db.models import ActorType, AuditAction
from event_review.contracts.ingest import summary_json

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("me", "claim", "review", "loop", "batch")
# Requests per sequential block and round (loop: claim → review cycles).
SEQUENTIAL = {"me": 40, "claim": 8, "review": 40, "loop": 3, "batch": 6}
CPU_TARGET, THROUGHPUT_TARGET, STATEMENT_TARGET = 1.25, 0.80, 0.80
# Review stock per closed-loop block: more reviews a second than two cores make.
REVIEWS_PER_SECOND = 2_000
ME_PATH, CLAIM_PATH = "/api/v1/auth/me", "/api/v1/assignments/next-batch"

# The bench's own statements carry this mark, inside the statement (pg_stat_statements
# keeps no leading comment): the statement counts leave them out.
MARK = "/* bench-floor */"
EXPIRE = f"UPDATE {MARK} events SET lease_expires_at = now() WHERE event_id = ANY($1::uuid[])"
TIDY = (
    f"UPDATE {MARK} events SET lease_expires_at = now() "
    "WHERE status = 'assigned' AND lease_expires_at > now()"
)
STOCK = f"""
    UPDATE {MARK} events AS e
    SET status = 'assigned', assigned_user_id = $1, assigned_at = now(),
        lease_expires_at = now() + $3::interval
    FROM (
        SELECT event_id FROM events
        WHERE status = 'pending' AND queue = 'review' AND region_code = ANY($2::text[])
        LIMIT $4 FOR UPDATE SKIP LOCKED
    ) AS c
    WHERE e.event_id = c.event_id
    RETURNING e.event_id
"""
STATEMENTS = f"""
    SELECT {MARK} coalesce(sum(s.calls), 0) FROM pg_stat_statements AS s
    JOIN pg_database AS d ON d.oid = s.dbid
    WHERE d.datname = current_database() AND s.query NOT LIKE '%bench-floor%'
"""
CLAIMED_TWICE = (
    f"SELECT {MARK} count(*) FROM (SELECT event_id FROM audit_log WHERE action = 'event.assigned' "
    "GROUP BY event_id HAVING count(*) > 1) AS t"
)


@dataclass
class Side:
    """The platform or the floor: where it listens, its process and its database."""

    name: str
    tag: str  # in the external ids of its batches
    url: str
    pid: int
    pool: asyncpg.Pool  # the bench's connections to its database (stock, leases, counts)
    claimed: list[str] = field(default_factory=list)
    shapes: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rate: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    loaded_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def shape(value: Any) -> Any:
    """The keys of a JSON body, nested; values and list lengths left out."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


class Run:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.size, self.batch_size = env.scale.claim_size, env.scale.batch_size
        self.users = [u for u in env.reviewers if u.multi][: env.scale.floor_clients]
        if len(self.users) < env.scale.floor_clients:
            raise RuntimeError(f"floor: only {len(self.users)} reviewers on the 4-region team")
        self.batches = count()
        # One body per region, its external ids made unique per request by replacing "@@".
        self.templates = {
            region: dumps({"events": [metadata("@@", region, i) for i in range(self.batch_size)]})
            for region in REGIONS
        }
        self.statement_rates: list[float] = []

    # -- one request of each kind, the same for both sides --------------------------------

    async def call(
        self, side: Side, http: Connection, kind: str, method: str, path: str,
        headers: dict[str, str], **body: Any,
    ) -> Any:  # fmt: skip
        response = await http.request(method, path, headers=headers, **body)
        if response.status != 200:
            raise RuntimeError(
                f"floor: {side.name} {kind}: HTTP {response.status}: {response.text[:300]}"
            )
        data = response.json()
        if kind not in side.shapes:
            side.shapes[kind] = shape(data)
        return data

    @staticmethod
    def bearer(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {user.token}"}

    async def me(self, side: Side, http: Connection, user: User) -> int:
        await self.call(side, http, "me", "GET", ME_PATH, self.bearer(user))
        return 1

    async def claim(self, side: Side, http: Connection, user: User) -> list[str]:
        batch = await self.call(
            side, http, "claim", "POST", CLAIM_PATH, self.bearer(user),
            json_body={"size": self.size},
        )  # fmt: skip
        ids = [event["event_id"] for event in batch["events"]]
        if len(ids) != self.size:
            raise RuntimeError(
                f"floor: {side.name} claimed {len(ids)} events, not {self.size}: "
                "too few pending (raise floor_pending)"
            )
        side.claimed.extend(ids)
        return ids

    async def claim_only(self, side: Side, http: Connection, user: User) -> int:
        ids = await self.claim(side, http, user)
        await side.pool.execute(EXPIRE, ids)  # or the next claim returns the held batch
        return 1

    async def review(self, side: Side, http: Connection, user: User, event_id: str) -> int:
        path = f"/api/v1/events/{event_id}/review"
        await self.call(side, http, "review", "POST", path, self.bearer(user), json_body=REVIEW)
        return 1

    async def loop(self, side: Side, http: Connection, user: User) -> int:
        ids = await self.claim(side, http, user)
        for event_id in ids:
            await self.review(side, http, user, event_id)
        return 1 + len(ids)

    async def batch(self, side: Side, http: Connection, region: str) -> int:
        body = self.templates[region].replace(b"@@", f"{side.tag}{next(self.batches)}".encode())
        headers = {
            "Authorization": f"Bearer {self.env.ingest_keys[region]}",
            "Content-Type": "application/json",
        }
        result = await self.call(side, http, "batch", "POST", BATCH_PATH, headers, body=body)
        if result["created"] != self.batch_size:
            raise RuntimeError(f"floor: {side.name} batch created {result['created']} events")
        return 1

    async def stock(self, side: Side, user: User, n: int) -> list[str]:
        """`n` pending events assigned to `user` under a full lease, without a claim."""
        rows = await side.pool.fetch(STOCK, user.user_id, sorted(user.regions), LEASE, n)
        if len(rows) != n:
            raise RuntimeError(f"floor: {len(rows)} pending events left of {n} (floor_pending)")
        return [str(row[0]) for row in rows]

    async def count_statements(self, side: Side) -> float:
        if not self.env.pg.pg_stat_statements:
            return math.nan
        return float(await side.pool.fetchval(STATEMENTS))

    async def step(
        self, side: Side, kind: str, http: Connection, user: User, region: str,
        stock: Iterator[str],
    ) -> int:  # fmt: skip
        """One request of `kind` (a loop: a claim and its reviews); how many were made."""
        if kind == "me":
            return await self.me(side, http, user)
        if kind == "claim":
            return await self.claim_only(side, http, user)
        if kind == "review":
            event_id = next(stock, None)
            if event_id is None:
                raise RuntimeError("floor: the review stock ran out (REVIEWS_PER_SECOND)")
            return await self.review(side, http, user, event_id)
        if kind == "loop":
            return await self.loop(side, http, user)
        return await self.batch(side, http, region)

    # -- the two measurements ----------------------------------------------------------------

    async def sequential(self, side: Side, kind: str, *, record: bool) -> None:
        """CPU time per request, one request at a time on one connection."""
        user, n = self.users[0], SEQUENTIAL[kind]
        todo = iter(await self.stock(side, user, n) if kind == "review" else [])
        async with Connection(side.url) as http:
            await http.request("GET", "/readyz")  # the connection is open before the window
            statements = await self.count_statements(side)
            before = cpu_seconds(side.pid)
            requests = 0
            for _ in range(n):
                requests += await self.step(side, kind, http, user, REGIONS[0], todo)
            used = cpu_seconds(side.pid) - before
            statements = await self.count_statements(side) - statements
        if record:
            side.cpu[kind].append(ms(used) / requests)
            side.statements[kind].append(statements / requests)

    async def closed(self, side: Side, kind: str, *, record: bool) -> None:
        """Requests a second from `floor_clients` clients in a closed loop."""
        seconds = self.env.scale.floor_seconds
        per_client = math.ceil(REVIEWS_PER_SECOND * seconds / len(self.users))
        stocks = [
            iter(await self.stock(side, u, per_client) if kind == "review" else [])
            for u in self.users
        ]

        async def client(c: int, deadline: float) -> int:
            user, region, todo, done = self.users[c], REGIONS[c % len(REGIONS)], stocks[c], 0
            async with Connection(side.url) as http:
                while time.perf_counter() < deadline:
                    done += await self.step(side, kind, http, user, region, todo)
            return done

        before = cpu_seconds(side.pid)
        started = time.perf_counter()
        deadline = started + seconds
        done = sum(await asyncio.gather(*(client(c, deadline) for c in range(len(self.users)))))
        elapsed = time.perf_counter() - started
        used = cpu_seconds(side.pid) - before
        await side.pool.execute(TIDY)  # what a review block left assigned is held no more
        if record:
            side.rate[kind].append(rate(done, elapsed))
            side.loaded_cpu[kind].append(ms(used) / done)

    async def statement_block(self, pool: asyncpg.Pool, *, record: bool) -> None:
        """The platform's ingest statements (insert, audit rows) through asyncpg, no HTTP."""
        seconds, clients, size = self.env.scale.floor_seconds, len(self.users), self.batch_size
        columns = {
            region: (
                [EVENT_TYPES[i % 4] for i in range(size)],
                [BASE_TIME + timedelta(seconds=i) for i in range(size)],
                [f"dev-{region}-{i % 250:04d}" for i in range(size)],
                [priority(i) for i in range(size)],
                [summary_json(summary(i)) for i in range(size)],
            )
            for region in REGIONS
        }

        async def client(c: int, deadline: float) -> int:
            region, events = REGIONS[c % len(REGIONS)], 0
            types, occurred, devices, priorities, summaries = columns[region]
            async with pool.acquire() as conn:
                while time.perf_counter() < deadline:
                    tag = f"st{next(self.batches)}"
                    ids = [f"{tag}-{region}-{i}" for i in range(size)]
                    async with conn.transaction():
                        rows = await conn.fetch(
                            INSERT, region, ids, types, occurred, devices, priorities, summaries
                        )
                        await conn.execute(
                            AUDIT, ActorType.REGION.value, region,
                            AuditAction.EVENT_INGESTED.value, [r[1] for r in rows], "{}",
                        )  # fmt: skip
                    events += len(rows)
            return events

        started = time.perf_counter()
        deadline = started + seconds
        events = sum(await asyncio.gather(*(client(c, deadline) for c in range(clients))))
        elapsed = time.perf_counter() - started
        if record:
            self.statement_rates.append(rate(events, elapsed))


# -- setting up and reporting ---------------------------------------------------------------


async def _copy_sessions(env: Env) -> None:
    """The floor's database is a copy made before the logins: give it their sessions."""
    source, target = await env.connect(env.central), await env.connect(env.baseline)
    try:
        rows = await source.fetch("SELECT * FROM sessions")
        await target.execute("DELETE FROM sessions")
        await target.copy_records_to_table(
            "sessions", records=[tuple(r) for r in rows], columns=list(rows[0].keys())
        )
    finally:
        await source.close()
        await target.close()


def _start_floor(env: Env) -> ManagedProcess:
    port = free_port()
    return env.services.start(
        "floor",
        *("--dsn", env.baseline.asyncpg_dsn(), "--host", "127.0.0.1", "--port", str(port)),
        env=env.service_env({"PYTHONPATH": str(ROOT)}),
        port=port,
        command=(sys.executable, "-m", "bench.floor"),
    )


def _ratios(platform: list[float], floor: list[float]) -> str:
    return ", ".join(f"{p / f:.2f}" for p, f in zip(platform, floor, strict=True) if f)


def _figures(
    run: Run, platform: Side, floor: Side, payload: tuple[list[float], list[float]]
) -> list[Figure]:
    scale, clients = run.env.scale, len(run.users)
    labels = {
        "me": "GET /auth/me",
        "claim": f"POST /assignments/next-batch, {scale.claim_size} events",
        "review": "POST /events/{id}/review",
        "loop": f"claim {scale.claim_size} → review each, per request",
        "batch": f"POST /internal-ingest/events, {scale.batch_size:,} events",
    }
    rounds = f"median of {scale.floor_rounds} rounds"
    figures = []
    for kind, label in labels.items():
        cpu = Figure(
            f"floor.cpu.{kind}_ms",
            f"11 floor, CPU per request: {label}",
            "ms",
            _median(platform.cpu[kind]),
            _median(floor.cpu[kind]),
            target=f"≤ {CPU_TARGET:.2f} x bare app",
            notes=[
                f"{rounds} of {SEQUENTIAL[kind]} sequential "
                f"{'cycles' if kind == 'loop' else 'requests'}; "
                f"ratio by round {_ratios(platform.cpu[kind], floor.cpu[kind])}"
            ],
        )
        cpu.met = at_most(cpu.ratio, CPU_TARGET)
        counted = [min(side.statements[kind]) for side in (platform, floor)]
        if not any(math.isnan(c) for c in counted):
            # The fewest of the rounds: a connection's first use of a type adds a lookup.
            cpu.notes.append(
                "statements per request (pg_stat_statements, BEGIN and COMMIT included): "
                f"platform {counted[0]:.1f}, floor {counted[1]:.1f}"
            )
        figures.append(cpu)
        throughput = Figure(
            f"floor.throughput.{kind}_per_s",
            f"11 floor, closed loop of {clients} clients: {label}",
            "req/s",
            _median(platform.rate[kind]),
            _median(floor.rate[kind]),
            target=f"≥ {THROUGHPUT_TARGET:.2f} x bare app",
            notes=[
                f"{rounds} of {scale.floor_seconds:g} s; "
                f"ratio by round {_ratios(platform.rate[kind], floor.rate[kind])}",
                f"CPU per request under this load: platform "
                f"{_median(platform.loaded_cpu[kind]):.2f} ms, floor "
                f"{_median(floor.loaded_cpu[kind]):.2f} ms",
            ],
        )
        throughput.met = at_least(throughput.ratio, THROUGHPUT_TARGET)
        figures.append(throughput)
    events = [r * scale.batch_size for r in platform.rate["batch"]]
    statement = Figure(
        "floor.batch_vs_statement.events_per_s",
        f"11 floor, batch ingest ({clients} clients) vs its statements without HTTP",
        "events/s",
        _median(events),
        _median(run.statement_rates),
        target=f"≥ {STATEMENT_TARGET:.2f} x insert statement",
        notes=[
            "baseline: the platform's insert and audit statements in one transaction through "
            f"asyncpg, {clients} connections; ratio by round {_ratios(events, run.statement_rates)}"
        ],
    )
    statement.met = at_least(statement.ratio, STATEMENT_TARGET)
    figures.append(statement)
    direct, proxied = payload
    proxy = Figure(
        "floor.payload.2kb.p50_ms",
        "11 floor, payload 2 KB p50 via centre vs direct",
        "ms",
        ms(percentile(proxied, 50)),
        ms(percentile(direct, 50)),
        target=f"added ≤ {ADDED_P50_TARGET_MS:.0f} ms",
    )
    added = (proxy.platform or math.nan) - (proxy.baseline or math.nan)
    proxy.notes.append(f"added by the centre {added:+.2f} ms over {len(proxied)} requests")
    proxy.met = at_most(added, ADDED_P50_TARGET_MS)
    figures.append(proxy)
    return figures


async def _claimed_twice(side: Side) -> int:
    logged = int(await side.pool.fetchval(CLAIMED_TWICE))
    return logged + len(side.claimed) - len(set(side.claimed))


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    await load_generated(
        [env.central, env.baseline],
        scale.floor_pending,
        prefix="fl",
        status="pending",
        progress=env.progress,
        what="floor: loading pending events into both databases",
    )
    await _copy_sessions(env)
    await env.pg.checkpoint()
    say("floor: starting the bare app on the baseline's database")
    process = _start_floor(env)
    pools: list[asyncpg.Pool] = []
    try:
        await process.wait_ready_async(READY_TIMEOUT)
        for location in (env.central, env.baseline):
            pool = await asyncpg.create_pool(
                location.asyncpg_dsn(), min_size=2, max_size=scale.floor_clients + 2,
                server_settings={"synchronous_commit": "off"},  # the bench's own writes
                reset=no_reset,  # a reset query on release would count as a statement
            )  # fmt: skip
            assert pool is not None
            pools.append(pool)
        statement_pool = await env.pool(env.baseline, scale.floor_clients)
        pools.append(statement_pool)
        platform = Side("platform", "pf", env.centre_url, env.centre.pid, pools[0])
        floor = Side("floor", "fl", process.base_url, process.pid, pools[1])
        runner = Run(env)
        say(
            f"floor: {scale.floor_rounds} rounds after a warm-up, platform and floor in turn; "
            f"closed loops of {scale.floor_clients} clients for {scale.floor_seconds:g} s"
        )
        for r in range(scale.floor_rounds + 1):
            record = r > 0
            order = [platform, floor] if r % 2 == 0 else [floor, platform]
            for kind in KINDS:
                for side in order:
                    await runner.sequential(side, kind, record=record)
            for kind in KINDS:
                for side in order:
                    await runner.closed(side, kind, record=record)
            await runner.statement_block(statement_pool, record=record)
            say(f"floor: round {r}{' (warm-up)' if not record else ''} done")
        for kind in ("me", "claim", "review", "batch"):  # a loop is claims and reviews
            if platform.shapes.get(kind) != floor.shapes.get(kind):
                raise RuntimeError(
                    f"floor: {kind} bodies differ: platform {platform.shapes.get(kind)}, "
                    f"floor {floor.shapes.get(kind)}"
                )
        twice = [await _claimed_twice(side) for side in (platform, floor)]
        if any(twice):
            raise RuntimeError(
                f"floor: events claimed twice: platform {twice[0]}, floor {twice[1]}"
            )
    finally:
        for pool in pools:
            await pool.close()
        process.stop()
    say(f"floor: payload 2 KB, {scale.payload_small_requests} x direct and through the centre")
    small = await _store(env, "fl-pl-small", SMALL_EVENTS, SMALL_BYTES)
    direct, proxied = await _latencies(env, small, scale.payload_small_requests)
    figures = _figures(runner, platform, floor, (direct, proxied))
    figures.append(
        Figure(
            "floor.claimed_twice",
            "11 floor, events claimed twice",
            "count",
            float(twice[0]),
            float(twice[1]),
            target="0",
            met=not any(twice),
            notes=[
                f"platform {len(platform.claimed):,} events claimed, floor "
                f"{len(floor.claimed):,}; the floor's bodies have the platform's shape"
            ],
        )
    )
    return figures
