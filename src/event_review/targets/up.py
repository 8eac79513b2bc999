"""`event-review up`: the whole multi-region platform on one machine.

Embedded PostgreSQL (or DATABASE_URL's server) with the central database and
one database per region; the central services, a regional API per region on
its own port, the forwarders, a simulator trickling events into every region,
the write-back worker and a re-queue loop, all in this one process. Operators
deploying for real run the separate targets instead.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI

from event_review.central.app import regional_http_client
from event_review.central.db.migrate import CENTRAL_SCHEMA
from event_review.central.regional_client import RegionalClient
from event_review.central.requeue.service import requeue_stale
from event_review.central.writeback.service import WritebackWorker
from event_review.regional.forwarder.metadata import parse_fields
from event_review.regional.forwarder.service import (
    Forwarder,
    ForwarderConfig,
    forwarder_http_client,
)
from event_review.regional.simulator.service import write_events
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.loops import LoopState, run_forever
from event_review.runtime.postgres import (
    ServerLocation,
    drop_database,
    ensure_database,
    regional_database_name,
)
from event_review.runtime.status import InLoopServer
from event_review.settings import Settings
from event_review.targets import demo
from event_review.targets.registry import SERVE_TARGETS

log = structlog.get_logger(__name__)

REQUEUE_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class UpOptions:
    port: int
    regions: list[str]
    demo_password: str
    reset: bool
    host: str = "127.0.0.1"
    initial_events: int = 25
    events_per_second: float = 0.2  # per region


def _server(app: FastAPI, host: str, port: int) -> InLoopServer:
    # Signals are left to `up`, which runs several servers at once.
    return InLoopServer(
        uvicorn.Config(app, host=host, port=port, log_config=None, server_header=False)
    )


def region_locations(central: ServerLocation, regions: list[str]) -> dict[str, ServerLocation]:
    return {
        code: central.with_database(regional_database_name(central.database, code))
        for code in regions
    }


def prepare_databases(
    central: ServerLocation, regional: dict[str, ServerLocation], *, reset: bool
) -> None:
    """Create, reset and migrate every database (blocking: run before the loop starts)."""
    for location in regional.values():
        if reset:
            asyncio.run(drop_database(location))
        asyncio.run(ensure_database(location))
        REGIONAL_SCHEMA.upgrade(location)
    if reset:
        # Downgrading, not dropping: DATABASE_URL's database is the operator's own.
        CENTRAL_SCHEMA.downgrade(central, "base")
    CENTRAL_SCHEMA.upgrade(central)


async def run(
    settings: Settings,
    options: UpOptions,
    central: ServerLocation,
    regional: dict[str, ServerLocation],
    announce: Callable[[demo.DemoSeed], None],
) -> None:
    central_db = Database.connect(central, application_name="event-review-up", pool_size=20)
    regional_dbs = {
        code: Database.connect(loc, application_name=f"event-review-up-{code}", pool_size=5)
        for code, loc in regional.items()
    }
    demo_regions = [
        demo.DemoRegion(code, f"http://{options.host}:{options.port + 1 + i}")
        for i, code in enumerate(options.regions)
    ]
    async with central_db.sessionmaker() as session:
        seeded = await demo.seed(session, demo_regions, options.demo_password)
        await session.commit()

    servers = [
        _server(
            SERVE_TARGETS["all"].build(settings, database=central_db), options.host, options.port
        )
    ]
    for i, code in enumerate(options.regions):
        app = SERVE_TARGETS["regional-api"].build(
            settings, database=regional_dbs[code], region=code
        )
        servers.append(_server(app, options.host, options.port + 1 + i))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async with (
        regional_http_client(settings) as regional_http,
        forwarder_http_client() as ingest,
    ):
        serving = [asyncio.create_task(s.serve()) for s in servers]
        while not all(s.started for s in servers):
            if any(t.done() for t in serving):
                await asyncio.gather(*serving)  # surfaces the startup failure
                return
            await asyncio.sleep(0.05)

        background: list[Coroutine[Any, Any, object]] = [
            WritebackWorker(
                central_db.sessionmaker,
                RegionalClient(regional_http, signing_key(settings)),
                settings,
            ).run(),
            _requeue_loop(central_db, settings),
        ]
        for region in seeded.regions:
            config = ForwarderConfig(
                region_code=region.code,
                central_url=f"http://{options.host}:{options.port}",
                ingest_key=region.ingest_key,
                summary_fields=parse_fields(settings.forward_summary_fields),
                batch_size=settings.forward_batch_size,
                poll_seconds=settings.forward_poll_seconds,
            )
            db = regional_dbs[region.code]
            dsn = regional[region.code].asyncpg_dsn()
            background.append(Forwarder(config, db.sessionmaker, dsn, ingest).run())
            background.append(_trickle(db, region.code, options))
        # Every loop outlives its faults (runtime.loops): none can take the others down.
        tasks = [asyncio.create_task(job) for job in background]

        announce(seeded)
        await stop.wait()
        log.info("up.stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*serving, return_exceptions=True)
    await central_db.dispose()
    for db in regional_dbs.values():
        await db.dispose()


async def _trickle(db: Database, region: str, options: UpOptions) -> None:
    """A first batch of events at once, then one every so often, like a quiet fleet."""
    rng = random.Random()
    first = options.initial_events

    async def iteration() -> bool:
        nonlocal first
        await write_events(db.sessionmaker, region, first or 1, rng)
        first = 0
        return False

    await run_forever(
        LoopState(f"simulator-{region}"), iteration, idle_seconds=1 / options.events_per_second
    )


async def _requeue_loop(db: Database, settings: Settings) -> None:
    async def iteration() -> bool:
        await requeue_stale(db.sessionmaker, chunk=settings.requeue_chunk_size, actor="up")
        return False

    await run_forever(LoopState("requeue"), iteration, idle_seconds=REQUEUE_EVERY_SECONDS)
