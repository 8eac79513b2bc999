"""The one lifecycle of every process: where its database is, connecting, the schema,
signals, disposing.

Every server, loop, job and command goes through here, so a database is found,
connected to, checked and let go of in one way.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.migrate import CENTRAL_SCHEMA
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database
from event_review.runtime.loops import LoopState, wait_for_schema
from event_review.runtime.migrations import Schema
from event_review.runtime.postgres import (
    CENTRAL_EMBEDDED_DATABASE,
    ServerLocation,
    regional_database_name,
    resolve,
)
from event_review.settings import Pooler, Settings

T = TypeVar("T")
log = structlog.get_logger(__name__)


class Side(StrEnum):
    """Which database a process runs on."""

    CENTRAL = "central"
    REGIONAL = "regional"
    BOTH = "both"  # `migrate`: the central one, or a region's with --region
    NONE = "none"  # the static web client


SCHEMAS: dict[Side, Schema] = {Side.CENTRAL: CENTRAL_SCHEMA, Side.REGIONAL: REGIONAL_SCHEMA}


class Stopped(Exception):
    """SIGTERM or SIGINT ended the process, cleanly."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def locate(
    settings: Settings, side: Side, region: str | None = None, *, create: bool = True
) -> ServerLocation:
    """The database of `side` (a region's needs `region`): by URL, or on the embedded server.

    `create=False` for a process that only reads: it never makes a cluster or a database.
    """
    pooled = settings.database_pooler is Pooler.TRANSACTION
    if side is Side.REGIONAL:
        if region is None:
            raise ValueError("a regional database needs its region")
        return resolve(
            settings.regional_database_url,
            settings.data_dir,
            regional_database_name(CENTRAL_EMBEDDED_DATABASE, region),
            create=create,
            setting="REGIONAL_DATABASE_URL",
            pooled=pooled,
            direct_url=settings.regional_database_direct_url,
            direct_setting="REGIONAL_DATABASE_DIRECT_URL",
        )
    return resolve(
        settings.database_url,
        settings.data_dir,
        CENTRAL_EMBEDDED_DATABASE,
        create=create,
        pooled=pooled,
        direct_url=settings.database_direct_url,
    )


@asynccontextmanager
async def connected(
    location: ServerLocation,
    side: Side,
    *,
    name: str,
    pool_size: int = 5,
    pre_ping: bool = True,
    waiting: LoopState | None = None,
) -> AsyncIterator[Database]:
    """A database on a migrated `location`, disposed of afterwards.

    A job or a server fails at once when the database is away or not migrated
    (SchemaNotReadyError names the command that fixes it); a loop, given its
    `waiting` state, waits for it instead, backing off and not ready.
    """
    database = Database.connect(
        location, application_name=f"event-review-{name}", pool_size=pool_size, pre_ping=pre_ping
    )
    try:
        schema = SCHEMAS[side]
        if waiting is None:
            async with database.sessionmaker() as session:
                await schema.ensure_at_head(await session.connection())
        else:
            await wait_for_schema(waiting, database, schema)
        yield database
    finally:
        await database.dispose()


def run(main: Callable[[], Awaitable[T]], *, name: str) -> T:
    """Run `main` on a fresh event loop until it returns or SIGTERM/SIGINT stops it.

    Handlers are needed: in a container the process is PID 1, which ignores
    signals it does not handle, and Kubernetes would wait out the grace period
    and kill it. A stop cancels `main`, lets it clean up, and raises Stopped.
    """
    stopped_by: list[signal.Signals] = []

    async def guarded() -> T:
        task = asyncio.current_task()
        assert task is not None

        def stop(sig: signal.Signals) -> None:
            stopped_by.append(sig)
            task.cancel()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop, sig)
        return await main()

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        name_of_signal = stopped_by[0].name if stopped_by else "SIGINT"
        log.info("stopped", signal=name_of_signal, target=name)
        raise Stopped(name_of_signal) from None


def on_database(
    settings: Settings,
    side: Side,
    work: Callable[[Database], Awaitable[T]],
    *,
    name: str,
    region: str | None = None,
    create: bool = True,
    pool_size: int = 5,
) -> T:
    """Run `work` once with a database of `side`, for a job or a command."""
    location = locate(settings, side, region, create=create)

    async def main() -> T:
        async with connected(location, side, name=name, pool_size=pool_size) as database:
            return await work(database)

    return run(main, name=name)


def in_transaction(
    settings: Settings,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    name: str,
    side: Side = Side.CENTRAL,
    region: str | None = None,
    read_only: bool = False,
) -> T:
    """Run `work` in one transaction, committed if it returns (an operator's command)."""

    async def transaction(database: Database) -> T:
        async with database.sessionmaker() as session:
            result = await work(session)
            await session.commit()  # closing without commit rolls back on error
            return result

    return on_database(
        settings, side, transaction, name=name, region=region, create=not read_only, pool_size=1
    )


def check_schema(location: ServerLocation, side: Side) -> None:
    """Fail now, with the command that fixes it, when the schema is not at head."""

    async def check() -> None:
        async with connected(location, side, name="check", pool_size=1):
            pass

    asyncio.run(check())
