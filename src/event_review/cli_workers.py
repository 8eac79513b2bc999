"""Commands that run a loop or a one-shot job rather than an HTTP server."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
import typer

from event_review.central.app import regional_http_client
from event_review.central.db.migrate import CENTRAL_SCHEMA
from event_review.central.regional_client import RegionalClient
from event_review.central.requeue.service import WORKERS as REQUEUE_WORKERS
from event_review.central.requeue.service import requeue_stale
from event_review.central.retention.service import purge as purge_events
from event_review.central.writeback.service import WritebackWorker
from event_review.cli_support import (
    JsonOption,
    central_location,
    fail,
    friendly_errors,
    load_settings,
    regional_location,
)
from event_review.contracts.signing import (
    generate_private_key_pem,
    load_private_key,
    public_key_pem,
)
from event_review.regional.forwarder.metadata import parse_fields
from event_review.regional.forwarder.service import (
    Forwarder,
    ForwarderConfig,
    forwarder_http_client,
    loop_state,
)
from event_review.regional.simulator.service import simulate as simulate_events
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.loops import LoopState, wait_for_schema
from event_review.runtime.migrations import Schema
from event_review.runtime.postgres import ServerLocation
from event_review.runtime.status import status_server
from event_review.settings import FORWARDER_SECRETS, WRITEBACK_SECRETS

T = TypeVar("T")
log = structlog.get_logger(__name__)

keys_app = typer.Typer(help="Keys that sign the centre's calls to the regions.")


def run_on(
    location: ServerLocation,
    schema: Schema,
    app_name: str,
    work: Callable[[Database], Awaitable[T]],
    *,
    pool_size: int = 5,
    state: LoopState | None = None,
    status_port: int | None = None,
) -> T:
    """Run `work` with a database connected to a migrated `location`.

    A one-shot command fails at once when the database is away or not
    migrated. A loop (given its `state`) waits for it instead, and with `status_port` answers
    liveness, readiness and metrics there all along (runtime.status).

    SIGTERM and SIGINT cancel the work and exit cleanly. Handlers are needed:
    in a container the process is PID 1, which ignores signals it does not
    handle, and Kubernetes would wait out the grace period and kill it.
    """
    stopped_by: list[int] = []

    async def run() -> T:
        task = asyncio.current_task()
        assert task is not None

        def stop(sig: int) -> None:
            stopped_by.append(sig)
            task.cancel()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop, sig)
        database = Database.connect(
            location, application_name=f"event-review-{app_name}", pool_size=pool_size
        )
        status = None
        if state is not None and status_port is not None:
            status = status_server([state], status_port)
            serving = asyncio.create_task(status.serve())
        try:
            if state is None:
                async with database.sessionmaker() as session:
                    await schema.ensure_at_head(await session.connection())
            else:
                await wait_for_schema(state, database, schema)
            return await work(database)
        finally:
            if status is not None:
                status.should_exit = True
                await serving
            await database.dispose()

    try:
        return asyncio.run(run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        if stopped_by:
            log.info("stopped", signal=signal.Signals(stopped_by[0]).name, target=app_name)
            raise typer.Exit(0) from None
        raise typer.Exit(130) from None


def requeue(as_json: bool = JsonOption) -> None:
    """Put expired or orphaned assignments back in the queue, once (for a CronJob)."""
    settings = load_settings()
    with friendly_errors(as_json):
        count = run_on(
            central_location(settings),
            CENTRAL_SCHEMA,
            "requeue",
            lambda db: requeue_stale(
                db.sessionmaker,
                chunk=settings.requeue_chunk_size,
                actor="requeue-command",
                workers=REQUEUE_WORKERS,
            ),
        )
    typer.echo(json.dumps({"requeued": count}) if as_json else f"re-queued {count} event(s)")


def purge(as_json: bool = JsonOption) -> None:
    """Delete completed events per their region's retention policy, once."""
    settings = load_settings()
    with friendly_errors(as_json):
        counts = run_on(
            central_location(settings),
            CENTRAL_SCHEMA,
            "purge",
            lambda db: purge_events(db.sessionmaker, chunk=settings.requeue_chunk_size),
        )
    total = sum(counts.values())
    if as_json:
        typer.echo(json.dumps({"purged": total, "by_region": counts}))
    else:
        typer.echo(f"purged {total} completed event(s)" + (f": {counts}" if counts else ""))


