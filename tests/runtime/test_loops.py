"""Loops outlive every fault, say what failed, and tell a stuck loop from a pausing one."""

from __future__ import annotations

import asyncio
import contextlib
import random

import asyncpg
import httpx
import pytest

from event_review.runtime.errors import DatabaseUnavailable
from event_review.runtime.loops import LoopState, backoff, failure_kind, run_forever
from event_review.runtime.migrations import SchemaNotReadyError
from event_review.runtime.status import status_app
from tests.fixtures.metrics import sample

FAULTS: list[tuple[BaseException, str]] = [
    (DatabaseUnavailable(), "database"),
    (SchemaNotReadyError("not migrated"), "database"),
    (asyncpg.ConnectionDoesNotExistError("closed in the middle of operation"), "database"),
    (asyncpg.CannotConnectNowError("the database system is starting up"), "database"),
    (httpx.ConnectError("refused"), "network"),
    (ConnectionResetError("reset"), "network"),
    (KeyError("a bug of ours"), "unexpected"),
    (asyncpg.UndefinedTableError("no such table"), "unexpected"),
]


@pytest.mark.parametrize(("fault", "kind"), FAULTS, ids=lambda v: type(v).__name__)
def test_failures_are_told_apart_by_kind(fault: BaseException, kind: str) -> None:
    assert failure_kind(fault) == kind


async def test_a_loop_carries_on_after_every_kind_of_fault_and_resets_after_success() -> None:
    state = LoopState("test-carry-on", initial_backoff=0.001, max_backoff=0.002)
    faults = [fault for fault, _ in FAULTS]
    calls = 0
    seen_in_a_row: list[int] = []

    async def iteration() -> bool:
        nonlocal calls
        calls += 1
        seen_in_a_row.append(state.failures_in_a_row)
        if faults:
            raise faults.pop(0)
        return calls < len(FAULTS) + 3  # a little work after the faults, then idle

    task = asyncio.create_task(run_forever(state, iteration, idle_seconds=0.001))
    async with asyncio.timeout(5):
        while calls < len(FAULTS) + 5:
            await asyncio.sleep(0.001)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    assert seen_in_a_row[: len(FAULTS) + 1] == list(range(len(FAULTS) + 1))
    assert state.failures_in_a_row == 0
    assert state.ready
    assert state.stopped  # only cancellation ended it
    assert not state.live


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0), (30, 60.0)]:
        for _ in range(50):
            delay = backoff(attempt, 2.0, 60.0, rng)
            assert ceiling / 2 <= delay <= ceiling


async def test_a_stuck_iteration_fails_liveness_a_pausing_loop_does_not() -> None:
    stuck = LoopState("test-stuck", grace=0.05)
    pausing = LoopState("test-pausing", grace=0.05)

    async def hangs() -> bool:
        await asyncio.sleep(3600)
        return True

    async def idle() -> bool:
        return False

    tasks = [
        asyncio.create_task(run_forever(stuck, hangs, idle_seconds=1, iteration_timeout=0.1)),
        asyncio.create_task(run_forever(pausing, idle, idle_seconds=1)),
    ]
    await asyncio.sleep(0.3)
    app = status_app([stuck, pausing])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://worker"
    ) as http:
        health = await http.get("/healthz")
        ready = await http.get("/readyz")
        metrics = await http.get("/metrics")
        stuck.expect_back_within(60)  # as if the iteration had ended
        healthy = await http.get("/healthz")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    assert health.status_code == 503
    assert health.json()["loops"]["test-stuck"]["live"] is False
    assert health.json()["loops"]["test-pausing"]["live"] is True
    assert ready.status_code == 503  # the stuck loop never reached its database
    assert healthy.status_code == 200
    assert sample(
        metrics.text, "event_review_loop_last_success_timestamp_seconds", loop="test-pausing"
    )


async def test_failures_are_counted_by_loop_and_kind() -> None:
    state = LoopState("test-counted", initial_backoff=0.001, max_backoff=0.001)
    await state.recover(DatabaseUnavailable())
    await state.recover(KeyError("bug"))
    app = status_app([state])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://worker"
    ) as http:
        text = (await http.get("/metrics")).text
        ready = await http.get("/readyz")

    assert (
        sample(text, "event_review_loop_failures_total", loop="test-counted", kind="database") == 1
    )
    assert (
        sample(text, "event_review_loop_failures_total", loop="test-counted", kind="unexpected")
        == 1
    )
    assert sample(text, "event_review_loop_consecutive_failures", loop="test-counted") == 2
    assert ready.status_code == 503
    assert ready.json()["loops"]["test-counted"]["last_error"] == "KeyError: 'bug'"
