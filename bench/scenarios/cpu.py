"""Scenario 7: the centre's CPU time per request, one request at a time.

Not a capacity figure: it says where a closed loop's time goes. Sequential
requests on one keep-alive connection; the centre's CPU time (all of its
threads and worker processes) before and after each block, summed per kind of
request over every round and divided by the number of requests.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bench.data import dumps, metadata
from bench.env import Env
from bench.http import Connection
from bench.report import Figure
from bench.scales import REGIONS
from bench.scenarios.ingest import BATCH_PATH
from bench.services import cpu_seconds
from bench.sql import load_generated

WARMUP_ROUNDS = 2
LIGHT_REQUESTS = 20  # per round, for the requests that cost well under a millisecond


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    rounds = scale.cpu_rounds
    reviewer = next(u for u in env.reviewers if u.multi)
    await env.reset_central()
    await load_generated(
        [env.central],
        (rounds + WARMUP_ROUNDS) * scale.claim_size * 2,
        prefix="cpu",
        status="pending",
        progress=env.progress,
        what="cpu: loading pending events",
    )
    say(f"cpu: {rounds} rounds of sequential requests, centre CPU time per request")
    user = {"Authorization": f"Bearer {reviewer.token}"}
    region = REGIONS[0]
    ingest = {"Authorization": f"Bearer {env.ingest_keys[region]}"}
    used: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)

    async with Connection(env.centre_url) as http:

        async def measure(
            kind: str,
            n: int,
            method: str,
            path: str,
            *,
            record: bool,
            headers: dict[str, str] | None = None,
            body: bytes | None = None,
            json_body: Any = None,
        ) -> Any:
            before = cpu_seconds(env.centre.pid)
            for _ in range(n):
                response = await http.request(
                    method, path, headers=headers, body=body, json_body=json_body
                )
                if response.status >= 300:
                    raise RuntimeError(
                        f"cpu: {kind}: HTTP {response.status}: {response.text[:300]}"
                    )
            if record:
                used[kind] += cpu_seconds(env.centre.pid) - before
                count[kind] += n
            return response.json()

        for r in range(rounds + WARMUP_ROUNDS):
            record = r >= WARMUP_ROUNDS
            await measure("healthz", LIGHT_REQUESTS, "GET", "/healthz", record=record)
            await measure(
                "me", LIGHT_REQUESTS, "GET", "/api/v1/auth/me", record=record, headers=user
            )
            batch = await measure(
                "claim",
                1,
                "POST",
                "/api/v1/assignments/next-batch",
                record=record,
                headers=user,
                json_body={"size": scale.claim_size},
            )
            events = batch["events"]
            if len(events) != scale.claim_size:
                raise RuntimeError(f"cpu: claimed {len(events)} events, not {scale.claim_size}")
            for event in events:
                await measure(
                    "review",
                    1,
                    "POST",
                    f"/api/v1/events/{event['event_id']}/review",
                    record=record,
                    headers=user,
                    json_body={"decision": "approve", "rating": 4},
                )
            body = dumps(
                {"events": [metadata(f"cpu{r}", region, i) for i in range(scale.batch_size)]}
            )
            await measure(
                "batch",
                1,
                "POST",
                BATCH_PATH,
                record=record,
                headers={**ingest, "Content-Type": "application/json"},
                body=body,
            )

    labels = {
        "healthz": "GET /healthz (no authentication, no database)",
        "me": "GET /auth/me (authenticated, one session query)",
        "claim": f"POST /assignments/next-batch, {scale.claim_size} events",
        "review": "POST /events/{id}/review",
        "batch": f"POST /internal-ingest/events, {scale.batch_size:,} events",
    }
    note = f"{rounds} rounds after {WARMUP_ROUNDS} warm-up rounds, sequential requests"
    return [
        Figure(
            f"cpu.{kind}_ms",
            f"7 centre CPU per request: {label}",
            "ms",
            1000 * used[kind] / count[kind],
            notes=[f"{count[kind]:,} requests; {note}"],
        )
        for kind, label in labels.items()
    ]
