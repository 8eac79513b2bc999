"""Worker commands answer their probes, and stop cleanly on SIGTERM as Kubernetes stops them."""

from __future__ import annotations

from pathlib import Path

import pytest

from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.fixtures.cli import cli_env
from tests.fixtures.processes import free_port, process_group


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
    [
        (("writeback",), "writeback"),
        (("forwarder", "--region", "eu"), "forwarder-eu"),
        (("sla",), "sla"),
    ],
    ids=["writeback", "forwarder", "sla"],
)
def test_a_worker_answers_its_probes_and_stops_cleanly_on_sigterm(
    fresh_db: ServerLocation,
    regional_db: Database,
    tmp_path: Path,
    command: tuple[str, ...],
    loop: str,
) -> None:
    port = free_port()
    with process_group(tmp_path / "logs") as group:
        worker = group.start(
            "worker", *command, "--metrics-port", str(port),
            env=_env(fresh_db, regional_db, tmp_path), port=port,
        )  # fmt: skip
        readiness = worker.wait_ready(timeout=30)
        with worker.client() as http:
            health = http.get("/healthz")
            metrics = http.get("/metrics")
        code = worker.stop(timeout=15)
    assert readiness.json()["loops"][loop]["ready"] is True
    assert health.status_code == 200
    assert f'event_review_loop_last_success_timestamp_seconds{{loop="{loop}"}}' in metrics.text
    assert code == 0, worker.describe()
    assert '"signal": "SIGTERM"' in worker.log()
