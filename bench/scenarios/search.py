"""Scenario 9: search pages, first and 100th, for three typical filters.

The events table holds `search_events` rows over 4 regions, nine in ten
reviewed (by one of 8 reviewers, a tenth of them rejected). A lead of every
region pages through three searches over HTTP, 50 events a page: a region's
newest (what a lead opens first), the rejected reviews of two regions by
review time, and one reviewer's reviews. Page 100 is reached by its cursor,
walked to once. The baseline runs the same statement (the platform's own,
compiled) through asyncpg. The plans of page 100, from `EXPLAIN (ANALYZE,
BUFFERS)`, go into the notes.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.dialects import postgresql

from bench.env import Env
from bench.http import Connection
from bench.report import Figure, at_most
from bench.sql import load_generated
from bench.stats import ms, percentile
from event_review.central.paging import decode_cursor
from event_review.central.search.filters import EventFilters, SortBy
from event_review.central.search.repository import search_statement

PAGE = 50
DEEP = 100  # the page measured besides the first
REVIEWERS = [uuid.UUID(int=n + 1) for n in range(8)]

# Nine in ten events reviewed, spread over 8 reviewers and one second apart.
REVIEWED = (
    ", reviewed_at, review_user_id, review_decision, review_rating, review_form_key, "
    "review_form_version, review_revision",
    ", CASE WHEN g % 10 <> 0 THEN timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' "
    "END, CASE WHEN g % 10 <> 0 THEN (CAST($4 AS uuid[]))[1 + g % 8] END, "
    "CASE WHEN g % 10 = 0 THEN NULL WHEN g % 7 = 0 THEN 'reject' ELSE 'approve' END, "
    "CASE WHEN g % 10 <> 0 THEN 4 END, CASE WHEN g % 10 <> 0 THEN 'default' END, "
    "CASE WHEN g % 10 <> 0 THEN 1 END, CASE WHEN g % 10 <> 0 THEN 1 END",
)


Search = tuple[str, dict[str, Any], list[str], EventFilters, SortBy]


def _searches(reviewer: str) -> dict[str, Search]:
    """key: (what it is, query parameters, regions, the same as filters, sort)."""
    return {
        "newest": ("a region's newest", {"region": "eu"}, ["eu"], EventFilters(), SortBy.INGESTED),
        "rejects": (
            "rejects of two regions",
            {"region": ["eu", "us"], "decision": "reject", "sort": "reviewed"},
            ["eu", "us"],
            EventFilters(decision="reject"),
            SortBy.REVIEWED,
        ),
        "reviewer": (
            "one reviewer's reviews",
            {"reviewer": reviewer, "sort": "reviewed"},
            ["us", "ca", "apac", "eu"],
            EventFilters(reviewer_id=REVIEWERS[0]),
            SortBy.REVIEWED,
        ),
    }


def _sql(regions: list[str], filters: EventFilters, sort: SortBy, cursor: str | None) -> str:
    after = decode_cursor(cursor, id_kind=uuid.UUID) if cursor else None
    statement = search_statement(regions, filters, sort, after, PAGE)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def add_reviewers(env: Env) -> str:
    """The reviewers the loaded reviews name (the API filters by username); the first's name."""
    conn = await env.connect(env.central)
    try:
        for n, user_id in enumerate(REVIEWERS):
            await conn.execute(
                "INSERT INTO users (user_id, username, password_hash, role) "
                "VALUES ($1, $2, 'x', 'reviewer') ON CONFLICT DO NOTHING",
                user_id,
                f"bench-search-reviewer-{n}",
            )
        return "bench-search-reviewer-0"
    finally:
        await conn.close()


async def _timed_http(
    http: Connection, headers: dict[str, str], params: dict[str, Any], rounds: int
) -> tuple[list[float], str | None]:
    latencies, following = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        path = f"/api/v1/search/events?{urlencode(params, doseq=True)}"
        response = await http.request("GET", path, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"search: HTTP {response.status}: {response.text[:300]}")
        following = response.json()["next_cursor"]
    return latencies, following


async def _timed_sql(env: Env, sql: str, rounds: int) -> list[float]:
    conn = await env.connect(env.central)
    try:
        latencies = []
        for _ in range(rounds):
            started = time.perf_counter()
            await conn.fetch(sql)
            latencies.append(time.perf_counter() - started)
        return latencies
    finally:
        await conn.close()


async def _plan(env: Env, sql: str) -> str:
    conn = await env.connect(env.central)
    try:
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {sql}")
        return "\n".join(r[0] for r in rows)
    finally:
        await conn.close()


def _plan_summary(plan: str) -> str:
    lines = [line.strip() for line in plan.splitlines()]
    used = sorted({line.split(" using ")[1].split(" ")[0] for line in lines if " using " in line})
    buffers = next((line for line in lines if line.startswith("Buffers:")), "Buffers: -")
    timing = next((line for line in lines if line.startswith("Execution Time")), "")
    return f"{', '.join(used)}; {buffers}; {timing}"


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    reviewer = await add_reviewers(env)
    await load_generated(
        [env.central],
        scale.search_events,
        prefix="se",
        status="completed",
        progress=env.progress,
        what="search: loading reviewed events",
        extra_columns=REVIEWED[0],
        extra_values=REVIEWED[1],
        extra_args=(REVIEWERS,),
    )
    await env.pg.checkpoint()
    headers = {"Authorization": f"Bearer {env.lead.token}"}
    rounds = scale.search_rounds
    figures = []
    async with Connection(env.centre_url) as http:
        for key, (name, params, regions, filters, sort) in _searches(reviewer).items():
            say(f"search: {name}, page 1 and page {DEEP}")
            first, cursor = await _timed_http(http, headers, {**params, "limit": PAGE}, rounds)
            for _ in range(DEEP - 2):  # walk to the cursor of page 100
                if cursor is None:
                    raise RuntimeError(f"search {name!r} has fewer than {DEEP} pages")
                _, cursor = await _timed_http(
                    http, headers, {**params, "limit": PAGE, "cursor": cursor}, 1
                )
            deep, _ = await _timed_http(
                http, headers, {**params, "limit": PAGE, "cursor": cursor}, rounds
            )
            raw_first = await _timed_sql(env, _sql(regions, filters, sort, None), rounds)
            raw_deep = await _timed_sql(env, _sql(regions, filters, sort, cursor), rounds)
            plan = await _plan(env, _sql(regions, filters, sort, cursor))
            for page, platform, raw in (("1", first, raw_first), (str(DEEP), deep, raw_deep)):
                figure = Figure(
                    f"search.{key}.page{page}_p99_ms",
                    f"9 search, {name}, page {page} p99",
                    "ms",
                    ms(percentile(platform, 99)),
                    ms(percentile(raw, 99)),
                    target="platform ≤ 100 ms",
                    notes=[
                        f"p50 {ms(percentile(platform, 50)):.1f} ms (statement alone "
                        f"{ms(percentile(raw, 50)):.2f} ms), {rounds} requests, "
                        f"{scale.search_events:,} events",
                    ],
                )
                figure.met = at_most(figure.platform, 100.0)
                if page == str(DEEP):
                    figure.notes.append(f"page {DEEP} plan: {_plan_summary(plan)}")
                figures.append(figure)
    return figures
