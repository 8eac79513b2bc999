"""How much work each scenario does at each scale."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    # 1. batch ingest: events through /internal-ingest/events (batches of 1,000, 4 clients)
    batch_events: int
    batch_size: int
    batch_clients: int
    # 2. single ingest: seconds of load with this many connections
    single_seconds: float
    single_connections: int
    # 3. claim: pending events over 4 regions; seconds per run; reviewers
    claim_pending: int
    claim_seconds: float
    claim_reviewers: int
    claim_size: int
    # events at the head of each reviewer's queue that they skipped (the claim steps over them)
    claim_skips: int
    # 4. re-queue: expired leases
    requeue_leases: int
    # 5. payload proxy: sequential requests per size; streaming clients and rounds
    payload_small_requests: int
    payload_large_requests: int
    payload_stream_clients: int
    payload_stream_rounds: int
    # 6. forwarder: idle samples; events preloaded per region
    forward_idle_samples: int
    forward_per_region: int
    # 7. centre CPU per request: rounds of sequential requests
    cpu_rounds: int
    # 9. search: events in the table; requests per page measured
    search_events: int
    search_rounds: int
    # 10. export: reviewed events exported in one CSV
    export_events: int
    # 11. floor: alternating rounds; seconds per closed-loop block; its clients; pending events
    floor_rounds: int
    floor_seconds: float
    floor_clients: int
    floor_pending: int
    # 12. churn: pending events per copy; events claimed (and reviewed) per copy; events per
    # claim; claiming connections; timed claims per probe; autovacuum_naptime (s) for the run
    churn_pending: int
    churn_claims: int
    churn_size: int
    churn_clients: int
    churn_probe: int
    churn_naptime: float
    # 13. replicas: centre processes behind the gateway, up to this many; seconds of
    # closed loop per count; pending events to claim from
    replicas: int
    replicas_seconds: float
    replicas_pending: int
    # `serve all --workers N` for the centre (1: one process, as recorded in docs/benchmarks.md)
    centre_workers: int = 1


SCALES = {
    "small": Scale(
        name="small",
        batch_events=20_000,
        batch_size=1_000,
        batch_clients=4,
        single_seconds=3.0,
        single_connections=64,
        claim_pending=200_000,
        claim_seconds=4.0,
        claim_reviewers=32,
        claim_size=10,
        claim_skips=20,
        requeue_leases=50_000,
        payload_small_requests=40,
        payload_large_requests=6,
        payload_stream_clients=16,
        payload_stream_rounds=1,
        forward_idle_samples=6,
        forward_per_region=2_000,
        cpu_rounds=10,
        search_events=400_000,
        search_rounds=20,
        export_events=100_000,
        floor_rounds=3,
        floor_seconds=1.0,
        floor_clients=8,
        floor_pending=60_000,
        churn_pending=200_000,
        churn_claims=20_000,
        churn_size=10,
        churn_clients=8,
        churn_probe=30,
        churn_naptime=1.0,
        replicas=2,
        replicas_seconds=3.0,
        replicas_pending=30_000,
    ),
    "full": Scale(
        name="full",
        batch_events=1_000_000,
        batch_size=1_000,
        batch_clients=4,
        single_seconds=20.0,
        single_connections=64,
        claim_pending=2_000_000,
        claim_seconds=60.0,
        claim_reviewers=32,
        claim_size=10,
        claim_skips=50,
        requeue_leases=1_000_000,
        payload_small_requests=400,
        payload_large_requests=40,
        payload_stream_clients=16,
        payload_stream_rounds=4,
        forward_idle_samples=50,
        forward_per_region=50_000,
        cpu_rounds=40,
        search_events=10_000_000,
        search_rounds=100,
        export_events=1_000_000,
        floor_rounds=5,
        floor_seconds=3.0,
        floor_clients=8,
        floor_pending=300_000,
        churn_pending=2_000_000,
        churn_claims=1_000_000,
        churn_size=10,
        churn_clients=8,
        churn_probe=60,
        churn_naptime=1.0,
        replicas=3,
        replicas_seconds=10.0,
        replicas_pending=100_000,
    ),
}

REGIONS = ("us", "ca", "apac", "eu")
