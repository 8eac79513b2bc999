"""Start one process of the registry: a server, a loop or a job, through the one lifecycle."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import uvicorn

from event_review.runtime.keys import signing_key, verification_keys
from event_review.runtime.loops import LoopState
from event_review.runtime.postgres import ServerLocation
from event_review.runtime.status import status_server
from event_review.settings import Secret, Settings
from event_review.targets import factory
from event_review.targets.lifecycle import Side, check_schema, connected, locate, on_database, run
from event_review.targets.registry import Job, Loop, Process, Server


def check(settings: Settings, process: Process) -> None:
    """Refuse to start without the secrets the process needs; read its keys before any
    database work, so a bad one stops the start with the reason, once."""
    settings.require_secrets(process.secrets)
    if process.calls_regions:
        signing_key(settings)
    if Secret.CENTRAL_PUBLIC_KEYS in process.secrets:
        verification_keys(settings)


def check_session(settings: Settings, process: Process, location: ServerLocation) -> None:
    """Refuse a pooled URL without a direct one to a process that needs a session of its own."""
    purpose = process.needs_session(settings)
    if purpose is not None:
        regional = process.side is Side.REGIONAL
        location.for_session(
            purpose, "REGIONAL_DATABASE_DIRECT_URL" if regional else "DATABASE_DIRECT_URL"
        )


def serve(
    settings: Settings,
    server: Server,
    *,
    region: str | None,
    host: str,
    port: int | None,
    workers: int = 1,
) -> None:
    check(settings, server)
    location = None if server.side is Side.NONE else locate(settings, server.side, region)
    if location is not None:
        check_session(settings, server, location)
        check_schema(location, server.side)
    if workers > 1:
        # Worker processes import the app; what this one resolved goes to them by variable.
        os.environ.update(factory.handover(server, region, location))
        app: Any = factory.APP_FACTORY
    else:
        app = server.build(settings, location, region)
    port = port or server.default_port
    assert port is not None, "every server has a default port"
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_config=None,  # keep the structured logging configured by the command
        proxy_headers=True,
        server_header=False,
        # Not uvloop: under it, anyio (httpx's transport) queues up to ~8 MB per
        # upstream read before it pauses the socket, so the payload proxy held
        # each 5 MB payload whole (+70 MB for 16 streams; the asyncio loop reads
        # 256 KB at a time). tests/system/test_payload_streaming.py guards this.
        loop="asyncio",
        http="httptools",
    )


def run_loop(
    settings: Settings, loop: Loop, *, region: str | None, status_port: int | None
) -> None:
    """Run a loop until SIGTERM; with `status_port`, answer probes and metrics there."""
    check(settings, loop)
    assert loop.work is not None
    work = loop.work
    location = locate(settings, loop.side, region)
    check_session(settings, loop, location)
    state = LoopState(loop.instance(region))

    async def main() -> None:
        status = status_server([state], status_port) if status_port is not None else None
        serving = asyncio.create_task(status.serve()) if status is not None else None
        try:
            async with connected(
                location, loop.side, name=state.name, pool_size=loop.pool_size, waiting=state
            ) as database:
                await work(settings, database, location, region, state)
        finally:
            if status is not None and serving is not None:
                status.should_exit = True
                await serving

    run(main, name=state.name)


def run_job(settings: Settings, job: Job, *, region: str | None = None, **options: Any) -> Any:
    """Run a job once; what it returns."""
    check(settings, job)
    assert job.work is not None
    work = job.work
    if not job.connects:
        return work(settings, region=region, **options)
    if job.per_region:
        options["region"] = region
    name = f"{job.name}-{region}" if region else job.name
    return on_database(
        settings, job.side, lambda database: work(settings, database, **options),
        name=name, region=region,
    )  # fmt: skip
