"""The benchmark harness runs end to end at CI scale and reports every figure.

No thresholds: the numbers depend on the machine. This only proves that
`python -m bench --scale small --json` sets everything up, runs every scenario
against the real services and its raw-SQL baseline, cleans up, and reports a
number for every figure.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 900  # seconds; lightened like this, the small scale takes about two minutes on 2 cores
# Every scenario runs and reports, on fewer rows and rounds than --scale small
# itself (4 to 5 minutes on 2 cores, the figures docs/benchmarks.md quotes).
LIGHTER = {
    "claim_pending": 50_000,
    "claim_seconds": 2,
    "search_events": 100_000,
    "export_events": 20_000,
    "floor_rounds": 1,
    "floor_pending": 30_000,
    "churn_pending": 50_000,
    "churn_claims": 5_000,
    "replicas_seconds": 1,
}

EXPECTED_FIGURES = {
    "batch_ingest.events_per_s",
    "single_ingest.requests_per_s",
    "single_ingest.p50_ms",
    "single_ingest.p99_ms",
    "claim.claims_per_s.single",
    "claim.claims_per_s.multi",
    "claim.events_per_s",
    "claim.p50_ms",
    "claim.p99_ms",
    "claim.double_assignments",
    "requeue.seconds",
    "requeue.longest_statement_ms",
    "payload.2kb.p50_ms",
    "payload.2kb.p99_ms",
    "payload.5mb.p50_ms",
    "payload.5mb.p99_ms",
    "payload.rss_mb",
    "forwarder.events_per_s",
    "forwarder.idle_p50_ms",
    "forwarder.idle_p95_ms",
    "queues.claims_per_s",
    "queues.review_p99_ms",
    *(f"search.{s}.page{p}_p99_ms" for s in ("newest", "rejects", "reviewer") for p in (1, 100)),
    "export.rows_per_s",
    "export.rss_mb",
    "export.job_rows_per_s",
    "export.job_seconds",
    "export.job_rss_mb",
    # The platform against the floor, a bare FastAPI app sending the same statements.
    *(f"floor.cpu.{k}_ms" for k in ("me", "claim", "review", "loop", "batch")),
    *(f"floor.throughput.{k}_per_s" for k in ("me", "claim", "review", "loop", "batch")),
    "floor.batch_vs_statement.events_per_s",
    "floor.payload.2kb.p50_ms",
    "floor.claimed_twice",
    # The claim over a churning queue, the migration's autovacuum settings against the defaults.
    "churn.end_vs_start",
    "churn.worst_vs_start",
    "churn.pages_end_vs_start",
    "churn.start_p50_ms",
    "churn.end_p50_ms",
    "churn.dead_tuples",
    "churn.autovacuums",
    "churn.events_per_s",
    # The centre as 1 and 2 processes behind the gateway (`--set replicas=N` for more).
    "replicas.loop_per_s.1",
    "replicas.loop_per_s.2",
}
# Where the centre's CPU goes, one request at a time: no raw-SQL counterpart.
WITHOUT_BASELINE = {
    "cpu.healthz_ms",
    "cpu.me_ms",
    "cpu.claim_ms",
    "cpu.review_ms",
    "cpu.batch_ms",
}


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_small_scale_reports_every_figure() -> None:
    # The bench starts its own services; settings of the caller's shell must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENT_REVIEW_")}
    lighter = [arg for field, value in LIGHTER.items() for arg in ("--set", f"{field}={value}")]
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "small", "--json", *lighter],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    result = json.loads(completed.stdout)

    assert result["scale"] == "small"
    assert {"nproc", "memory_gib", "python"} <= result["machine"].keys()
    assert result["postgres"]["version"]
    assert _number(result["seconds"]["total"])
    figures = {f["key"]: f for f in result["figures"]}
    assert figures.keys() == EXPECTED_FIGURES | WITHOUT_BASELINE
    for key, figure in figures.items():
        assert _number(figure["platform"]), (key, figure)
        if key in WITHOUT_BASELINE:
            assert figure["baseline"] is None, (key, figure)
        else:
            assert _number(figure["baseline"]), (key, figure)
        assert figure["ratio"] is None or _number(figure["ratio"]), (key, figure)
        assert figure["label"], (key, figure)
        assert figure["unit"], (key, figure)
    # Correctness, not speed: nothing was handed out twice.
    assert figures["claim.double_assignments"]["platform"] == 0
    twice = figures["floor.claimed_twice"]
    assert twice["platform"] == twice["baseline"] == 0
    # Progress goes to stderr, never into the JSON on stdout.
    assert "[bench" in completed.stderr
    # Everything the run created is gone: its temp dir (and embedded server) included.
    assert not Path(result["work_dir"]).exists()
