"""Worker commands stop cleanly on SIGTERM, as Kubernetes stops them on every rollout."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from event_review.runtime.postgres import ServerLocation
from tests.cli_helpers import COMMAND, cli_env
from tests.process_helpers import wait_until


@pytest.mark.parametrize("command", [("writeback",)])
def test_sigterm_stops_a_worker_cleanly(
    fresh_db: ServerLocation, tmp_path: Path, command: tuple[str, ...]
) -> None:
    log = tmp_path / "worker.log"
    env = cli_env(
        fresh_db,
        {
            "EVENT_REVIEW_ENVIRONMENT": "development",
            "EVENT_REVIEW_DATA_DIR": str(tmp_path),
            "EVENT_REVIEW_LOG_FORMAT": "json",
        },
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*COMMAND, *command], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        wait_until(
            lambda: "writeback.started" in log.read_text(),
            timeout=30,
            message=lambda: log.read_text(),
        )
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, log.read_text()
    assert '"signal": "SIGTERM"' in log.read_text()
