"""A small harness for long-running `event-review` processes in tests.

`tests/cli_helpers.py` runs one-shot commands and a single server; this module
runs many named processes side by side (servers, workers, forwarders), each
with its own environment and log file, and stops every one of them at the end
of a `process_group` block, whatever happened in between.

Waiting is always polling against a deadline; a timeout fails with what the
process wrote last, so a failure explains itself.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast, overload

import httpx

from tests.cli_helpers import COMMAND, free_port

__all__ = [
    "DEADLINE",
    "ManagedProcess",
    "ProcessGroup",
    "free_port",
    "process_group",
    "start_process",
    "wait_until",
    "wait_until_async",
]

T = TypeVar("T")

DEADLINE = 60.0  # seconds any single wait may take before the test fails
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.1
LOG_TAIL_LINES = 40


@dataclass
class ManagedProcess:
    """One `python -m event_review ...` process writing stdout+stderr to `log_path`."""

    name: str
    args: tuple[str, ...]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def describe(self) -> str:
        state = "running" if self.alive else f"exited with {self.returncode}"
        return (
            f"process {self.name} (pid {self.pid}, {state}): event-review {' '.join(self.args)}\n"
            f"--- last lines of {self.log_path} ---\n{self.log_tail()}"
        )

    def wait_http(
        self, url: str, *, expect: int = 200, timeout: float = DEADLINE
    ) -> httpx.Response:
        """Poll `url` until it answers `expect`; fail early if the process exits."""
        last = "no answer yet"

        def answered() -> httpx.Response | None:
            nonlocal last
            if not self.alive:
                raise AssertionError(
                    f"{self.name} exited before {url} answered:\n{self.describe()}"
                )
            try:
                with httpx.Client(timeout=2.0, trust_env=False) as http:
                    response = http.get(url)
            except httpx.TransportError as exc:
                last = repr(exc)
                return None
            if response.status_code == expect:
                return response
            last = f"HTTP {response.status_code}: {response.text[:300]}"
            return None

        return wait_until(
            answered,
            timeout=timeout,
            message=lambda: f"{url} did not answer {expect} ({last})\n{self.describe()}",
        )

    def wait_exit(self, timeout: float = DEADLINE) -> int:
        """Wait for a process that ends by itself (a one-shot command)."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} still running after {timeout} s:\n{self.describe()}"
            ) from None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait, then SIGKILL if it lingers; returns the exit code."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.process.returncode

    def kill(self) -> int:
        """SIGKILL (kill -9) and reap: the process gets no chance to clean up."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=STOP_TIMEOUT)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if the test runner dies, so nothing is left running.

    The kernel ties this to the thread that started the child: start long-running
    processes from the main thread, not from a thread pool that will wind down.
    """
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _unused_log_path(log_dir: Path, name: str) -> Path:
    """`name.log`, or `name.2.log`, `name.3.log`, … for restarts: no log is overwritten."""
    path = log_dir / f"{name}.log"
    n = 1
    while path.exists():
        n += 1
        path = log_dir / f"{name}.{n}.log"
    return path


def start_process(
    name: str, args: tuple[str, ...], *, env: Mapping[str, str], log_dir: Path
) -> ManagedProcess:
    """Start `python -m event_review ARGS` with exactly `env`, logging to a file in `log_dir`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = _unused_log_path(log_dir, name)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*COMMAND, *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=dict(env),
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return ManagedProcess(name, tuple(args), dict(env), log_path, process)


@dataclass
class ProcessGroup:
    """Every process started through it is stopped when the group closes."""

    log_dir: Path
    processes: list[ManagedProcess] = field(default_factory=list)

    def start(self, name: str, *args: str, env: Mapping[str, str]) -> ManagedProcess:
        started = start_process(name, args, env=env, log_dir=self.log_dir)
        self.processes.append(started)
        return started

    def restart(self, previous: ManagedProcess) -> ManagedProcess:
        """Stop `previous` if it still runs and start it again (same args, env, new log)."""
        previous.stop()
        return self.start(previous.name, *previous.args, env=previous.env)

    def logs(self, name_prefix: str = "") -> list[Path]:
        """Log files of every process (restarts included) whose name starts with the prefix."""
        return [p.log_path for p in self.processes if p.name.startswith(name_prefix)]

    def stop_all(self) -> None:
        # SIGTERM everything first so they shut down in parallel, then reap.
        running = [p for p in self.processes if p.alive]
        for p in running:
            p.process.send_signal(signal.SIGTERM)
        for p in running:
            p.stop()


@contextmanager
def process_group(log_dir: Path) -> Iterator[ProcessGroup]:
    group = ProcessGroup(log_dir)
    try:
        yield group
    finally:
        group.stop_all()


def _message(message: str | Callable[[], str]) -> str:
    return message() if callable(message) else message


def wait_until(
    check: Callable[[], T | None],
    *,
    message: str | Callable[[], str],
    timeout: float = DEADLINE,
    interval: float = POLL_INTERVAL,
) -> T:
    """Call `check` until it returns something other than None/False; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout} s: {_message(message)}")
        time.sleep(interval)


@overload
async def wait_until_async(
    check: Callable[[], Awaitable[T | None]],
    *,
    message: str | Callable[[], str],
    timeout: float = DEADLINE,
    interval: float = POLL_INTERVAL,
) -> T: ...


@overload
async def wait_until_async(
    check: Callable[[], T | None],
    *,
    message: str | Callable[[], str],
    timeout: float = DEADLINE,
    interval: float = POLL_INTERVAL,
) -> T: ...


async def wait_until_async(
    check: Callable[[], Awaitable[T | None]] | Callable[[], T | None],
    *,
    message: str | Callable[[], str],
    timeout: float = DEADLINE,
    interval: float = POLL_INTERVAL,
) -> T:
    """`wait_until` for checks that may be coroutines (database queries)."""
    deadline = time.monotonic() + timeout
    while True:
        called = check()
        result = await called if inspect.isawaitable(called) else called
        if result is not None and result is not False:
            return cast(T, result)
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout} s: {_message(message)}")
        await asyncio.sleep(interval)
