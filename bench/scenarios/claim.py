"""Scenario 3: 32 reviewers claim(10) → review all → claim …, against the same loop in raw SQL."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.env import Env, User
from bench.http import Connection
from bench.report import Figure, at_least, at_most
from bench.sql import asyncpg_sql, load_generated
from bench.stats import ms, percentile, rate
from event_review.central.assignment.repository import CLAIM_SQL
from event_review.central.reviews.repository import REVIEW_SQL

REVIEW = {"decision": "approve", "rating": 4}
LEASE = timedelta(minutes=15)

RAW_CLAIM = asyncpg_sql(CLAIM_SQL, ["regions", "size", "user_id", "lease", "actor"])
# What POST /events/{id}/review runs: the review, its write-back and audit row in one statement.
RAW_REVIEW = asyncpg_sql(
    REVIEW_SQL,
    [
        "event_id", "user_id", "reviewer", "reviewed_at", "decision", "rating", "comment",
        "form_key", "form_version", "answers", "outcome", "qa", "webhook_kind", "webhook_at",
        "webhook_data",
    ],
)  # fmt: skip
NO_ANSWERS = json.dumps({"reasons": {}, "fields": {}})


def raw_announcement(user: User, reviewed_at: datetime) -> tuple[str, str, str]:
    """The webhook parameters the platform's review binds (no subscriber: no row)."""
    data = {
        "revision": 1, "revision_kind": "review", "decision": "approve", "rating": 4,
        "reasons": {}, "form_key": "default", "form_version": 1,
        "reviewer_id": str(user.user_id), "reviewer": user.username,
        "reviewed_at": reviewed_at.isoformat(),
    }  # fmt: skip
    return "review.created", reviewed_at.isoformat(), json.dumps(data)


def raw_outcome(reviewer: str, reviewed_at: datetime) -> str:
    """The outbox row the platform writes from its contract model, as plain JSON."""
    return json.dumps(
        {
            "revision": 1,
            "kind": "review",
            "form_key": "default",
            "form_version": 1,
            "decision": "approve",
            "rating": 4,
            "comment": None,
            "reasons": {},
            "fields": {},
            "reviewer": reviewer,
            "reviewed_at": reviewed_at.isoformat(),
            "note": None,
        }
    )


@dataclass
class Tally:
    claims: dict[bool, int] = field(default_factory=lambda: {False: 0, True: 0})
    events: int = 0
    empty: int = 0
    latency: dict[bool, list[float]] = field(default_factory=lambda: {False: [], True: []})
    # (seconds since the start, claim latency) of every claim, to see drift over the run
    timeline: list[tuple[float, float]] = field(default_factory=list)
    started: float = 0.0
    window: float = 0.0  # the seconds during which new claims start
    claimed: list[uuid.UUID] = field(default_factory=list)
    seconds: float = 0.0

    def all_latencies(self) -> list[float]:
        return self.latency[False] + self.latency[True]

    def record(self, multi: bool, began: float, elapsed: float) -> None:
        self.latency[multi].append(elapsed)
        self.claims[multi] += 1
        self.timeline.append((began - self.started, elapsed))

    def drift(self) -> str:
        """Claim p50 in the first and the last tenth of the run (queue-head bloat shows here)."""
        if not self.timeline or self.window <= 0:
            return "no claims"
        tenth = self.window / 10
        first = [e for t, e in self.timeline if t < tenth]
        last = [e for t, e in self.timeline if t >= self.window - 2 * tenth]
        return (
            f"claim p50 first tenth {ms(percentile(first, 50)):.1f} ms, "
            f"last fifth {ms(percentile(last, 50)):.1f} ms"
        )


async def _platform(env: Env, seconds: float) -> Tally:
    tally = Tally()
    body = {"size": env.scale.claim_size}

    async def reviewer(user: User, deadline: float) -> None:
        headers = {"Authorization": f"Bearer {user.token}"}
        async with Connection(env.centre_url) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.request(
                    "POST", "/api/v1/assignments/next-batch", json_body=body, headers=headers
                )
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    raise RuntimeError(f"claim: HTTP {response.status}: {response.text[:300]}")
                events = response.json()["events"]
                if not events:
                    tally.empty += 1
                    await asyncio.sleep(0.01)
                    continue
                tally.record(user.multi, started, elapsed)
                for event in events:
                    review = await http.request(
                        "POST",
                        f"/api/v1/events/{event['event_id']}/review",
                        json_body=REVIEW,
                        headers=headers,
                    )
                    if review.status != 200:
                        raise RuntimeError(f"review: HTTP {review.status}: {review.text[:300]}")
                    tally.events += 1

    started = tally.started = time.perf_counter()
    tally.window = seconds
    deadline = started + seconds
    await asyncio.gather(*(reviewer(u, deadline) for u in env.reviewers))
    tally.seconds = time.perf_counter() - started
    return tally


