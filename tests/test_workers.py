"""Worker commands answer their probes, and stop cleanly on SIGTERM as Kubernetes stops them."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.cli_helpers import COMMAND, cli_env, free_port
from tests.process_helpers import wait_until


def _env(fresh_db: ServerLocation, regional_db: Database, tmp_path: Path) -> dict[str, str]:
    assert regional_db.engine is not None
    return cli_env(
        fresh_db,
        {
            "EVENT_REVIEW_ENVIRONMENT": "development",
            "EVENT_REVIEW_DATA_DIR": str(tmp_path),
            "EVENT_REVIEW_LOG_FORMAT": "json",
            "REGIONAL_DATABASE_URL": regional_db.engine.url.set(
                drivername="postgresql"
            ).render_as_string(hide_password=False),
            "EVENT_REVIEW_INGEST_KEY": "erk_not-a-real-key",
            "EVENT_REVIEW_CENTRAL_URL": "http://127.0.0.1:9",  # nothing to forward anyway
        },
    )


@pytest.mark.parametrize(
    ("command", "loop"),
    [(("writeback",), "writeback"), (("forwarder", "--region", "eu"), "forwarder-eu")],
    ids=["writeback", "forwarder"],
)
def test_a_worker_answers_its_probes_and_stops_cleanly_on_sigterm(
    fresh_db: ServerLocation,
    regional_db: Database,
    tmp_path: Path,
    command: tuple[str, ...],
    loop: str,
) -> None:
    port = free_port()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*COMMAND, *command, "--metrics-port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(fresh_db, regional_db, tmp_path),
        )
    try:

        def ready() -> httpx.Response | None:
            assert process.poll() is None, log.read_text()
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2, trust_env=False)
            except httpx.TransportError:
                return None
            return answer if answer.status_code == 200 else None

        readiness = wait_until(ready, timeout=30, message=lambda: log.read_text())
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", trust_env=False)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert readiness.json()["loops"][loop]["ready"] is True
    assert health.status_code == 200
    assert f'event_review_loop_last_success_timestamp_seconds{{loop="{loop}"}}' in metrics.text
    assert code == 0, log.read_text()
    assert '"signal": "SIGTERM"' in log.read_text()
