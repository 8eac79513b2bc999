"""Long-running loops (write-back, forwarder, re-queue, simulator) that survive every fault.

A loop that dies quietly is worse than one that never started: reviews pile up
in the outbox and nothing says so. So a loop never lets an exception end it.
A database restart, a network error or a bug of ours in one iteration is
logged, counted, and followed by a pause that grows (with jitter) while the
fault lasts; only cancellation (SIGTERM, SIGINT) stops the loop.

Each loop keeps a `LoopState` that says whether it is live (making progress,
or pausing on purpose for as long as it said it would) and ready (its last
contact with the database worked). The status server (runtime/status.py)
answers Kubernetes' probes from it, and the loop exports when it last
completed an iteration, which the shipped alert rule watches.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import asyncpg
import httpx
import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import DBAPIError

from event_review.runtime.database import Database
from event_review.runtime.errors import DatabaseUnavailable, classify_database_error
from event_review.runtime.migrations import Schema, SchemaNotReadyError

T = TypeVar("T")
log = structlog.get_logger(__name__)

LAST_SUCCESS = Gauge(
    "event_review_loop_last_success_timestamp_seconds",
    "When the loop last completed an iteration without an error.",
    ["loop"],
)
FAILURES = Counter(
    "event_review_loop_failures_total",
    "Iterations that failed, by kind: database, network or unexpected.",
    ["loop", "kind"],
)
CONSECUTIVE_FAILURES = Gauge(
    "event_review_loop_consecutive_failures",
    "Iterations in a row that failed (0 once one succeeds).",
    ["loop"],
)

# A loop that said it would be back in N seconds is still live N + GRACE seconds later.
GRACE_SECONDS = 30.0
# How long one iteration may take before the loop counts as stuck.
DEFAULT_ITERATION_TIMEOUT = 300.0
_JITTER = random.Random()


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempt` + 1: exponential, capped, with 'equal jitter'.

    Half the delay is fixed, half random, so many workers that failed together
    do not all come back in the same instant.
    """
    delay: float = min(cap, base * float(2 ** max(0, attempt - 1)))
    source = rng if rng is not None else _JITTER
    return delay / 2 + source.uniform(0, delay / 2)


def failure_kind(exc: BaseException) -> str:
    """database, network or unexpected: what an operator looks at first."""
    if isinstance(exc, DatabaseUnavailable | SchemaNotReadyError):
        return "database"
    if isinstance(exc, DBAPIError) and classify_database_error(
        exc.orig, disconnect=exc.connection_invalidated
    ):
        return "database"
    # A raw asyncpg connection (the forwarder's LISTEN connection): the interface
    # errors are about the connection itself ("connection is closed").
    if isinstance(exc, asyncpg.InterfaceError):
        return "database"
    if isinstance(exc, asyncpg.PostgresError) and classify_database_error(exc, disconnect=False):
        return "database"
    if isinstance(exc, httpx.HTTPError | OSError):
        return "network"
    return "unexpected"


@dataclass
class LoopState:
    """One loop's health, as probes and metrics see it."""

    name: str
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    grace: float = GRACE_SECONDS
    ready: bool = False
    failures_in_a_row: int = 0
    last_error: str | None = None
    last_success_at: float | None = None  # wall clock
    stopped: bool = False
    _live_until: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.expect_back_within(0.0)

    @property
    def live(self) -> bool:
        return not self.stopped and time.monotonic() <= self._live_until

    def expect_back_within(self, seconds: float) -> None:
        """The loop will report again within `seconds`; until then (and a grace) it is live."""
        self._live_until = time.monotonic() + seconds + self.grace

    async def pause(self, seconds: float) -> None:
        """Wait on purpose (idle, standby), live all along."""
        self.expect_back_within(seconds)
        await asyncio.sleep(seconds)

    def succeeded(self) -> None:
        self.ready = True
        self.failures_in_a_row = 0
        self.last_error = None
        self.last_success_at = time.time()
        LAST_SUCCESS.labels(self.name).set(self.last_success_at)
        CONSECUTIVE_FAILURES.labels(self.name).set(0)

    async def recover(self, exc: BaseException) -> None:
        """Log and count a failed iteration, then back off: the loop carries on after it."""
        kind = failure_kind(exc)
        self.failures_in_a_row += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if kind == "database":
            self.ready = False
        FAILURES.labels(self.name, kind).inc()
        CONSECUTIVE_FAILURES.labels(self.name).set(self.failures_in_a_row)
        delay = backoff(self.failures_in_a_row, self.initial_backoff, self.max_backoff)
        fields: dict[str, Any] = {
            "loop": self.name,
            "kind": kind,
            "failures_in_a_row": self.failures_in_a_row,
            "retry_in": round(delay, 2),
        }
        if kind == "unexpected":
            # A fault of ours: the traceback is what a developer needs.
            log.error("loop.iteration_failed", **fields, exc_info=exc)
        else:
            # Expected while a dependency is away: one line, no traceback.
            log.warning("loop.iteration_failed", **fields, error=self.last_error)
        await self.pause(delay)

    def snapshot(self) -> dict[str, Any]:
        return {
            "live": self.live,
            "ready": self.ready,
            "failures_in_a_row": self.failures_in_a_row,
            "last_error": self.last_error,
            "last_success_at": self.last_success_at,
        }


async def attempt_each(items: Sequence[T], attempt: Callable[[T], Awaitable[None]]) -> None:
    """Give every item its attempt, at once, even when another one fails; then raise the
    first failure, for the loop to back off on (an outbox worker's pass over due rows)."""
    outcomes = await asyncio.gather(*(attempt(item) for item in items), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def run_forever(
    state: LoopState,
    iteration: Callable[[], Awaitable[bool]],
    *,
    idle_seconds: float,
    iteration_timeout: float = DEFAULT_ITERATION_TIMEOUT,
) -> NoReturn:
    """Call `iteration` until cancelled; it returns True when it found work (go again now)."""
    log.info("loop.started", loop=state.name)
    try:
        while True:
            state.expect_back_within(iteration_timeout)
            try:
                busy = await iteration()
            except Exception as exc:  # a loop must outlive every fault
                await state.recover(exc)
                continue
            state.succeeded()
            if not busy:
                await state.pause(idle_seconds)
    finally:
        state.stopped = True


async def wait_for_schema(state: LoopState, database: Database, schema: Schema) -> None:
    """Until the database is reachable and migrated, as a loop waits: logged, backing off.

    A worker started before its database (or before the migration Job) waits,
    not ready, instead of exiting into a crash loop.
    """
    while True:
        state.expect_back_within(DEFAULT_ITERATION_TIMEOUT)
        try:
            async with database.sessionmaker() as session:
                await schema.ensure_at_head(await session.connection())
            return
        except Exception as exc:  # unreachable or not migrated yet: the same wait
            await state.recover(exc)
