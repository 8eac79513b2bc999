"""Three central replicas behind the real nginx gateway, on one PostgreSQL
through a real PgBouncer in transaction mode, as production runs them.

Every replica is `serve all` with EVENT_REVIEW_DATABASE_POOLER=transaction:
its statements go through PgBouncer, which hands each transaction to any of
a few server connections, and only its principal cache's LISTEN uses the
direct URL. Two write-back workers go through PgBouncer too. The EU region
(its API and forwarder) sits beside them, direct to its own database.

Reviewers race through the gateway while one replica is killed: nobody ever
holds another's event, no event is reviewed twice, every event is reviewed
and written back. The login limit is one budget for all replicas, and a
logout on one replica holds on the others at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.runtime.ratelimit import bucket_shape
from tests.deploy.helpers import Nginx, nginx_binary, running_nginx
from tests.fixtures.cli import CliResult, cli_env, run_cli
from tests.fixtures.databases import empty_database, fetch
from tests.fixtures.pgbouncer import PgBouncer, pgbouncer_binary, running_pgbouncer
from tests.fixtures.processes import (
    ManagedProcess,
    ProcessGroup,
    database_url,
    free_port,
    process_group,
    wait_until_async,
)

REPLICAS = 3
REVIEWERS = 4
EVENTS = 60
BATCH = 5
POOL = 6  # server connections PgBouncer keeps for the central database
LOGIN_LIMIT = 6  # attempts per username and minute, all replicas together
PASSWORD = "replica-test-password"
# What a client may meet while a replica dies under it: the gateway's 502, a
# dropped connection, or the gateway's own rate limit; each is retried.
RETRIED = {429, 502, 503, 504}


@dataclass
class Replicas:
    central: ServerLocation  # direct
    regional: ServerLocation
    bouncer: PgBouncer
    replicas: list[ManagedProcess]
    group: ProcessGroup
    root: Path

    @property
    def upstreams(self) -> dict[str, list[str]]:
        addresses = [f"127.0.0.1:{r.port}" for r in self.replicas]
        return {"ingestor": addresses, "review": addresses, "web": addresses}

    def gateway(self, name: str) -> AbstractContextManager[Nginx]:
        return running_nginx(self.root / name, free_port(), self.upstreams)


def ok(result: CliResult) -> CliResult:
    assert result.returncode == 0, str(result)
    return result


@pytest.fixture(scope="module")
async def stack(
    server: ServerLocation, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Replicas]:
    nginx_binary()  # skip (or fail in CI) before starting anything
    pgbouncer_binary()
    root = tmp_path_factory.mktemp("replicas")
    common = {
        "EVENT_REVIEW_ENVIRONMENT": "development",
        "EVENT_REVIEW_DATA_DIR": str(root / "data"),
        "EVENT_REVIEW_LOG_FORMAT": "json",
        "EVENT_REVIEW_FORWARD_POLL_SECONDS": "0.2",
    }
    async with empty_database(server) as central, empty_database(server) as regional:
        regional_env = {**common, "REGIONAL_DATABASE_URL": database_url(regional)}
        ok(run_cli(central, "migrate", env=common))  # the migration Job: direct
        ok(run_cli(None, "migrate", "--region", "eu", env=regional_env))
        with running_pgbouncer(server, pool_size=POOL) as bouncer:
            pooled = bouncer.location(central)
            central_env = {
                **common,
                "DATABASE_DIRECT_URL": database_url(central),
                "EVENT_REVIEW_DATABASE_POOLER": "transaction",
                "EVENT_REVIEW_RATE_LIMIT_LOGIN_PER_MINUTE": str(LOGIN_LIMIT),
            }
            regional_port = free_port()
            region = f"http://127.0.0.1:{regional_port}"
            # The operator's commands go through PgBouncer as well.
            added = ok(
                run_cli(
                    pooled, "regions", "add", "eu", "--api-url", region, "--json",
                    env=central_env,
                )
            )  # fmt: skip
            ok(run_cli(pooled, "teams", "add", "eu-team", "--regions", "eu", env=central_env))
            for n in range(REVIEWERS):
                ok(
                    run_cli(
                        pooled,
                        "users", "add", f"racer-{n}", "--team", "eu-team", "--role", "reviewer",
                        "--password-stdin",
                        stdin=PASSWORD + "\n",
                        env=central_env,
                    )
                )  # fmt: skip
            ok(
                run_cli(
                    None, "simulate", "--region", "eu", "--events", str(EVENTS),
                    env=regional_env,
                )
            )  # fmt: skip
            with process_group(root / "logs") as group:
                replicas = []
                for n in range(REPLICAS):
                    port = free_port()
                    replicas.append(
                        group.start(
                            f"central-{n}",
                            "serve", "all", "--host", "127.0.0.1", "--port", str(port),
                            env=cli_env(pooled, central_env),
                            port=port,
                        )
                    )  # fmt: skip
                for n in range(2):
                    port = free_port()
                    group.start(
                        f"writeback-{n}",
                        "writeback", "--metrics-port", str(port),
                        env=cli_env(pooled, central_env),
                        port=port,
                    )  # fmt: skip
                api = group.start(
                    "regional-api-eu",
                    "serve", "regional-api", "--region", "eu",
                    "--host", "127.0.0.1", "--port", str(regional_port),
                    env=cli_env(None, regional_env),
                )  # fmt: skip
                for replica in replicas:
                    await replica.wait_http_async(f"{replica.base_url}/readyz")
                await api.wait_http_async(f"{region}/readyz")
                stack = Replicas(central, regional, bouncer, replicas, group, root)
                with stack.gateway("forwarding") as nginx:
                    forwarder = group.start(
                        "forwarder-eu",
                        "forwarder", "--region", "eu",
                        env=cli_env(
                            None,
                            {
                                **regional_env,
                                "EVENT_REVIEW_INGEST_KEY": added.json()["ingest_key"],
                                "EVENT_REVIEW_CENTRAL_URL": nginx.url,
                            },
                        ),
                    )  # fmt: skip

                    async def arrived() -> bool:
                        rows = await fetch(central, "SELECT count(*) AS n FROM events")
                        return bool(rows[0]["n"] == EVENTS)

                    await wait_until_async(
                        arrived, message=lambda: f"events did not arrive\n{forwarder.describe()}"
                    )
                    yield stack


@dataclass
class Rounds:
    """Every reviewer claims at the same moment, round after round, until a
    round in which nobody got anything."""

    start: threading.Barrier
    end: threading.Barrier
    got: dict[str, int]


class Racer:
    """One reviewer's client: claim a batch, review each event, until none is left.

    A request the gateway could not finish (a replica died under it) is sent
    again; a review sent again after its first try may have landed answers
    409, which the final count in the database settles.
    """

    def __init__(
        self, nginx: Nginx, username: str, rounds: Rounds, reviewed: threading.Semaphore
    ) -> None:
        self.http = httpx.Client(base_url=nginx.url, timeout=15.0, trust_env=False)
        self.username = username
        self.rounds = rounds
        self.reviewed = reviewed
        self.claimed: set[str] = set()
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self.token = ""

    def send(self, method: str, path: str, body: object) -> tuple[httpx.Response, bool]:
        """The answer, and whether an earlier try of the same request may have landed."""
        maybe_landed = False
        for _ in range(200):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            try:
                response = self.http.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                maybe_landed = True
            else:
                self.statuses[response.status_code] += 1
                if response.status_code not in RETRIED:
                    return response, maybe_landed
                maybe_landed = maybe_landed or response.status_code != 429
            self.retries += 1
            time.sleep(0.1)
        raise AssertionError(f"{self.username}: {method} {path} kept failing")

    def run(self) -> None:
        try:
            self.race()
        except BaseException:
            # The others stop at the next round instead of waiting for this one.
            self.rounds.start.abort()
            self.rounds.end.abort()
            raise

    def race(self) -> None:
        login, _ = self.send(
            "POST", "/api/v1/auth/login", {"username": self.username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        self.token = login.json()["access_token"]
        while True:
            self.rounds.start.wait(timeout=120)
            batch, _ = self.send("POST", "/api/v1/assignments/next-batch", {"size": BATCH})
            assert batch.status_code == 200, batch.text
            events = [e["event_id"] for e in batch.json()["events"]]
            self.rounds.got[self.username] = len(events)
            # Nobody starts the next round's claim before everyone has read this one's.
            self.rounds.end.wait(timeout=120)
            if not any(self.rounds.got.values()):
                return
            self.claimed.update(events)
            for event_id in events:
                review = {"decision": "approve", "rating": 4, "comment": "through a replica"}
                answer, maybe = self.send("POST", f"/api/v1/events/{event_id}/review", review)
                assert answer.status_code == 200 or (maybe and answer.status_code == 409), (
                    self.username,
                    answer.status_code,
                    answer.text,
                )
                self.reviewed.release()


async def test_racing_reviewers_share_nothing_and_lose_nothing_when_a_replica_dies(
    stack: Replicas,
) -> None:
    reviewed = threading.Semaphore(0)
    with stack.gateway("racing") as nginx:
        rounds = Rounds(threading.Barrier(REVIEWERS), threading.Barrier(REVIEWERS), {})
        racers = [Racer(nginx, f"racer-{n}", rounds, reviewed) for n in range(REVIEWERS)]
        with ThreadPoolExecutor(max_workers=REVIEWERS) as pool:
            running = [pool.submit(racer.run) for racer in racers]
            # A third of the way through, one replica dies without a word.
            done = 0
            while done < EVENTS // 3 and not any(f.done() for f in running):
                done += await asyncio.to_thread(reviewed.acquire, timeout=1)
            victim = stack.replicas[1]
            victim.process.kill()
            victim.process.wait(timeout=10)
            await asyncio.to_thread(wait, running, 180)
        access = nginx.access_log()
        # A racer's own failure, not the broken rounds it left the others with.
        failures = [e for e in (f.exception() for f in running) if e is not None]
        for failure in sorted(failures, key=lambda e: isinstance(e, threading.BrokenBarrierError)):
            raise failure

    # 0 double holds: no event was ever in two reviewers' batches.
    holders: defaultdict[str, list[str]] = defaultdict(list)
    for racer in racers:
        for event_id in racer.claimed:
            holders[event_id].append(racer.username)
    assert {e: h for e, h in holders.items() if len(h) > 1} == {}
    assert len(holders) == EVENTS
    # 0 double reviews, nothing lost: every event has exactly one review.
    reviews = await fetch(
        stack.central,
        "SELECT event_id, count(*) AS n FROM review_revisions WHERE kind = 'review' "
        "GROUP BY event_id",
    )
    assert len(reviews) == EVENTS
    assert {r["n"] for r in reviews} == {1}
    # No replica answered with a server error, ever (what died answered nothing).
    for racer in racers:
        assert all(code < 500 or code in RETRIED for code in racer.statuses), racer.statuses
    # The clients carried on through the other replicas: the survivors served them.
    upstreams = Counter(line["upstream"].split(",")[-1].strip() for line in access)
    survivors = {f"127.0.0.1:{r.port}" for r in stack.replicas if r.alive}
    assert len(survivors) == REPLICAS - 1
    assert survivors <= set(upstreams), upstreams

    # Every outcome reaches the region, delivered by two workers through PgBouncer.
    async def written_back() -> bool:
        rows = await fetch(
            stack.regional,
            "SELECT count(*) AS n FROM events WHERE review_decision = 'approve'",
        )
        return bool(rows[0]["n"] == EVENTS)

    await wait_until_async(written_back, timeout=60, message="reviews were not written back")
    # PgBouncer multiplexed: the replicas' and workers' pools (5 or more
    # connections each) shared its few server connections. The server's other
    # central connections are the survivors' LISTEN sessions, on the direct URL.
    connections = await fetch(
        stack.central,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()",
    )
    assert connections[0]["n"] <= POOL + len(survivors) + 2, connections
    log = "\n".join(r.log() for r in stack.replicas)
    assert "prepared statement" not in log
    assert "ERROR" not in stack.bouncer.log().replace("ERROR_", ""), stack.bouncer.log()[-2000:]


async def test_the_login_limit_is_one_budget_for_every_replica(stack: Replicas) -> None:
    with (
        stack.gateway("logins") as nginx,
        httpx.Client(base_url=nginx.url, timeout=15.0, trust_env=False) as http,
    ):
        statuses = []
        for _ in range(3 * REPLICAS * int(bucket_shape(LOGIN_LIMIT)[1])):
            answer = http.post(
                "/api/v1/auth/login", json={"username": "nobody-here", "password": "guess"}
            )
            statuses.append((answer.status_code, answer.json()["error"]["code"]))
        access = nginx.access_log()
    refused = statuses.count((401, "invalid_credentials"))
    # One bucket's burst (and at most a token refilled meanwhile), not one per
    # replica: with a limit per replica three times as many would be let through.
    _, burst = bucket_shape(LOGIN_LIMIT)
    assert burst <= refused <= burst + 1, statuses
    assert statuses[-1] == (429, "rate_limited"), statuses
    assert len(statuses) - refused == statuses.count((429, "rate_limited"))
    # The attempts were spread over every live replica.
    live = {f"127.0.0.1:{r.port}" for r in stack.replicas if r.alive}
    assert {line["upstream"].split(",")[-1].strip() for line in access} == live


async def test_a_logout_holds_on_every_replica_at_once(stack: Replicas) -> None:
    live = [r for r in stack.replicas if r.alive]
    with httpx.Client(timeout=15.0, trust_env=False) as http:
        login = http.post(
            f"{live[0].base_url}/api/v1/auth/login",
            json={"username": "racer-0", "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        user = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # Each replica has the session in its principal cache.
        for _ in range(2):
            for replica in live:
                me = http.get(f"{replica.base_url}/api/v1/auth/me", headers=user)
                assert me.status_code == 200, me.text
        out = http.post(f"{live[-1].base_url}/api/v1/auth/logout", headers=user)
        assert out.status_code == 204, out.text
        # The other replicas hear of it through NOTIFY, within milliseconds; a
        # cache kept for its time limit alone would answer 200 for a minute.
        ends = time.monotonic() + 2.0
        for replica in live:
            while (
                me := http.get(f"{replica.base_url}/api/v1/auth/me", headers=user)
            ).status_code == 200:
                assert time.monotonic() < ends, f"{replica.name} still knows the session"
                time.sleep(0.02)
            assert me.status_code == 401, (replica.name, me.text)


async def test_pgbouncer_needs_the_pooler_settings(stack: Replicas) -> None:
    """The check can fail: through the same PgBouncer, the drivers' default
    statement caches break statements, and EVENT_REVIEW_DATABASE_POOLER's
    settings are what keeps every one of them working."""
    pooled = stack.bouncer.location(stack.central)

    async def errors(location: ServerLocation) -> list[str]:
        # More client connections than PgBouncer has server connections, all busy.
        database = Database.connect(location, application_name="pooler-check", pool_size=8)
        failed: list[str] = []

        async def one(n: int) -> None:
            try:
                async with database.sessionmaker() as session:
                    await session.execute(text("SELECT CAST(:n AS int) + 1"), {"n": n})
                    await session.execute(text(f"SELECT {n % 5} + CAST(:n AS int)"), {"n": n})
            except Exception as exc:  # every kind of failure counts
                failed.append(f"{type(exc).__name__}: {exc}")

        try:
            await asyncio.gather(*(one(n) for n in range(400)))
        finally:
            await database.dispose()
        return failed

    assert await errors(pooled) == []
    assert len(await errors(dataclasses.replace(pooled, pooled=False))) > 0
