"""What the bench adds to the shared process harness (`tests/fixtures/processes.py`):
its services' environment, and the CPU time of a service's process tree.

Starting, waiting for and stopping `python -m event_review serve …` / `forwarder`
on loopback is the harness's, the same the tests use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import psutil  # type: ignore[import-untyped,unused-ignore]
from tests.fixtures.processes import database_url, runner_env

from event_review.runtime.postgres import ServerLocation

READY_TIMEOUT = 90.0  # seconds a service may take to answer /readyz


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and its children: `serve --workers N` runs its workers as children."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by the process tree of `pid`.

    From /proc/<pid>/task/*/schedstat (nanoseconds) where Linux has it: psutil's
    user+system times tick in 10 ms, coarser than one request.
    """
    total = 0.0
    for process in process_tree(pid):
        tasks = Path(f"/proc/{process.pid}/task")
        if tasks.is_dir():
            for task in tasks.iterdir():
                try:
                    total += int((task / "schedstat").read_text().split()[0]) / 1e9
                except (FileNotFoundError, ProcessLookupError):
                    continue  # a thread that just ended
        else:
            times = process.cpu_times()
            total += times.user + times.system
    return total


def base_env(data_dir: Path, central: ServerLocation, extra: Mapping[str, str]) -> dict[str, str]:
    """The bench's environment without the caller's EVENT_REVIEW_* settings, in development mode."""
    env = runner_env()
    env.update(
        {
            "DATABASE_URL": database_url(central),
            "EVENT_REVIEW_ENVIRONMENT": "development",
            "EVENT_REVIEW_DATA_DIR": str(data_dir),
            "EVENT_REVIEW_RATE_LIMIT_USER_PER_MINUTE": "0",
            "EVENT_REVIEW_RATE_LIMIT_REGION_PER_MINUTE": "0",
            "EVENT_REVIEW_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
            "EVENT_REVIEW_LOG_LEVEL": "warning",
            "EVENT_REVIEW_LOG_FORMAT": "console",
            # Long enough for the longest run: nobody refreshes tokens mid-benchmark.
            "EVENT_REVIEW_ACCESS_TOKEN_MINUTES": "1440",
            "EVENT_REVIEW_SESSION_MINUTES": "1440",
        }
    )
    env.update(extra)
    return env
