"""The forwarder and the write-back worker outlive restarts of both databases.

Everything runs as real processes: the central `serve all` and `writeback` on
one PostgreSQL server, the EU `serve regional-api` and `forwarder` on another.
Both servers are restarted (`pg_ctl restart -m fast`) while events flow in and
reviews flow out. At the end every simulated event reached the centre exactly
once and every review was recorded in the region exactly once; neither worker
exited, each answered its liveness probe all along, counted the database
failures it met and came back ready.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from event_review.central.db import migrate
from event_review.central.db.models import Role
from event_review.central.regions import service as regions
from event_review.central.teams import service as teams
from event_review.central.users import service as users
from event_review.regional.simulator.service import write_events
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database
from event_review.runtime.errors import DatabaseUnavailable
from event_review.runtime.postgres import ServerLocation, ensure_database
from tests.factories import TEST
from tests.fixtures.cli import cli_env
from tests.fixtures.databases import fetch
from tests.fixtures.metrics import sample
from tests.fixtures.processes import (
    ManagedProcess,
    ProcessGroup,
    database_url,
    free_port,
    process_group,
    wait_until_async,
)
from tests.fixtures.restartable_postgres import RestartablePostgres, restartable_postgres

PASSWORD = "worker-faults-password"
ROUNDS = 2  # each round: events in, a regional restart, reviews out, a central restart
EVENTS_PER_ROUND = 20
# Longer than either worker's idle poll, so each of them meets every outage.
DOWN_FOR = 2.0
TUNING = {
    "EVENT_REVIEW_WRITEBACK_BACKOFF_SECONDS": "0.2",
    "EVENT_REVIEW_WRITEBACK_BACKOFF_MAX_SECONDS": "1",
    "EVENT_REVIEW_WRITEBACK_MAX_ATTEMPTS": "100",
    "EVENT_REVIEW_FORWARD_POLL_SECONDS": "0.2",
    "EVENT_REVIEW_RATE_LIMIT_USER_PER_MINUTE": "0",
    "EVENT_REVIEW_LOG_FORMAT": "json",
}


@dataclass
class Stack:
    central_pg: RestartablePostgres
    regional_pg: RestartablePostgres
    central: ServerLocation
    regional: ServerLocation
    group: ProcessGroup
    central_port: int = field(default_factory=free_port)
    regional_port: int = field(default_factory=free_port)
    writeback_port: int = field(default_factory=free_port)
    forwarder_port: int = field(default_factory=free_port)
    processes: dict[str, ManagedProcess] = field(default_factory=dict)

    @property
    def central_url(self) -> str:
        return f"http://127.0.0.1:{self.central_port}"

    def status_url(self, worker: str) -> str:
        port = self.writeback_port if worker == "writeback" else self.forwarder_port
        return f"http://127.0.0.1:{port}"


@pytest.fixture
def servers() -> Iterator[tuple[RestartablePostgres, RestartablePostgres]]:
    with restartable_postgres() as central, restartable_postgres() as regional:
        yield central, regional


@pytest.fixture
async def stack(
    servers: tuple[RestartablePostgres, RestartablePostgres], tmp_path: Path
) -> AsyncIterator[Stack]:
    central_pg, regional_pg = servers
    central = central_pg.location("event_review")
    regional = regional_pg.location("event_review_eu")
    for location in (central, regional):
        await ensure_database(location)
    await asyncio.to_thread(migrate.upgrade, central)
    await asyncio.to_thread(REGIONAL_SCHEMA.upgrade, regional)
    with process_group(tmp_path / "logs") as group:
        stack = Stack(central_pg, regional_pg, central, regional, group)
        key = await _seed(stack)
        common = {"EVENT_REVIEW_ENVIRONMENT": "development", **TUNING}
        common["EVENT_REVIEW_DATA_DIR"] = str(tmp_path / "data")  # the shared dev key pair
        central_env = cli_env(central, common)
        regional_env = cli_env(None, {**common, "REGIONAL_DATABASE_URL": database_url(regional)})
        port = str
        stack.processes = {
            "serve": group.start(
                "serve-all", "serve", "all", "--port", port(stack.central_port), env=central_env
            ),
            "regional-api": group.start(
                "regional-api", "serve", "regional-api", "--region", "eu",
                "--port", port(stack.regional_port), env=regional_env,
            ),
            "writeback": group.start(
                "writeback", "writeback", "--metrics-port", port(stack.writeback_port),
                env=central_env,
            ),
            "forwarder": group.start(
                "forwarder", "forwarder", "--region", "eu",
                "--metrics-port", port(stack.forwarder_port),
                env={
                    **regional_env,
                    "EVENT_REVIEW_INGEST_KEY": key,
                    "EVENT_REVIEW_CENTRAL_URL": stack.central_url,
                },
            ),
        }  # fmt: skip
        stack.processes["serve"].wait_http(f"{stack.central_url}/readyz")
        stack.processes["regional-api"].wait_http(f"http://127.0.0.1:{stack.regional_port}/readyz")
        for worker in ("writeback", "forwarder"):
            stack.processes[worker].wait_http(f"{stack.status_url(worker)}/readyz")
        yield stack


async def _seed(stack: Stack) -> str:
    database = Database.connect(stack.central, application_name="test-seed", pool_size=1)
    try:
        async with database.sessionmaker() as session:
            region = await regions.add_region(
                session, "eu", f"http://127.0.0.1:{stack.regional_port}", actor=TEST
            )
            await teams.add_team(session, "eu-team", ["eu"], actor=TEST)
            await users.add_user(session, "rev", PASSWORD, Role.REVIEWER, "eu-team", actor=TEST)
            await session.commit()
    finally:
        await database.dispose()
    return region.ingest_key


class Probes:
    """Polls both workers' liveness throughout; any answer but 200 is kept."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.failures: list[str] = []
        self.polls = 0

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as http:
            while not stop.is_set():
                for worker in ("writeback", "forwarder"):
                    try:
                        answer = await http.get(f"{self.stack.status_url(worker)}/healthz")
                    except httpx.HTTPError as exc:
                        self.failures.append(f"{worker}: {exc!r}")
                        continue
                    self.polls += 1
                    if answer.status_code != 200:
                        self.failures.append(f"{worker}: {answer.status_code} {answer.text}")
                await asyncio.sleep(0.2)


