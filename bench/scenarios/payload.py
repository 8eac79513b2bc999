"""Scenario 5: the payload proxy's added latency and the centre's memory while streaming."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass

from bench.env import PAYLOAD_REGION, Env
from bench.http import Connection
from bench.memory import RssSampler
from bench.report import Figure, at_most
from bench.stats import ms, percentile
from event_review.contracts.signing import sign_call

SMALL_BYTES = 2 * 1024
LARGE_BYTES = 5 * 1024 * 1024
SMALL_EVENTS, LARGE_EVENTS = 20, 4
ADDED_P50_TARGET_MS = 2.0
# Buffering each of 16 streamed 5 MB payloads whole would add 80 MB; flat means
# well under a quarter of that.
RSS_GROWTH_TARGET_MB = 20.0


@dataclass
class Stored:
    external_event_id: str
    event_id: str


def _document(external_event_id: str, size: int) -> str:
    base = {
        "external_event_id": external_event_id,
        "event_type": "collision",
        "severity": "high",
        "vehicle_class": "van",
        "speed_band": "40-60 km/h",
        "driver": {"name": "Bench Driver", "licence_number": "D12345678"},
        "compliance_canary": f"canary-{external_event_id}",
        "filler": "",
    }
    # The region renders jsonb with a space after each ':' and ','.
    rendered = len(json.dumps(base, separators=(", ", ": ")))
    base["filler"] = "x" * max(0, size - rendered)
    return json.dumps(base)


async def _store(env: Env, prefix: str, count: int, size: int) -> list[Stored]:
    regional = await env.connect(env.regional[PAYLOAD_REGION])
    central = await env.connect(env.central)
    stored = []
    try:
        for n in range(count):
            external_id = f"{prefix}-{n}"
            await regional.execute(
                "INSERT INTO events (external_event_id, event_type, occurred_at, device_id, "
                "priority, payload) VALUES ($1, 'collision', now(), 'dev-bench', 50, $2::jsonb)",
                external_id,
                _document(external_id, size),
            )
            event_id = await central.fetchval(
                "INSERT INTO events (external_event_id, region_code, event_type, occurred_at, "
                "device_id, priority) VALUES ($1, $2, 'collision', now(), 'dev-bench', 50) "
                "RETURNING event_id",
                external_id,
                PAYLOAD_REGION,
            )
            stored.append(Stored(external_id, str(event_id)))
        # Not for the forwarder: these are already in the centre.
        await regional.execute("DELETE FROM forward_queue")
    finally:
        await regional.close()
        await central.close()
    return stored


async def _read(http: Connection, url: str, headers: dict[str, str]) -> int:
    """GET `url`, reading the body to the end without keeping it; returns its size."""
    response = await http.request("GET", url, headers=headers, discard=True)
    if response.status != 200:
        raise RuntimeError(f"payload: HTTP {response.status} for {url}")
    return int(response.headers["x-bench-received"])


async def _latencies(env: Env, events: list[Stored], requests: int) -> tuple[list[float], ...]:
    """Alternate direct (signed) regional calls and calls through the centre, one at a time."""
    direct, proxied = [], []
    lead = {"Authorization": f"Bearer {env.lead.token}"}
    async with Connection(env.region_api_url) as region, Connection(env.centre_url) as centre:
        for n in range(requests + 2):  # the first round warms both paths up
            event = events[n % len(events)]
            token = sign_call(
                env.key,
                region_code=PAYLOAD_REGION,
                method="GET",
                external_event_id=event.external_event_id,
            )
            started = time.perf_counter()
            await _read(
                region,
                f"/regional/v1/events/{event.external_event_id}",
                {"Authorization": f"Bearer {token}"},
            )
            middle = time.perf_counter()
            await _read(centre, f"/api/v1/events/{event.event_id}/payload", lead)
            if n >= 2:
                direct.append(middle - started)
                proxied.append(time.perf_counter() - middle)
    return direct, proxied


async def _stream(env: Env, events: list[Stored]) -> tuple[float, float, float, float]:
    """RSS at rest and peak while clients stream 5 MB payloads; returns MB and MB/s."""
    clients, rounds = env.scale.payload_stream_clients, env.scale.payload_stream_rounds
    with RssSampler(env.centre.pid) as rest:
        await asyncio.sleep(1.0)
    lead = {"Authorization": f"Bearer {env.lead.token}"}

    async def client(c: int) -> int:
        received = 0
        async with Connection(env.centre_url) as http:
            for r in range(rounds):
                event = events[(c + r) % len(events)]
                received += await _read(http, f"/api/v1/events/{event.event_id}/payload", lead)
        return received

    with RssSampler(env.centre.pid) as busy:
        started = time.perf_counter()
        received = sum(await asyncio.gather(*(client(c) for c in range(clients))))
        seconds = time.perf_counter() - started
    mb = 1024 * 1024
    at_rest = statistics.median(rest.samples) / mb
    peak = max(busy.samples) / mb
    return at_rest, peak, received / mb / seconds, seconds


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    say("payload: storing 2 KB and 5 MB payloads in the region (and their metadata centrally)")
    small = await _store(env, "pl-small", SMALL_EVENTS, SMALL_BYTES)
    large = await _store(env, "pl-large", LARGE_EVENTS, LARGE_BYTES)
    say(f"payload: {scale.payload_small_requests} x 2 KB, direct and through the centre")
    small_direct, small_proxied = await _latencies(env, small, scale.payload_small_requests)
    say(f"payload: {scale.payload_large_requests} x 5 MB, direct and through the centre")
    large_direct, large_proxied = await _latencies(env, large, scale.payload_large_requests)
    say(
        f"payload: {scale.payload_stream_clients} clients streaming 5 MB payloads "
        f"x {scale.payload_stream_rounds}; sampling the centre's RSS"
    )
    at_rest, peak, throughput, seconds = await _stream(env, large)

    figures = []
    for label, direct, proxied in (
        ("2 KB", small_direct, small_proxied),
        ("5 MB", large_direct, large_proxied),
    ):
        key = label.replace(" ", "").lower()
        for pct in (50, 99):
            figure = Figure(
                f"payload.{key}.p{pct}_ms",
                f"5 payload {label}, p{pct} via centre vs direct",
                "ms",
                ms(percentile(proxied, pct)),
                ms(percentile(direct, pct)),
            )
            added = figure.platform - figure.baseline  # type: ignore[operator]
            figure.notes.append(f"added by the centre: {added:+.1f} ms")
            if key == "2kb" and pct == 50:
                figure.target = f"added ≤ {ADDED_P50_TARGET_MS:.0f} ms"
                figure.met = added <= ADDED_P50_TARGET_MS
            figures.append(figure)
    memory = Figure(
        "payload.rss_mb",
        f"5 payload, centre RSS: peak streaming vs at rest ({scale.payload_stream_clients} x 5 MB)",
        "MB",
        peak,
        at_rest,
        target=f"peak ≤ rest + {RSS_GROWTH_TARGET_MB:.0f} MB",
        notes=[
            f"growth {peak - at_rest:+.1f} MB; streamed {throughput:,.0f} MB/s over {seconds:.1f} s"
        ],
    )
    memory.met = at_most(peak - at_rest, RSS_GROWTH_TARGET_MB)
    figures.append(memory)
    return figures
