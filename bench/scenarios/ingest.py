"""Scenarios 1 and 2: batch and single-event ingest, against COPY and single-row INSERT."""

from __future__ import annotations

import asyncio
import time

import httpx

from bench.data import METADATA_COLUMNS, dumps, metadata, record
from bench.env import Env
from bench.http import Connection
from bench.report import Figure, at_least
from bench.scales import REGIONS
from bench.stats import ms, percentile, rate

BATCH_PATH = "/api/v1/internal-ingest/events"
ONE_PATH = "/api/v1/internal-ingest/event"


async def batch_ingest(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    clients = scale.batch_clients
    per_client = scale.batch_events // clients
    say(f"batch ingest: building {per_client * clients:,} events as JSON batches")
    bodies: list[list[bytes]] = []
    for c in range(clients):
        region = REGIONS[c % len(REGIONS)]
        batches = []
        for start in range(0, per_client, scale.batch_size):
            stop = min(start + scale.batch_size, per_client)
            events = [metadata(f"bi{c}", region, i) for i in range(start, stop)]
            batches.append(dumps({"events": events}))
        bodies.append(batches)

    counter = env.progress.counter("batch ingest (platform)", per_client * clients)
    latencies: list[float] = []

    async def client(c: int) -> None:
        region = REGIONS[c % len(REGIONS)]
        headers = {
            "Authorization": f"Bearer {env.ingest_keys[region]}",
            "Content-Type": "application/json",
        }
        async with httpx.AsyncClient(
            base_url=env.centre_url, timeout=300.0, trust_env=False
        ) as http:
            for body in bodies[c]:
                started = time.perf_counter()
                response = await http.post(BATCH_PATH, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"batch ingest: HTTP {response.status_code}: {response.text[:300]}"
                    )
                counter.add(response.json()["created"])

    await env.pg.checkpoint()
    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    platform_seconds = time.perf_counter() - started
    stored = await env.fetchval(env.central, "SELECT count(*) FROM events")
    if stored != per_client * clients:
        raise RuntimeError(
            f"batch ingest: central holds {stored} events, expected {per_client * clients}"
        )
    bodies.clear()

    say("batch ingest: COPY baseline")
    rows = [
        [record(f"bi{c}", REGIONS[c % len(REGIONS)], i) for i in range(per_client)]
        for c in range(clients)
    ]
    await env.pg.checkpoint()
    conns = [await env.connect(env.baseline) for _ in range(clients)]
    try:

        async def copy(c: int) -> None:
            await conns[c].copy_records_to_table(
                "events", records=rows[c], columns=list(METADATA_COLUMNS)
            )

        started = time.perf_counter()
        await asyncio.gather(*(copy(c) for c in range(clients)))
        copy_seconds = time.perf_counter() - started
    finally:
        for conn in conns:
            await conn.close()
    total = per_client * clients
    say(f"batch ingest: platform {platform_seconds:.1f} s, COPY {copy_seconds:.1f} s")
    platform_rate, copy_rate = rate(total, platform_seconds), rate(total, copy_seconds)
    figure = Figure(
        "batch_ingest.events_per_s",
        f"1 batch ingest, {clients} clients x batches of {scale.batch_size:,}",
        "events/s",
        platform_rate,
        copy_rate,
        target="≥ 0.50 x COPY",
        notes=[
            f"{total:,} events; platform {platform_seconds:.1f} s, COPY {copy_seconds:.1f} s",
            f"per-batch request p50 {ms(percentile(latencies, 50)):.0f} ms, "
            f"p99 {ms(percentile(latencies, 99)):.0f} ms",
        ],
    )
    figure.met = at_least(figure.ratio, 0.5)
    return [figure]


async def single_ingest(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    await env.reset_central()
    connections, seconds = scale.single_connections, scale.single_seconds

    say(f"single ingest: {connections} connections for {seconds:.0f} s (platform)")
    latencies: list[float] = []

    async def worker(w: int, deadline: float) -> None:
        region = REGIONS[w % len(REGIONS)]
        headers = {
            "Authorization": f"Bearer {env.ingest_keys[region]}",
            "Content-Type": "application/json",
        }
        async with Connection(env.centre_url) as http:
            i = 0
            while time.perf_counter() < deadline:
                body = dumps(metadata(f"si{w}", region, i))
                started = time.perf_counter()
                response = await http.request("POST", ONE_PATH, body=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status != 201:
                    raise RuntimeError(
                        f"single ingest: HTTP {response.status}: {response.text[:300]}"
                    )
                i += 1

    await env.pg.checkpoint()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker(w, deadline) for w in range(connections)))
    platform_seconds = time.perf_counter() - started

    say(f"single ingest: {connections} asyncpg connections for {seconds:.0f} s (baseline)")
    base_latencies: list[float] = []
    insert = (
        f"INSERT INTO events ({', '.join(METADATA_COLUMNS)}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (region_code, external_event_id) DO NOTHING RETURNING event_id"
    )
    pool = await env.pool(env.baseline, connections)
    try:

        async def base_worker(w: int, deadline: float) -> None:
            region = REGIONS[w % len(REGIONS)]
            async with pool.acquire() as conn:
                statement = await conn.prepare(insert)
                i = 0
                while time.perf_counter() < deadline:
                    row = record(f"si{w}", region, i)
                    started = time.perf_counter()
                    await statement.fetchval(*row)
                    base_latencies.append(time.perf_counter() - started)
                    i += 1

        await env.pg.checkpoint()
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(base_worker(w, deadline) for w in range(connections)))
        base_seconds = time.perf_counter() - started
    finally:
        await pool.close()

    throughput = Figure(
        "single_ingest.requests_per_s",
        f"2 single ingest, {connections} connections",
        "req/s",
        rate(len(latencies), platform_seconds),
        rate(len(base_latencies), base_seconds),
        notes=[f"platform {len(latencies):,} requests, baseline {len(base_latencies):,} inserts"],
    )
    p50 = Figure(
        "single_ingest.p50_ms",
        "2 single ingest, latency p50",
        "ms",
        ms(percentile(latencies, 50)),
        ms(percentile(base_latencies, 50)),
    )
    p99 = Figure(
        "single_ingest.p99_ms",
        "2 single ingest, latency p99",
        "ms",
        ms(percentile(latencies, 99)),
        ms(percentile(base_latencies, 99)),
    )
    return [throughput, p50, p99]


__all__ = ["batch_ingest", "single_ingest"]
