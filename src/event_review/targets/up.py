"""`event-review up`: the whole multi-region platform on one machine, from the registry.

Embedded PostgreSQL (or DATABASE_URL's server) with the central database and
one database per region; then the registry's entries in this one process:
the `all` server, a `regional-api` per region on the ports after it, every
central loop (`writeback`, `webhooks`, `exporter`, `sla`), a `forwarder` per
region, and the `requeue` and `simulate` jobs repeated as loops. Operators
deploying for real run the entries apart.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from event_review.runtime.database import Database
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
from event_review.targets.lifecycle import SCHEMAS, Side, connected, locate
from event_review.targets.registry import JOBS, LOOPS, SERVERS

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


def prepare_databases(settings: Settings, options: UpOptions) -> dict[str, ServerLocation]:
    """Create, reset and migrate every database; their locations, `central` and by region.

    Blocking (Alembic runs its own event loop): called before `run` starts.
    """
    central = locate(settings, Side.CENTRAL)
    locations = {"central": central}
    for code in options.regions:
        location = central.with_database(regional_database_name(central.database, code))
        if options.reset:
            asyncio.run(drop_database(location))
        asyncio.run(ensure_database(location))
        SCHEMAS[Side.REGIONAL].upgrade(location)
        locations[code] = location
    if options.reset:
        # Downgrading, not dropping: DATABASE_URL's database is the operator's own.
        SCHEMAS[Side.CENTRAL].downgrade(central, "base")
    SCHEMAS[Side.CENTRAL].upgrade(central)
    return locations


@asynccontextmanager
async def _databases(
    locations: dict[str, ServerLocation],
) -> AsyncIterator[dict[str, Database]]:
    async with AsyncExitStack() as stack:
        opened = {}
        for name, location in locations.items():
            side = Side.CENTRAL if name == "central" else Side.REGIONAL
            opened[name] = await stack.enter_async_context(
                connected(
                    location, side, name=f"up-{name}", pool_size=20 if name == "central" else 5
                )
            )
        yield opened


def _repeated(
    name: str, job: Callable[[], Coroutine[Any, Any, object]], every: float
) -> Coroutine[Any, Any, object]:
    """A job of the registry run as a loop: `up` has no CronJob."""

    async def iteration() -> bool:
        await job()
        return False

    return run_forever(LoopState(name), iteration, idle_seconds=every)


async def run(
    settings: Settings,
    options: UpOptions,
    locations: dict[str, ServerLocation],
    announce: Callable[[demo.DemoSeed], None],
) -> None:
    central_url = f"http://{options.host}:{options.port}"
    demo_regions = [
        demo.DemoRegion(code, f"http://{options.host}:{options.port + 1 + i}")
        for i, code in enumerate(options.regions)
    ]
    async with _databases(locations) as databases:
        central = databases["central"]
        async with central.sessionmaker() as session:
            seeded = await demo.seed(session, demo_regions, options.demo_password)
            await session.commit()

        servers = [_server(SERVERS["all"].build(settings, central), options.host, options.port)]
        for i, code in enumerate(options.regions):
            app = SERVERS["regional-api"].build(settings, databases[code], code)
            servers.append(_server(app, options.host, options.port + 1 + i))
        serving = [asyncio.create_task(s.serve()) for s in servers]
        while not all(s.started for s in servers):
            if any(t.done() for t in serving):
                await asyncio.gather(*serving)  # surfaces the startup failure
                return
            await asyncio.sleep(0.05)

        forwarder = LOOPS["forwarder"]
        assert forwarder.work is not None
        requeue, simulate = JOBS["requeue"].work, JOBS["simulate"].work
        assert requeue is not None
        assert simulate is not None
        # Every central loop of the registry (write-back, webhooks, exports, SLAs).
        central_loops = [
            loop for loop in LOOPS.values() if loop.side is Side.CENTRAL and not loop.per_region
        ]
        loops: list[Coroutine[Any, Any, object]] = [
            *(
                loop.work(settings, central, locations["central"], None, LoopState(loop.name))
                for loop in central_loops
                if loop.work is not None
            ),
            _repeated("requeue", lambda: requeue(settings, central), REQUEUE_EVERY_SECONDS),
        ]
        for region in seeded.regions:
            code, database = region.code, databases[region.code]
            # The region's forwarder reads its ingest key and the centre's URL from settings.
            own = settings.model_copy(
                update={"ingest_key": SecretStr(region.ingest_key), "central_url": central_url}
            )
            loops.append(
                forwarder.work(own, database, locations[code], code, LoopState(f"forwarder-{code}"))
            )
            loops.append(_trickle(settings, database, code, options, simulate))
        # Every loop outlives its faults (runtime.loops): none can take the others down.
        tasks = [asyncio.create_task(loop) for loop in loops]

        announce(seeded)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("up.stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*serving, return_exceptions=True)


def _trickle(
    settings: Settings,
    database: Database,
    region: str,
    options: UpOptions,
    simulate: Callable[..., Coroutine[Any, Any, object]],
) -> Coroutine[Any, Any, object]:
    """The `simulate` job as a quiet fleet: a first batch at once, then one event at a time."""
    first = options.initial_events

    async def write() -> None:
        nonlocal first
        await simulate(settings, database, region=region, events=first or 1)
        first = 0

    return _repeated(f"simulator-{region}", write, 1 / options.events_per_second)


def start(
    settings: Settings, options: UpOptions, announce: Callable[[demo.DemoSeed], None]
) -> None:
    """Prepare the databases, then run everything until Ctrl-C or SIGTERM."""
    locations = prepare_databases(settings, options)
    try:
        asyncio.run(run(settings, options, locations, announce))
    except KeyboardInterrupt:
        pass  # a second Ctrl-C while stopping
