"""Run the real `event-review` command and server as subprocesses, for end-to-end tests."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from event_review.runtime.postgres import ServerLocation, drop_database

COMMAND = [sys.executable, "-m", "event_review"]
CLI_TIMEOUT = 60.0
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
UNREACHABLE_DATABASE_URL = "postgresql://nobody@127.0.0.1:9/unreachable"
# Where commands keep files (development signing keys, embedded PostgreSQL) unless a
# test gives its own: never the developer's real data directory.
SCRATCH_DATA_DIR = Path(tempfile.gettempdir()) / f"event-review-tests-{os.getuid()}"


def database_url(location: ServerLocation) -> str:
    """The location as a plain DATABASE_URL, as an operator would set it."""
    return location.url.set(drivername="postgresql").render_as_string(hide_password=False)


def cli_env(
    location: ServerLocation | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The test runner's environment without EVENT_REVIEW_* settings, on `location`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EVENT_REVIEW_") and k != "DATABASE_URL"
    }
    # Without a location, a URL nothing listens on: no command may fall back to an
    # embedded server in the developer's own data directory.
    env["DATABASE_URL"] = database_url(location) if location else UNREACHABLE_DATABASE_URL
    env["EVENT_REVIEW_DATA_DIR"] = str(SCRATCH_DATA_DIR)
    env["EVENT_REVIEW_LOG_FORMAT"] = "console"
    # Help and usage errors render the same everywhere: wide, without colour codes.
    env.pop("FORCE_COLOR", None)
    env.update(COLUMNS="200", NO_COLOR="1")
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return (
            f"event-review {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def run_cli(
    location: ServerLocation | None,
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> CliResult:
    """Run `event-review ARGS` against `location`; stdin is empty (not a tty) unless given."""
    completed = subprocess.run(
        [*COMMAND, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=cli_env(location, env),
        timeout=CLI_TIMEOUT,
        check=False,
    )
    return CliResult(tuple(args), completed.returncode, completed.stdout, completed.stderr)


def run_ok(location: ServerLocation, *args: str, stdin: str | None = None) -> CliResult:
    """Run a command that must succeed."""
    result = run_cli(location, *args, stdin=stdin)
    assert result.returncode == 0, str(result)
    return result


def run_all(location: ServerLocation | None, *commands: tuple[str, ...]) -> list[CliResult]:
    """Run independent commands side by side (each spends about a second importing)."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: run_cli(location, *args), commands))


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


# Ports handed out in this run: never twice, even before the first one is bound.
_HANDED_OUT: set[int] = set()


def port_block(count: int = 1) -> int:
    """A first port P with P..P+count-1 free, below the kernel's ephemeral range.

    A port from the ephemeral range (what binding to port 0 gives) may be taken
    as the source port of some outgoing connection between the check and the
    server's own bind; below that range only another server can take it.
    """
    high = _ephemeral_low() - count
    for _ in range(500):
        first = random.randint(10_000, high)
        ports = range(first, first + count)
        if _HANDED_OUT.intersection(ports):
            continue
        sockets = []
        try:
            for port in ports:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        _HANDED_OUT.update(ports)
        return first
    raise RuntimeError(f"no block of {count} free ports found")


def free_port() -> int:
    return port_block(1)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self) -> httpx.Client:
        """A client for this server that ignores any proxy settings of the environment."""
        return httpx.Client(base_url=self.base_url, timeout=10.0, trust_env=False)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Poll /readyz until it answers 200; fail with the server's log otherwise."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.process.returncode} before it was ready:\n"
                    + self.log()
                )
            try:
                with self.client() as http:
                    response = http.get("/readyz", timeout=2.0)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout} s ({last}):\n{self.log()}")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it lingers; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        return self.process.returncode


@contextmanager
def serving(
    location: ServerLocation,
    target: str,
    work_dir: Path,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[ServerProcess]:
    """Run `event-review serve TARGET` (development mode) on a free port until the block ends.

    Its log and data directory go under `work_dir`; call `wait_ready()` before using it.
    """
    port = free_port()
    log_path = work_dir / f"serve-{target}-{port}.log"
    extra = {
        "EVENT_REVIEW_ENVIRONMENT": "development",
        "EVENT_REVIEW_DATA_DIR": str(work_dir / "data"),
        **(env or {}),
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*COMMAND, "serve", target, "--host", "127.0.0.1", "--port", str(port), *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=cli_env(location, extra),
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log_path)
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def empty_database(server: ServerLocation) -> AsyncIterator[ServerLocation]:
    """A new database without any schema on the test server, dropped afterwards."""
    location = server.with_database(f"{server.database}_empty_{uuid.uuid4().hex[:10]}")
    conn = await asyncpg.connect(server.with_database("postgres").asyncpg_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{location.database}"')
    finally:
        await conn.close()
    try:
        yield location
    finally:
        await drop_database(location)


async def fetch(location: ServerLocation, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query, on a connection of its own (for checking committed state)."""
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()