async def _raw(env: Env, seconds: float, *, review: bool) -> Tally:
    tally = Tally()
    size = env.scale.claim_size
    pool = await env.pool(env.baseline, len(env.reviewers))
    try:

        async def reviewer(user: User, deadline: float) -> None:
            regions = sorted(user.regions)
            async with pool.acquire() as conn:
                claim = await conn.prepare(RAW_CLAIM)
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    rows = await claim.fetch(regions, size, user.user_id, LEASE, user.username)
                    elapsed = time.perf_counter() - started
                    if not rows:
                        tally.empty += 1
                        await asyncio.sleep(0.01)
                        continue
                    tally.record(user.multi, started, elapsed)
                    ids = [row[0] for row in rows]
                    tally.claimed.extend(ids)
                    if not review:
                        continue
                    for event_id in ids:
                        # asyncpg prepares and caches the statement per connection.
                        now = datetime.now(UTC)
                        reviewed = await conn.fetchrow(
                            RAW_REVIEW, event_id, user.user_id, user.username, now,
                            "approve", 4, None, "default", 1, NO_ANSWERS,
                            raw_outcome(user.username, now), False,
                            *raw_announcement(user, now),
                        )  # fmt: skip
                        if reviewed is None:
                            raise RuntimeError(f"raw review of {event_id} changed nothing")
                        tally.events += 1

        started = tally.started = time.perf_counter()
        tally.window = seconds
        deadline = started + seconds
        await asyncio.gather(*(reviewer(u, deadline) for u in env.reviewers))
        tally.seconds = time.perf_counter() - started
    finally:
        await pool.close()
    return tally


# Each reviewer skipped the first events of each of their regions' queues: the
# claim statement must step over them in its index scans (one probe each).
SEED_SKIPS = """
    INSERT INTO event_skips (user_id, event_id, reason)
    SELECT u.user_id, head.event_id, 'unclear'
    FROM unnest(CAST($1 AS uuid[]), CAST($2 AS text[])) AS u(user_id, region_code)
    CROSS JOIN LATERAL (
        SELECT e.event_id FROM events AS e
        WHERE e.status = 'pending' AND e.region_code = u.region_code
        ORDER BY e.priority DESC, e.created_at, e.event_id
        LIMIT $3
    ) AS head
"""


async def _seed_skips(env: Env) -> None:
    pairs = [(user.user_id, code) for user in env.reviewers for code in sorted(user.regions)]
    users, regions = [p[0] for p in pairs], [p[1] for p in pairs]
    for location in (env.central, env.baseline):
        await env.execute(location, SEED_SKIPS, users, regions, env.scale.claim_skips)
        await env.execute(location, "VACUUM ANALYZE event_skips")


# Queue rules with ageing, in force before the load: the loaded events are
# ranked by the insert trigger, and the claim walks the same index it walks
# without them (one column, rank_at, holds the aged order).
AGEING = (
    "INSERT INTO queue_rule_sets (version, document, point_seconds, applied_by) "
    """VALUES (1, '{"ageing": {"every": "6m"}}', 360, 'bench') ON CONFLICT DO NOTHING"""
)


