"""The platform's real processes: `python -m event_review serve …` / `forwarder`, on loopback."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped,unused-ignore]

from event_review.runtime.postgres import ServerLocation

COMMAND = (sys.executable, "-m", "event_review")
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_url(location: ServerLocation) -> str:
    return location.url.set(drivername="postgresql").render_as_string(hide_password=False)


def base_env(data_dir: Path, central: ServerLocation, extra: Mapping[str, str]) -> dict[str, str]:
    """The bench's environment without EVENT_REVIEW_* settings, in development mode."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EVENT_REVIEW_") and k not in ("DATABASE_URL", "REGIONAL_DATABASE_URL")
    }
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


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    base_url: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        assert self.base_url is not None
        deadline = time.monotonic() + timeout
        last = "no answer"
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(
                        f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    response = await http.get(f"{self.base_url}/readyz")
                except httpx.TransportError as exc:
                    last = repr(exc)
                else:
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout} s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


class Services:
    """Every process started here is stopped by `stop_all`."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Service] = []

    def start(
        self, name: str, args: list[str], env: Mapping[str, str], *, port: int | None = None
    ) -> Service:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                [*COMMAND, *args],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=dict(env),
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        base_url = f"http://127.0.0.1:{port}" if port else None
        service = Service(name, process, log_path, base_url)
        self.started.append(service)
        return service

    def stop(self, service: Service) -> None:
        service.stop()
        if service in self.started:
            self.started.remove(service)

    def stop_all(self) -> None:
        running = [s for s in self.started if s.alive]
        for s in running:
            s.process.send_signal(signal.SIGTERM)
        for s in running:
            s.stop()
        self.started.clear()
