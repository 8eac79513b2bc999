"""Scenario 8: claims with escalation and QA queues in play, against the plain claim.

Both databases get the same pending events. In the platform's, a tenth of them
are escalated, and as many reviewed events as a fifth of all events wait in
`qa_tasks`. The same number of connections then claim for the same time: in
the plain database all of them claim reviews; in the other, most claim
reviews while a few leads claim escalations and a few QA reviewers claim QA
tasks, each queue through its own statement. The claim statements are the
platform's own, so this measures whether the queues stay on their index paths
and out of each other's way, not HTTP.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bench.env import Env, User
from bench.report import Figure, at_least
from bench.sql import asyncpg_sql, load_generated
from bench.stats import ms, percentile, rate
from event_review.central.assignment.repository import CLAIM_ESCALATED_SQL, CLAIM_SQL
from event_review.central.qa.repository import CLAIM_SQL as QA_CLAIM_SQL
from event_review.runtime.postgres import ServerLocation

LEASE = timedelta(minutes=15)
PARAMS = ["regions", "size", "user_id", "lease", "actor"]
RAW = {
    "review": asyncpg_sql(CLAIM_SQL, PARAMS),
    "escalated": asyncpg_sql(CLAIM_ESCALATED_SQL, PARAMS),
    "qa": asyncpg_sql(QA_CLAIM_SQL, PARAMS),
}
# Of the claiming connections, how many claim each of the other queues.
LEADS = 4
JUDGES = 4

# A tenth of the pending events escalated, spread over regions and priorities.
ESCALATE = "UPDATE events SET queue = 'escalated' WHERE abs(hashtext(external_event_id)) % 10 = 0"
# One QA task per reviewed event, its review by one of the claimants (whom the
# QA claim must step over).
SAMPLE = """
    INSERT INTO qa_tasks (event_id, region_code, priority, revision, reviewer_id, form_key)
    SELECT e.event_id, e.region_code, e.priority, 1,
           (CAST($1 AS uuid[]))[1 + abs(hashtext(e.external_event_id)) % cardinality($1)],
           'default'
    FROM events AS e
    WHERE e.status = 'submitted'
"""


@dataclass
class Tally:
    claims: dict[str, int] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=dict)
    empty: int = 0
    seconds: float = 0.0

    def record(self, queue: str, elapsed: float) -> None:
        self.claims[queue] = self.claims.get(queue, 0) + 1
        self.latency.setdefault(queue, []).append(elapsed)

    def total(self) -> int:
        return sum(self.claims.values())


async def _claiming(
    env: Env, location: ServerLocation, roles: Sequence[tuple[User, str]], seconds: float
) -> Tally:
    tally = Tally()
    size = env.scale.claim_size
    pool = await env.pool(location, len(roles))
    try:

        async def claimant(user: User, queue: str, deadline: float) -> None:
            regions = sorted(user.regions)
            async with pool.acquire() as conn:
                statement = await conn.prepare(RAW[queue])
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    rows = await statement.fetch(regions, size, user.user_id, LEASE, user.username)
                    elapsed = time.perf_counter() - started
                    if not rows:
                        tally.empty += 1
                        await asyncio.sleep(0.01)
                        continue
                    tally.record(queue, elapsed)

        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(claimant(u, q, deadline) for u, q in roles))
        tally.seconds = time.perf_counter() - started
    finally:
        await pool.close()
    return tally


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    await load_generated(
        [env.central, env.baseline],
        scale.claim_pending,
        prefix="qu",
        status="pending",
        progress=env.progress,
        what="queues: loading pending events into both databases",
    )
    await load_generated(
        [env.central],
        scale.claim_pending // 4,  # a fifth of all events, pending and reviewed
        prefix="qr",
        status="submitted",
        progress=env.progress,
        what="queues: loading reviewed events to sample for QA",
    )
    await env.execute(env.central, ESCALATE)
    await env.execute(env.central, SAMPLE, [u.user_id for u in env.reviewers])
    for table in ("events", "qa_tasks"):
        await env.execute(env.central, f"VACUUM ANALYZE {table}")
    await env.pg.checkpoint()
    seconds = min(scale.claim_seconds, 20.0)
    reviewers = env.reviewers
    plain_roles = [(u, "review") for u in reviewers]
    mixed_roles = (
        [(u, "escalated") for u in reviewers[:LEADS]]
        + [(u, "qa") for u in reviewers[LEADS : LEADS + JUDGES]]
        + [(u, "review") for u in reviewers[LEADS + JUDGES :]]
    )
    say(f"queues: {len(reviewers)} connections claim reviews for {seconds:.0f} s (plain)")
    plain = await _claiming(env, env.baseline, plain_roles, seconds)
    say(
        f"queues: {len(reviewers) - LEADS - JUDGES} claim reviews, {LEADS} escalations and "
        f"{JUDGES} QA tasks for {seconds:.0f} s"
    )
    mixed = await _claiming(env, env.central, mixed_roles, seconds)
    held_twice = await env.fetchval(
        env.central,
        "SELECT count(*) FROM (SELECT event_id FROM audit_log WHERE action IN "
        "('event.assigned', 'qa.assigned') GROUP BY event_id, action HAVING count(*) > 1) AS t",
    )

    def p(tally: Tally, queue: str, q: float) -> float:
        return ms(percentile(tally.latency.get(queue, []), q))

    throughput = Figure(
        "queues.claims_per_s",
        "8 queues, claims/s of every queue vs reviews only",
        "claims/s",
        rate(mixed.total(), mixed.seconds),
        rate(plain.total(), plain.seconds),
        target="≥ 0.80 x reviews only",
        notes=[
            f"{scale.claim_pending:,} pending events, a tenth escalated; "
            f"{scale.claim_pending // 4:,} QA tasks (a fifth of all events)",
            f"review claims {rate(mixed.claims.get('review', 0), mixed.seconds):,.0f}/s by "
            f"{len(reviewers) - LEADS - JUDGES} connections; escalations "
            f"{rate(mixed.claims.get('escalated', 0), mixed.seconds):,.0f}/s by {LEADS}; "
            f"QA {rate(mixed.claims.get('qa', 0), mixed.seconds):,.0f}/s by {JUDGES}",
            f"held twice: {held_twice}",
        ],
    )
    throughput.met = at_least(throughput.ratio, 0.8) and held_twice == 0
    p99 = Figure(
        "queues.review_p99_ms",
        "8 queues, review claim p99 vs reviews only",
        "ms",
        p(mixed, "review", 99),
        p(plain, "review", 99),
        notes=[
            f"p50 review {p(mixed, 'review', 50):.1f} ms (plain {p(plain, 'review', 50):.1f}), "
            f"escalated {p(mixed, 'escalated', 50):.1f}/{p(mixed, 'escalated', 99):.1f} ms, "
            f"QA {p(mixed, 'qa', 50):.1f}/{p(mixed, 'qa', 99):.1f} ms (p50/p99)"
        ],
    )
    return [throughput, p99]