MetricsPortOption = typer.Option(
    None,
    "--metrics-port",
    help="Serve /healthz, /readyz (probes) and /metrics on this port (0.0.0.0).",
)


def writeback(metrics_port: int | None = MetricsPortOption) -> None:
    """Deliver review outcomes to the regions until stopped (a worker)."""
    settings = load_settings()
    with friendly_errors():
        settings.require_production_secrets(WRITEBACK_SECRETS)
        key = signing_key(settings)
        state = LoopState("writeback")

        async def work(db: Database) -> None:
            async with regional_http_client(settings) as http:
                worker = WritebackWorker(db.sessionmaker, RegionalClient(http, key), settings)
                await worker.run(state)

        run_on(
            central_location(settings),
            CENTRAL_SCHEMA,
            "writeback",
            work,
            state=state,
            status_port=metrics_port,
        )


def forwarder(
    region: str = typer.Option(..., "--region", help="The region whose events to forward."),
    metrics_port: int | None = MetricsPortOption,
) -> None:
    """Send new regional events' metadata to the central ingestor until stopped."""
    settings = load_settings()
    region = region.lower()
    with friendly_errors():
        settings.require_production_secrets(FORWARDER_SECRETS)
        if settings.ingest_key is None:
            fail("EVENT_REVIEW_INGEST_KEY is not set: give the key `regions add` printed")
        location = regional_location(settings, region)
        config = ForwarderConfig(
            region_code=region,
            central_url=settings.central_url,
            ingest_key=settings.ingest_key.get_secret_value(),
            summary_fields=parse_fields(settings.forward_summary_fields),
            batch_size=settings.forward_batch_size,
            poll_seconds=settings.forward_poll_seconds,
        )

        state = loop_state(config)

        async def work(db: Database) -> None:
            async with forwarder_http_client() as http:
                await Forwarder(config, db.sessionmaker, location.asyncpg_dsn(), http, state).run()

        run_on(
            location,
            REGIONAL_SCHEMA,
            f"forwarder-{region}",
            work,
            pool_size=2,
            state=state,
            status_port=metrics_port,
        )


def simulate(
    region: str = typer.Option(..., "--region", help="The region to write events into."),
    events: int = typer.Option(100, "--events", min=1, help="How many events to write."),
    rate: float | None = typer.Option(
        None, "--rate", min=0.01, help="Events per second (default: as fast as possible)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed, for repeatable data."),
    as_json: bool = JsonOption,
) -> None:
    """Write realistic edge-device events into a region's database (a stand-in device fleet)."""
    settings = load_settings()
    region = region.lower()
    with friendly_errors(as_json):
        written = run_on(
            regional_location(settings, region),
            REGIONAL_SCHEMA,
            f"simulate-{region}",
            lambda db: simulate_events(db.sessionmaker, region, events, rate=rate, seed=seed),
        )
    if as_json:
        typer.echo(json.dumps({"region": region, "events": written}))
    else:
        typer.echo(f"wrote {written} event(s) into region {region}")


@keys_app.command("generate")
def keys_generate(as_json: bool = JsonOption) -> None:
    """Make a new Ed25519 key pair: the private half for the centre, the public for regions."""
    private_pem = generate_private_key_pem()
    public_pem = public_key_pem(load_private_key(private_pem))
    if as_json:
        typer.echo(json.dumps({"private_key": private_pem, "public_key": public_pem}))
        return
    typer.echo("# centre: EVENT_REVIEW_REGIONAL_SIGNING_KEY (keep secret)")
    typer.echo(private_pem)
    typer.echo("# every region: EVENT_REVIEW_CENTRAL_PUBLIC_KEYS")
    typer.echo(public_pem)


def register_worker_commands(app: typer.Typer) -> None:
    for command in (requeue, purge, writeback, forwarder, simulate):
        app.command()(command)
