"""Everything a run shares: the server, the databases, the seeded users and the services."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.fixtures.processes import ManagedProcess, ProcessGroup, database_url, free_port

from bench.pg import PgServer
from bench.progress import Progress
from bench.scales import REGIONS, Scale
from bench.services import READY_TIMEOUT, base_env
from event_review.central.db import migrate as central_migrations
from event_review.central.regions.keys import digest, new_ingest_key
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.keys import signing_key
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Environment, Settings

PASSWORD = "bench-password-123"
SINGLE_PER_REGION = 4  # reviewers on each single-region team
PAYLOAD_REGION = "eu"  # the region whose API serves payloads in scenario 5


@dataclass
class User:
    username: str
    user_id: uuid.UUID
    regions: tuple[str, ...]
    multi: bool
    token: str = ""


@dataclass
class Env:
    scale: Scale
    progress: Progress
    pg: PgServer
    tmp: Path
    central: ServerLocation
    baseline: ServerLocation
    regional: dict[str, ServerLocation]
    ingest_keys: dict[str, str]
    reviewers: list[User]
    lead: User
    services: ProcessGroup
    centre: ManagedProcess
    region_api: ManagedProcess
    key: Ed25519PrivateKey
    forwarders: list[ManagedProcess] = field(default_factory=list)
    profile_dir: Path | None = None  # --profile: py-spy output of the services

    @property
    def data_dir(self) -> Path:
        return self.tmp / "data"

    @property
    def centre_url(self) -> str:
        return self.centre.base_url

    @property
    def region_api_url(self) -> str:
        return self.region_api.base_url

    def service_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return base_env(self.data_dir, self.central, extra or {})

    async def connect(self, location: ServerLocation) -> asyncpg.Connection:
        return await asyncpg.connect(location.asyncpg_dsn())

    async def pool(self, location: ServerLocation, size: int) -> asyncpg.Pool:
        pool = await asyncpg.create_pool(location.asyncpg_dsn(), min_size=size, max_size=size)
        assert pool is not None
        return pool

    async def execute(self, location: ServerLocation, sql: str, *args: object) -> str:
        conn = await self.connect(location)
        try:
            result: str = await conn.execute(sql, *args)
            return result
        finally:
            await conn.close()

    async def fetchval(self, location: ServerLocation, sql: str, *args: object) -> object:
        conn = await self.connect(location)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def reset_central(self) -> None:
        """Empty the event tables of the platform's and the baseline's database."""
        for location in (self.central, self.baseline):
            await self.execute(
                location,
                "TRUNCATE events, event_skips, qa_tasks, review_revisions, writeback_outbox, "
                "audit_log",
            )
            await self.execute(location, "VACUUM ANALYZE")
        await self.pg.checkpoint()


async def _migrate(location: ServerLocation, regional: bool) -> None:
    if regional:
        await asyncio.to_thread(REGIONAL_SCHEMA.upgrade, location)
    else:
        await asyncio.to_thread(central_migrations.upgrade, location)


async def _seed_central(
    conn: asyncpg.Connection, region_api_url: str
) -> tuple[dict[str, str], list[User], User]:
    keys = {}
    for code in REGIONS:
        # Only the payload region answers; the others' URLs are never called.
        url = region_api_url if code == PAYLOAD_REGION else "http://127.0.0.1:9"
        await conn.execute("INSERT INTO regions (code, api_url) VALUES ($1, $2)", code, url)
        keys[code] = new_ingest_key()
        await conn.execute(
            "INSERT INTO ingest_keys (region_code, key_hash) VALUES ($1, $2)",
            code,
            digest(keys[code]),
        )
    # Cheap argon2id parameters (they travel inside the hash): the login path is
    # the real one, but 33 logins do not cost the run ten seconds of CPU.
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    teams: dict[str, tuple[str, ...]] = {f"bench-{c}": (c,) for c in REGIONS}
    teams["bench-all"] = REGIONS
    team_ids: dict[str, int] = {}
    for name, codes in teams.items():
        team_ids[name] = await conn.fetchval(
            "INSERT INTO teams (name) VALUES ($1) RETURNING team_id", name
        )
        await conn.executemany(
            "INSERT INTO team_regions (team_id, region_code) VALUES ($1, $2)",
            [(team_ids[name], c) for c in codes],
        )

    async def add(username: str, team: str, role: str = "reviewer") -> User:
        user_id = await conn.fetchval(
            "INSERT INTO users (username, password_hash, role, team_id) "
            "VALUES ($1, $2, $3, $4) RETURNING user_id",
            username,
            password_hash,
            role,
            team_ids[team],
        )
        return User(username, user_id, teams[team], multi=len(teams[team]) > 1)

    reviewers = []
    for n in range(SINGLE_PER_REGION):
        for code in REGIONS:
            reviewers.append(await add(f"bench-{code}-{n + 1}", f"bench-{code}"))
    for n in range(SINGLE_PER_REGION * len(REGIONS)):
        reviewers.append(await add(f"bench-all-{n + 1}", "bench-all"))
    lead = await add("bench-lead", "bench-all", role="lead")
    return keys, reviewers, lead


async def _login(http: httpx.AsyncClient, users: list[User]) -> None:
    gate = asyncio.Semaphore(8)

    async def one(user: User) -> None:
        async with gate:
            response = await http.post(
                "/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}
            )
            response.raise_for_status()
            user.token = response.json()["access_token"]

    await asyncio.gather(*(one(u) for u in users))


@contextlib.asynccontextmanager
async def environment(scale: Scale, progress: Progress) -> AsyncIterator[Env]:
    tmp = Path(tempfile.mkdtemp(prefix="event-review-bench-"))
    tmp.chmod(0o755)  # the embedded server may run as its own system user
    pg = await PgServer.start(tmp, progress)
    services = ProcessGroup(tmp / "logs")
    try:
        progress.say(f"PostgreSQL {pg.version}; creating and migrating databases")
        central_db = await pg.create_database("central")
        region_db = await pg.create_database(f"region_{REGIONS[0]}")
        central, first_region = pg.location(central_db), pg.location(region_db)
        # One after the other: Alembic's context is process-global, not thread-safe.
        await _migrate(central, False)
        await _migrate(first_region, True)
        if pg.pg_stat_statements:
            conn = await pg.connect(central_db)
            try:
                await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            finally:
                await conn.close()
        region_port, centre_port = free_port(), free_port()
        conn = await pg.connect(central_db)
        try:
            keys, reviewers, lead = await _seed_central(conn, f"http://127.0.0.1:{region_port}")
        finally:
            await conn.close()
        # Identical copies: the baseline's central database and the other regions.
        baseline = pg.location(await pg.create_database("baseline", template=central_db))
        regional = {REGIONS[0]: first_region}
        for code in REGIONS[1:]:
            regional[code] = pg.location(
                await pg.create_database(f"region_{code}", template=region_db)
            )
        settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp / "data")
        key = signing_key(settings)  # made here, before the services race to make it

        progress.say("starting serve all and serve regional-api")
        common = base_env(tmp / "data", central, {})
        centre = services.start(
            "serve-all",
            *("serve", "all", "--host", "127.0.0.1", "--port", str(centre_port)),
            *(("--workers", str(scale.centre_workers)) if scale.centre_workers > 1 else ()),
            env=common,
            port=centre_port,
        )
        region_api = services.start(
            f"regional-api-{PAYLOAD_REGION}",
            *("serve", "regional-api", "--region", PAYLOAD_REGION),
            *("--host", "127.0.0.1", "--port", str(region_port)),
            env={**common, "REGIONAL_DATABASE_URL": database_url(regional[PAYLOAD_REGION])},
            port=region_port,
        )
        await asyncio.gather(
            centre.wait_ready_async(READY_TIMEOUT), region_api.wait_ready_async(READY_TIMEOUT)
        )
        progress.say("services ready; logging in the reviewers")
        async with httpx.AsyncClient(
            base_url=centre.base_url, timeout=30.0, trust_env=False
        ) as http:
            await _login(http, [*reviewers, lead])
        env = Env(
            scale=scale,
            progress=progress,
            pg=pg,
            tmp=tmp,
            central=central,
            baseline=baseline,
            regional=regional,
            ingest_keys=keys,
            reviewers=reviewers,
            lead=lead,
            services=services,
            centre=centre,
            region_api=region_api,
            key=key,
        )
        progress.say("environment ready")
        yield env
    finally:
        services.stop_all()
        if not pg.embedded:
            await pg.drop_databases()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
