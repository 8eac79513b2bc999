"""The whole platform as deployed, as separate processes on 127.0.0.1.

One central database and one database per region on the test server; the
central `serve all` and `writeback` processes; per region a `regional-api` and
a `forwarder`; and `simulate` writing events into the regions. Everything is
set up through the real command (`migrate`, `regions add`, `teams add`,
`users add`) and torn down at the end of the session.

The `platform` fixture is session-scoped so the end-to-end, compliance and
fault tests share one stack instead of each starting their own. A module that
claims events first adds as many new ones (`add_events`), so no module eats
into what another one needs, whatever the order or the number of modules. Test modules
load it with `pytest_plugins = ("tests.platform_fixture",)`, which makes it a
plugin fixture (one instance per session) rather than a per-module copy. They
import `Platform` only for type checking: a plugin module imported before
pytest registers it would miss assertion rewriting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from event_review.runtime.postgres import ServerLocation, drop_database
from tests.cli_helpers import CliResult, cli_env, database_url, fetch, run_cli
from tests.process_helpers import (
    ManagedProcess,
    ProcessGroup,
    free_port,
    process_group,
    wait_until_async,
)

PASSWORD = "platform-test-password"
REGION_CODES = ("eu", "us")
EVENTS_PER_REGION = 20


def team_of(region_code: str) -> str:
    """The team set up to review `region_code` (and only it): team-eu, team-us."""
    return f"team-{region_code}"


# Faster retries and polls than production defaults, so the tests wait less.
TUNING = {
    "EVENT_REVIEW_WRITEBACK_BACKOFF_SECONDS": "0.2",
    "EVENT_REVIEW_WRITEBACK_BACKOFF_MAX_SECONDS": "1",
    "EVENT_REVIEW_WRITEBACK_MAX_ATTEMPTS": "100",  # the most the setting allows
    "EVENT_REVIEW_FORWARD_POLL_SECONDS": "0.2",
}


@dataclass
class RegionStack:
    code: str
    location: ServerLocation  # the regional database
    api_port: int
    ingest_key: str = ""
    api: ManagedProcess | None = None
    forwarder: ManagedProcess | None = None
    forwarder_env: dict[str, str] = field(default_factory=dict)  # kept across restarts

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


@dataclass
class Platform:
    server: ServerLocation
    central: ServerLocation
    data_dir: Path
    group: ProcessGroup
    central_port: int = field(default_factory=free_port)
    regions: dict[str, RegionStack] = field(default_factory=dict)
    serve: ManagedProcess | None = None
    writeback: ManagedProcess | None = None
    # Pending events per region once the first simulated events had all arrived.
    initial_pending: dict[str, int] = field(default_factory=dict)
    events_per_region: int = EVENTS_PER_REGION

    @property
    def central_url(self) -> str:
        return f"http://127.0.0.1:{self.central_port}"

    # -- environments -------------------------------------------------------

    def _common(self) -> dict[str, str]:
        return {
            "EVENT_REVIEW_ENVIRONMENT": "development",
            "EVENT_REVIEW_DATA_DIR": str(self.data_dir),
            "EVENT_REVIEW_LOG_FORMAT": "json",
            **TUNING,
        }

    def central_env(self) -> dict[str, str]:
        return cli_env(self.central, self._common())

    def regional_env(self, code: str, **extra: str) -> dict[str, str]:
        # No central DATABASE_URL (cli_env puts an unreachable one): a regional
        # process must get by with its own database alone.
        return cli_env(
            None,
            {
                **self._common(),
                "REGIONAL_DATABASE_URL": database_url(self.regions[code].location),
                **extra,
            },
        )

    # -- one-shot commands ----------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None) -> CliResult:
        """A central command that must succeed."""
        result = run_cli(self.central, *args, stdin=stdin, env=self._common())
        assert result.returncode == 0, str(result)
        return result

    def regional_cli(self, code: str, *args: str) -> CliResult:
        """A regional command (`migrate --region`, `simulate`) that must succeed."""
        result = run_cli(
            None,
            *args,
            env={
                **self._common(),
                "REGIONAL_DATABASE_URL": database_url(self.regions[code].location),
            },
        )
        assert result.returncode == 0, str(result)
        return result

    def add_users(self, *users: tuple[str, str, str | None]) -> None:
        """(username, role, team) each, side by side: each command costs a second to start."""

        def add(spec: tuple[str, str, str | None]) -> CliResult:
            username, role, team = spec
            args = ["users", "add", username, "--role", role, "--password-stdin", "--json"]
            if team:
                args += ["--team", team]
            return self.cli(*args, stdin=PASSWORD + "\n")

        with ThreadPoolExecutor(max_workers=4) as pool:
            created = list(pool.map(add, users))
        assert [c.json()["username"] for c in created] == [u[0] for u in users]

    # -- processes ------------------------------------------------------------

    def start_central(self) -> None:
        self.serve = self.group.start(
            "central-serve-all",
            "serve", "all", "--host", "127.0.0.1", "--port", str(self.central_port),
            env=self.central_env(),
        )  # fmt: skip
        self.writeback = self.group.start("central-writeback", "writeback", env=self.central_env())

    def start_regional_api(self, code: str) -> ManagedProcess:
        region = self.regions[code]
        region.api = self.group.start(
            f"regional-api-{code}",
            "serve", "regional-api", "--region", code,
            "--host", "127.0.0.1", "--port", str(region.api_port),
            env=self.regional_env(code),
        )  # fmt: skip
        return region.api

    def start_forwarder(self, code: str, **extra_env: str) -> ManagedProcess:
        """Start (or restart) the region's forwarder; `extra_env` sticks for restarts."""
        region = self.regions[code]
        region.forwarder_env.update(extra_env)
        region.forwarder = self.group.start(
            f"forwarder-{code}",
            "forwarder", "--region", code,
            env=self.regional_env(
                code,
                EVENT_REVIEW_INGEST_KEY=region.ingest_key,
                EVENT_REVIEW_CENTRAL_URL=self.central_url,
                **region.forwarder_env,
            ),
        )  # fmt: skip
        return region.forwarder

    async def add_events(self, code: str, count: int) -> None:
        """Simulate `count` new events in a region and wait until the centre holds them."""
        before = len(await self.event_ids(code))
        result = self.regional_cli(code, "simulate", "--region", code, "--events", str(count))
        assert f"wrote {count} event(s)" in result.stdout, str(result)

        async def arrived() -> bool:
            return len(await self.event_ids(code)) >= before + count

        await wait_until_async(
            arrived, message=lambda: f"{count} new {code} events never reached the centre"
        )

    def start_simulator(self, code: str, *args: str) -> ManagedProcess:
        return self.group.start(
            f"simulate-{code}", "simulate", "--region", code, *args, env=self.regional_env(code)
        )

    def wait_ready(self, process: ManagedProcess | None, base_url: str) -> None:
        assert process is not None
        process.wait_http(f"{base_url}/readyz")

    def central_logs(self) -> list[Path]:
        """Logs of every central process run so far (restarts included)."""
        return self.group.logs("central-")

    def forwarder_logs(self) -> list[Path]:
        return self.group.logs("forwarder-")

    # -- databases ------------------------------------------------------------

    async def create_region_database(self, code: str) -> RegionStack:
        location = self.server.with_database(f"{self.central.database}_{code.replace('-', '_')}")
        await _create_database(self.server, location.database)
        self.regions[code] = RegionStack(code, location, free_port())
        return self.regions[code]

    async def add_region(self, code: str, **forwarder_env: str) -> RegionStack:
        """A new region: database, migration, registration; only its forwarder is started."""
        region = await self.create_region_database(code)
        migrated, registered = _parallel(
            lambda: self.regional_cli(code, "migrate", "--region", code),
            lambda: self.cli("regions", "add", code, "--api-url", region.api_url, "--json"),
        )
        assert "is at head" in migrated.stdout, str(migrated)
        region.ingest_key = registered.json()["ingest_key"]
        self.start_forwarder(code, **forwarder_env)
        return region

    async def central_query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await fetch(self.central, sql, *args)

    async def regional_query(self, code: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await fetch(self.regions[code].location, sql, *args)

    async def regional_payload(self, code: str, external_event_id: str) -> dict[str, Any]:
        rows = await self.regional_query(
            code, "SELECT payload::text AS p FROM events WHERE external_event_id = $1",
            external_event_id,
        )  # fmt: skip
        assert len(rows) == 1, f"no regional row {external_event_id} in {code}"
        payload: dict[str, Any] = json.loads(rows[0]["p"])
        return payload

    async def pending_by_region(self) -> dict[str, int]:
        rows = await self.central_query(
            "SELECT region_code, count(*) AS n FROM events WHERE status = 'pending' "
            "GROUP BY region_code"
        )
        return {r["region_code"]: r["n"] for r in rows}

    async def event_ids(self, code: str, status: str | None = None) -> list[uuid.UUID]:
        rows = await self.central_query(
            "SELECT event_id FROM events WHERE region_code = $1 "
            "AND ($2::text IS NULL OR status = $2) ORDER BY created_at",
            code, status,
        )  # fmt: skip
        return [r["event_id"] for r in rows]

    # -- HTTP -----------------------------------------------------------------

    @contextmanager
    def http(self) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.central_url, timeout=15.0, trust_env=False) as client:
            yield client

    def login(self, username: str) -> dict[str, str]:
        """Bearer headers of a fresh session of `username`."""
        with self.http() as client:
            response = client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def claim(self, headers: dict[str, str], size: int) -> list[dict[str, Any]]:
        with self.http() as client:
            response = client.post(
                "/api/v1/assignments/next-batch", json={"size": size}, headers=headers
            )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        assert len(events) == size, f"asked for {size} events, got {len(events)}"
        return events

    def review(
        self, event_id: str, headers: dict[str, str], review: dict[str, Any]
    ) -> dict[str, Any]:
        with self.http() as client:
            response = client.post(
                f"/api/v1/events/{event_id}/review", json=review, headers=headers
            )
        assert response.status_code == 200, response.text
        reviewed: dict[str, Any] = response.json()
        assert reviewed["status"] == "submitted", reviewed
        return reviewed

    async def statuses(self, event_ids: Sequence[str]) -> dict[str, str]:
        rows = await self.central_query(
            "SELECT event_id::text AS id, status FROM events WHERE event_id = ANY($1::uuid[])",
            list(event_ids),
        )
        return {r["id"]: r["status"] for r in rows}

    async def wait_completed(self, event_ids: Sequence[str]) -> None:
        """Poll until the write-back worker has delivered every one of `event_ids`."""
        wanted = dict.fromkeys(event_ids, "completed")
        last: dict[str, str] = {}

        async def done() -> bool:
            nonlocal last
            last = await self.statuses(event_ids)
            return last == wanted

        def explain() -> str:
            assert self.writeback is not None
            return f"events not all completed: {last}\n{self.writeback.describe()}"

        await wait_until_async(done, message=explain)