async def _simulate(location: ServerLocation, count: int, rng: random.Random) -> None:
    """New regional events, as the region's own system writes them (retried across a restart)."""
    database = Database.connect(location, application_name="test-simulate", pool_size=1)
    try:
        while True:
            try:
                await write_events(database.sessionmaker, "eu", count, rng)
                return
            except DatabaseUnavailable:
                await asyncio.sleep(0.2)
    finally:
        await database.dispose()


async def _retrying(call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """The client's side of a 503: wait as Retry-After says, then ask again."""
    while True:
        response = await call()
        if response.status_code != 503:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))


async def _review_all(http: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    reviewed: list[str] = []
    while True:
        batch = await _retrying(
            lambda: http.post("/api/v1/assignments/next-batch", json={"size": 10}, headers=headers)
        )
        assert batch.status_code == 200, batch.text
        events = batch.json()["events"]
        if not events:
            return reviewed
        for event in events:
            path = f"/api/v1/events/{event['event_id']}/review"
            body = {"decision": "reject", "rating": 2, "comment": f"checked {event['event_id']}"}

            async def review(path: str = path, body: dict[str, Any] = body) -> httpx.Response:
                return await http.post(path, json=body, headers=headers)

            answer = await _retrying(review)
            # 409: a review whose answer was lost to the restart had committed.
            assert answer.status_code in (200, 409), answer.text
            reviewed.append(event["event_id"])


async def test_workers_carry_on_through_database_restarts_and_lose_nothing(stack: Stack) -> None:
    rng = random.Random(7)
    probes = Probes(stack)
    stop = asyncio.Event()
    polling = asyncio.create_task(probes.run(stop))
    reviewed: list[str] = []
    try:
        async with httpx.AsyncClient(
            base_url=stack.central_url, timeout=30.0, trust_env=False
        ) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": "rev", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            for round_ in range(1, ROUNDS + 1):
                await _simulate(stack.regional, EVENTS_PER_ROUND, rng)
                # The forwarder's database goes away while it forwards.
                await asyncio.to_thread(stack.regional_pg.restart, "fast", down_for=DOWN_FOR)
                await _wait_central_events(stack, round_ * EVENTS_PER_ROUND)
                reviewed += await _review_all(http, headers)
                # The write-back worker's database goes away while it delivers.
                await asyncio.to_thread(stack.central_pg.restart, "fast", down_for=DOWN_FOR)
                await _wait_recorded(stack, reviewed)
    finally:
        stop.set()
        await polling

    total = ROUNDS * EVENTS_PER_ROUND
    assert len(reviewed) == total
    central = await fetch(
        stack.central,
        "SELECT count(*) AS n, count(DISTINCT external_event_id) AS ids, "
        "count(*) FILTER (WHERE status = 'completed') AS completed FROM events",
    )
    assert (central[0]["n"], central[0]["ids"], central[0]["completed"]) == (total, total, total)
    recorded = await fetch(
        stack.regional,
        "SELECT external_event_id, count(*) AS n FROM review_revisions GROUP BY external_event_id",
    )
    assert len(recorded) == total
    assert {r["n"] for r in recorded} == {1}, "a review was recorded twice"

    assert probes.polls > 0
    assert probes.failures == [], probes.failures[:10]
    for worker in ("writeback", "forwarder"):
        process = stack.processes[worker]
        assert process.alive, process.describe()
        await _assert_recovered(stack, worker, process)


async def _wait_central_events(stack: Stack, expected: int) -> None:
    async def arrived() -> bool:
        try:
            rows = await fetch(stack.central, "SELECT count(*) AS n FROM events")
        except (OSError, asyncpg.PostgresError):
            return False
        return bool(rows[0]["n"] == expected)

    await wait_until_async(
        arrived,
        timeout=90,
        message=lambda: (
            f"not {expected} events at the centre\n" + stack.processes["forwarder"].describe()
        ),
    )


async def _wait_recorded(stack: Stack, event_ids: list[str]) -> None:
    async def delivered() -> bool:
        try:
            rows = await fetch(
                stack.central,
                "SELECT count(*) AS n FROM events WHERE status = 'completed' "
                "AND event_id = ANY($1::uuid[])",
                event_ids,
            )
        except (OSError, asyncpg.PostgresError):
            return False
        return bool(rows[0]["n"] == len(event_ids))

    await wait_until_async(
        delivered,
        timeout=90,
        message=lambda: "reviews not all delivered\n" + stack.processes["writeback"].describe(),
    )


async def _assert_recovered(stack: Stack, worker: str, process: ManagedProcess) -> None:
    loop = "writeback" if worker == "writeback" else "forwarder-eu"
    async with httpx.AsyncClient(base_url=stack.status_url(worker), trust_env=False) as http:
        ready = await http.get("/readyz")
        metrics = (await http.get("/metrics")).text
    assert ready.status_code == 200, ready.text
    assert ready.json()["loops"][loop]["failures_in_a_row"] == 0
    failures = sample(metrics, "event_review_loop_failures_total", loop=loop, kind="database")
    assert failures is not None, f"{worker} never met a database failure:\n{process.describe()}"
    assert failures >= 1
    assert sample(metrics, "event_review_loop_failures_total", loop=loop, kind="unexpected") in (
        None,
        0.0,
    ), process.describe()
    assert '"level": "error"' not in process.log(), process.describe()