async def _claim_plan(env: Env, user: User) -> str:
    """One claim's plan, executed and rolled back: the indexes it walks, its sorts, buffers."""
    conn = await env.connect(env.central)
    try:
        transaction = conn.transaction()
        await transaction.start()
        try:
            rows = await conn.fetch(
                f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {RAW_CLAIM}",
                sorted(user.regions), 10, user.user_id, LEASE, user.username,
            )  # fmt: skip
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    lines = [str(row[0]).strip() for row in rows]
    scans = sorted({line.split(" using ")[1].split(" ")[0] for line in lines if " using " in line})
    sorts = [
        line.split("(")[0].strip("-> ").strip() for line in lines if "Sort" in line.split("(")[0]
    ]
    seq = any("Seq Scan on events" in line for line in lines)
    buffers = next((line for line in lines if line.startswith("Buffers:")), "Buffers: -")
    timing = next((line for line in lines if line.startswith("Execution Time")), "")
    return (
        f"claim plan with ageing on ({len(user.regions)} regions): {', '.join(scans)}; "
        f"sorts: {', '.join(sorts) or 'none'}; seq scan of events: {'yes' if seq else 'no'}; "
        f"{buffers}; {timing}"
    )


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    for location in (env.central, env.baseline):
        await env.execute(location, AGEING)
    await load_generated(
        [env.central, env.baseline],
        scale.claim_pending,
        prefix="cl",
        status="pending",
        progress=env.progress,
        what="claim: loading pending events into both databases",
    )
    await _seed_skips(env)
    await env.pg.checkpoint()
    plan = await _claim_plan(env, next(u for u in env.reviewers if u.multi))
    say(plan)
    reviewers = len(env.reviewers)
    multi = sum(1 for u in env.reviewers if u.multi)
    say(
        f"claim: {reviewers} reviewers over HTTP for {scale.claim_seconds:.0f} s "
        f"({reviewers - multi} on single-region teams, {multi} on the 4-region team)"
    )
    platform = await _platform(env, scale.claim_seconds)
    twice = await env.fetchval(
        env.central,
        "SELECT count(*) FROM (SELECT event_id FROM audit_log WHERE action = 'event.assigned' "
        "GROUP BY event_id HAVING count(*) > 1) AS t",
    )
    submitted = await env.fetchval(
        env.central, "SELECT count(*) FROM events WHERE status = 'submitted'"
    )
    if submitted != platform.events:
        raise RuntimeError(f"claim: {submitted} events submitted, {platform.events} reviewed")

    await env.pg.checkpoint()
    say(f"claim: the same loop in raw SQL, {reviewers} asyncpg connections")
    raw = await _raw(env, scale.claim_seconds, review=True)
    alone_seconds = min(scale.claim_seconds, 20.0)
    say(f"claim: the claim statement alone, {reviewers} connections for {alone_seconds:.0f} s")
    alone = await _raw(env, alone_seconds, review=False)
    raw_twice = len(raw.claimed) - len(set(raw.claimed))
    alone_twice = len(alone.claimed + raw.claimed) - len(set(alone.claimed + raw.claimed))

    figures = []
    for is_multi, name in ((False, "single-region teams"), (True, "4-region team")):
        figure = Figure(
            f"claim.claims_per_s.{'multi' if is_multi else 'single'}",
            f"3 claim, claims/s, {name}",
            "claims/s",
            rate(platform.claims[is_multi], platform.seconds),
            rate(raw.claims[is_multi], raw.seconds),
            target="≥ 0.50 x raw SQL",
            notes=[
                f"each reviewer skipped the first {scale.claim_skips} events of each of "
                "their regions' queues",
                "claim statement alone (no reviews): "
                f"{rate(alone.claims[is_multi], alone.seconds):,.0f} claims/s, "
                f"p99 {ms(percentile(alone.latency[is_multi], 99)):.1f} ms",
                f"claim p50/p99: platform {ms(percentile(platform.latency[is_multi], 50)):.1f}/"
                f"{ms(percentile(platform.latency[is_multi], 99)):.1f} ms, raw "
                f"{ms(percentile(raw.latency[is_multi], 50)):.1f}/"
                f"{ms(percentile(raw.latency[is_multi], 99)):.1f} ms",
            ],
        )
        figure.met = at_least(figure.ratio, 0.5)
        figures.append(figure)
    figures.append(
        Figure(
            "claim.events_per_s",
            "3 claim, events reviewed/s",
            "events/s",
            rate(platform.events, platform.seconds),
            rate(raw.events, raw.seconds),
        )
    )
    figures.append(
        Figure(
            "claim.p50_ms",
            "3 claim, claim latency p50",
            "ms",
            ms(percentile(platform.all_latencies(), 50)),
            ms(percentile(raw.all_latencies(), 50)),
        )
    )
    p99 = Figure(
        "claim.p99_ms",
        "3 claim, claim latency p99",
        "ms",
        ms(percentile(platform.all_latencies(), 99)),
        ms(percentile(raw.all_latencies(), 99)),
        target="platform ≤ 100 ms",
    )
    p99.met = at_most(p99.platform, 100.0)
    p99.notes.append(
        f"platform {platform.drift()}; raw loop {raw.drift()}; statement alone {alone.drift()}"
    )
    p99.notes.append(plan)
    figures.append(p99)
    double = Figure(
        "claim.double_assignments",
        "3 claim, events assigned twice",
        "count",
        float(twice),  # type: ignore[arg-type]
        float(raw_twice + alone_twice),
        target="0",
        notes=[
            f"platform {sum(platform.claims.values()):,} claims of {platform.events:,} events; "
            f"raw {sum(raw.claims.values()):,} + {sum(alone.claims.values()):,} claims",
        ],
    )
    double.met = double.platform == 0 and double.baseline == 0
    figures.append(double)
    return figures
