"""The central PostgreSQL restarts under load: callers see 503s, never 500s, and service resumes.

A real `serve all` process on a PostgreSQL server of the test's own, which is
restarted (`pg_ctl restart -m fast`, what an operator or a failover does)
three times while reviewers claim and review concurrently. Every answer is
counted: each must be a 2xx, a 4xx, or a 503 `database_unavailable` with
Retry-After; afterwards the same process serves again, and no event was
reviewed twice.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from event_review.central.db import migrate
from event_review.central.db.models import Role
from event_review.central.regions import service as regions
from event_review.central.teams import service as teams
from event_review.central.users import service as users
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation, ensure_database
from tests.factories import TEST, event_body
from tests.fixtures.cli import serving
from tests.fixtures.databases import fetch
from tests.fixtures.processes import ManagedProcess
from tests.fixtures.restartable_postgres import RestartablePostgres, restartable_postgres

REVIEWERS = 8
EVENTS = 4_000
RESTARTS = 3
PASSWORD = "restart-test-password"
NO_LIMITS = {
    "EVENT_REVIEW_RATE_LIMIT_USER_PER_MINUTE": "0",
    "EVENT_REVIEW_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
    "EVENT_REVIEW_RATE_LIMIT_REGION_PER_MINUTE": "0",
}


@dataclass
class Tally:
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    unexpected: list[str] = field(default_factory=list)
    reviewed: list[str] = field(default_factory=list)

    def count(self, what: str, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code < 500:
            return
        body = response.json() if response.headers.get("content-type") == "application/json" else {}
        if (
            response.status_code != 503
            or body.get("error", {}).get("code") != "database_unavailable"
            or response.headers.get("retry-after") != "1"
        ):
            self.unexpected.append(f"{what}: {response.status_code} {response.text[:200]}")


@pytest.fixture(scope="module")
def postgres() -> Iterator[RestartablePostgres]:
    with restartable_postgres() as server:
        yield server


@dataclass(frozen=True)
class Central:
    location: ServerLocation
    ingest_key: str


@pytest.fixture(scope="module")
async def central(postgres: RestartablePostgres) -> Central:
    location = postgres.location("event_review")
    await ensure_database(location)
    await asyncio.to_thread(migrate.upgrade, location)
    database = Database.connect(location, application_name="test-seed", pool_size=1)
    async with database.sessionmaker() as session:
        key = (await regions.add_region(session, "eu", "http://127.0.0.1:9", actor=TEST)).ingest_key
        await teams.add_team(session, "reviewers", ["eu"], actor=TEST)
        for n in range(REVIEWERS):
            await users.add_user(
                session, f"rev{n}", PASSWORD, Role.REVIEWER, "reviewers", actor=TEST
            )
        await session.commit()
    await database.dispose()
    return Central(location, key)


async def _reviewer(http: httpx.AsyncClient, n: int, tally: Tally, stop: asyncio.Event) -> None:
    login = await http.post(
        "/api/v1/auth/login", json={"username": f"rev{n}", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    while not stop.is_set():
        batch = await http.post("/api/v1/assignments/next-batch", json={"size": 5}, headers=headers)
        tally.count("claim", batch)
        if batch.status_code != 200:
            await asyncio.sleep(0.05)
            continue
        for event in batch.json()["events"]:
            review = {"decision": "approve", "rating": 3, "comment": f"by rev{n}"}
            answer = await http.post(
                f"/api/v1/events/{event['event_id']}/review", json=review, headers=headers
            )
            tally.count("review", answer)
            if answer.status_code == 200:
                tally.reviewed.append(event["event_id"])
        me = await http.get("/api/v1/auth/me", headers=headers)
        tally.count("me", me)


async def test_a_database_restart_under_load_gives_503s_then_service_resumes(
    postgres: RestartablePostgres, central: Central, tmp_path: Path
) -> None:
    with serving(central.location, "all", tmp_path, env=NO_LIMITS) as server:
        server.wait_ready()
        await _ingest(server, central)
        tally = Tally()
        stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30, trust_env=False) as http:
            reviewers = [
                asyncio.create_task(_reviewer(http, n, tally, stop)) for n in range(REVIEWERS)
            ]
            await _until(lambda: tally.statuses[200] > 20)
            for _ in range(RESTARTS):
                await asyncio.to_thread(postgres.restart, "fast")
                # Service resumes by itself: the same process answers 200s again.
                resumed = tally.statuses[200] + 20
                await _until(lambda: tally.statuses[200] >= resumed)  # noqa: B023
            stop.set()
            await asyncio.gather(*reviewers)

            # The same process serves again, without a restart of its own.
            after = await http.get("/readyz")
            assert after.status_code == 200, after.text
        log = server.log()

    assert tally.unexpected == [], tally.unexpected[:10]
    assert tally.statuses[503] > 0, f"no restart was noticed: {tally.statuses}"
    assert "http.unhandled_error" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    # A review whose answer was lost to a restart may have committed; its repeat is
    # then a 409, never a second review.
    rows = await fetch(
        central.location,
        "SELECT count(*) AS events, count(DISTINCT o.event_id) AS distinct_events "
        "FROM writeback_outbox AS o",
    )
    assert rows[0]["events"] == rows[0]["distinct_events"] >= len(set(tally.reviewed))
    reviewed = await fetch(
        central.location, "SELECT count(*) AS n FROM events WHERE status = 'submitted'"
    )
    assert reviewed[0]["n"] == rows[0]["events"]


async def _ingest(server: ManagedProcess, central: Central) -> None:
    key = central.ingest_key
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30, trust_env=False) as http:
        for start in range(0, EVENTS, 1000):
            bodies = [event_body("eu") for _ in range(min(1000, EVENTS - start))]
            response = await http.post(
                "/api/v1/internal-ingest/events",
                json={"events": bodies},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200, response.text


async def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "load stopped after a restart"
        await asyncio.sleep(0.05)