async def _create_database(server: ServerLocation, name: str, template: str | None = None) -> None:
    conn = await asyncpg.connect(server.with_database("postgres").asyncpg_dsn())
    try:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


def _parallel(*calls: Any) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [f.result() for f in futures]


async def _start(platform: Platform, regions: Sequence[str]) -> None:
    for code in regions:
        await platform.create_region_database(code)
    # The central processes need nothing from the regions to start; they boot
    # while the regions are migrated and registered.
    platform.start_central()

    def register(code: str) -> str:
        """`regions add` then the team reviewing it; returns the ingest key."""
        api_url = platform.regions[code].api_url
        registered = platform.cli("regions", "add", code, "--api-url", api_url, "--json")
        assert registered.json()["code"] == code
        team = platform.cli("teams", "add", team_of(code), "--regions", code, "--json")
        assert team.json()["regions"] == [code]
        key: str = registered.json()["ingest_key"]
        return key

    results = _parallel(
        *(lambda c=c: platform.regional_cli(c, "migrate", "--region", c) for c in regions),
        *(lambda c=c: register(c) for c in regions),
    )
    for code, key in zip(regions, results[len(regions) :], strict=True):
        platform.regions[code].ingest_key = key
    for code in regions:
        platform.start_regional_api(code)
        platform.start_forwarder(code)
    platform.wait_ready(platform.serve, platform.central_url)
    for code in regions:
        platform.wait_ready(platform.regions[code].api, platform.regions[code].api_url)

    simulated = _parallel(
        *(
            lambda c=c: platform.regional_cli(
                c, "simulate", "--region", c, "--events", str(EVENTS_PER_REGION), "--json"
            )
            for c in regions
        )
    )
    assert [s.json() for s in simulated] == [
        {"region": c, "events": EVENTS_PER_REGION} for c in regions
    ]
    expected = dict.fromkeys(regions, EVENTS_PER_REGION)

    def forwarder_logs() -> str:
        return "\n".join(
            r.forwarder.describe() for r in platform.regions.values() if r.forwarder is not None
        )

    async def all_arrived() -> dict[str, int] | None:
        pending = await platform.pending_by_region()
        return pending if pending == expected else None

    platform.initial_pending = await wait_until_async(
        all_arrived,
        message=lambda: f"central never held {expected} pending events\n{forwarder_logs()}",
    )


@pytest.fixture(scope="session")
async def platform(
    server: ServerLocation, template_db: ServerLocation, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """Central + eu + us as separate processes, with 20 simulated events per region."""
    root = tmp_path_factory.mktemp("platform")
    central = server.with_database(f"{server.database}_platform_{uuid.uuid4().hex[:8]}")
    await _create_database(server, central.database, template=template_db.database)
    with process_group(root / "logs") as group:
        platform = Platform(server, central, root / "data", group)
        try:
            await _start(platform, REGION_CODES)
            yield platform
        finally:
            group.stop_all()
            for region in platform.regions.values():
                await drop_database(region.location)
            await drop_database(central)
