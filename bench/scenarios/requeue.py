"""Scenario 4: re-queue of expired leases, against one plain UPDATE on an identical copy."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from bench.env import Env
from bench.report import Figure, at_most
from bench.sql import load_generated
from event_review.central.identity.actor import Actor
from event_review.central.requeue import repository as requeue_repository
from event_review.runtime.database import Database
from event_review.settings import Settings
from event_review.targets.registry import JOBS

PLAIN_UPDATE = (
    "UPDATE events SET status = 'pending', assigned_user_id = NULL, assigned_at = NULL, "
    "lease_expires_at = NULL WHERE status = 'assigned' AND lease_expires_at < now()"
)
CHUNK = 5_000  # the platform's default EVENT_REVIEW_REQUEUE_CHUNK_SIZE
STATEMENT_STATS = """
    SELECT coalesce(sum(calls), 0)::bigint AS calls, max(max_exec_time) AS max_exec_time,
           coalesce(sum(total_exec_time), 0) AS total_exec_time
    FROM pg_stat_statements
    WHERE query LIKE '%WITH stale AS%' AND query NOT LIKE '%pg_stat_statements%'
      AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def _statement_times(env: Env) -> tuple[int, list[float]]:
    """(calls, approximate per-chunk seconds) of the re-queue statement, from pg_stat_statements."""
    conn = await env.connect(env.central)
    try:
        row = await conn.fetchrow(STATEMENT_STATS)
    finally:
        await conn.close()
    if row is None or not row["calls"]:
        raise RuntimeError("requeue: pg_stat_statements recorded no re-queue statement")
    # Only the aggregate is known: the longest, and the mean for the others.
    calls, longest = int(row["calls"]), row["max_exec_time"] / 1000.0
    mean_others = (row["total_exec_time"] / 1000.0 - longest) / max(calls - 1, 1)
    return calls, [mean_others] * (calls - 1) + [longest]


async def _the_job(env: Env) -> tuple[int, float, list[float]]:
    """The registry's `requeue` job (what the CronJob runs), on its own database connection.

    Chunk statements are timed by pg_stat_statements when the server has it,
    else by a wrapper around the repository's chunk statement.
    """
    job = JOBS["requeue"].work
    assert job is not None
    original = requeue_repository.requeue_chunk
    chunks: list[float] = []

    async def timed(session: AsyncSession, chunk: int, actor: Actor) -> int:
        started = time.perf_counter()
        count = await original(session, chunk, actor)
        chunks.append(time.perf_counter() - started)
        return count

    settings = Settings(requeue_chunk_size=CHUNK)
    database = Database.connect(env.central, application_name="bench-requeue", pool_size=2)
    if env.pg.pg_stat_statements:
        await env.execute(env.central, "SELECT pg_stat_statements_reset()")
    else:
        requeue_repository.requeue_chunk = timed
    try:
        started = time.perf_counter()
        count = int(await job(settings, database))
        seconds = time.perf_counter() - started
    finally:
        requeue_repository.requeue_chunk = original
        await database.dispose()
    if env.pg.pg_stat_statements:
        _, chunks = await _statement_times(env)
    return count, seconds, chunks


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    holder = env.reviewers[0].user_id
    await load_generated(
        [env.central, env.baseline],
        scale.requeue_leases,
        prefix="rq",
        status="assigned",
        progress=env.progress,
        what="re-queue: loading expired leases into both databases",
        extra_columns=", assigned_user_id, assigned_at, lease_expires_at",
        extra_values=", $4::uuid, now() - interval '2 hours', "
        "now() - interval '1 hour' - (g % 3600) * interval '1 second'",
        extra_args=(holder,),
    )
    await env.pg.checkpoint()
    say("re-queue: the `requeue` job (platform)")
    count, seconds, chunks = await _the_job(env)
    how = (
        "the registry's requeue job; statement times from pg_stat_statements"
        if env.pg.pg_stat_statements
        else "the registry's requeue job; chunk statements timed by a wrapper"
    )
    if count != scale.requeue_leases:
        raise RuntimeError(f"requeue: {count} re-queued, expected {scale.requeue_leases}")

    await env.pg.checkpoint()
    say("re-queue: one plain UPDATE on the identical copy (baseline)")
    conn = await env.connect(env.baseline)
    try:
        started = time.perf_counter()
        status = await conn.execute(PLAIN_UPDATE)
        plain_seconds = time.perf_counter() - started
    finally:
        await conn.close()
    if status != f"UPDATE {scale.requeue_leases}":
        raise RuntimeError(f"requeue baseline: {status}")
    longest = max(chunks) if chunks else 0.0
    expected_chunks = scale.requeue_leases // CHUNK + 1
    counted = (
        f"{len(chunks):,} chunk statements"
        if len(chunks) == expected_chunks
        else f"{len(chunks):,} chunk statements recorded (expected {expected_chunks:,})"
    )
    total = Figure(
        "requeue.seconds",
        f"4 re-queue of {scale.requeue_leases:,} expired leases",
        "s",
        seconds,
        plain_seconds,
        target="≤ 1.0 x plain UPDATE",
        notes=[
            f"{counted} of up to {CHUNK:,} rows, {how}; "
            f"chunk mean {sum(chunks) / max(len(chunks), 1) * 1000:.0f} ms",
            "the platform also writes one audit row per event; the plain UPDATE does not",
        ],
    )
    total.met = at_most(total.ratio, 1.0)
    statement = Figure(
        "requeue.longest_statement_ms",
        "4 re-queue, longest single statement",
        "ms",
        longest * 1000,
        plain_seconds * 1000,
        target="platform ≤ 1,000 ms",
    )
    statement.met = at_most(statement.platform, 1000.0)
    return [total, statement]
