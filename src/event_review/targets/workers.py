"""The work of every loop and job in the registry, built here and nowhere else.

A loop's work runs until cancelled and outlives its faults (runtime.loops); a
job's work runs once. Both take the settings and a connected database; the
command line, `up` and the tests reach them only through the registry.
"""

from __future__ import annotations

from typing import NoReturn

from event_review.central.queue_rules.sla import monitor as sla_monitor
from event_review.central.regional_client import RegionalClient
from event_review.central.requeue.service import requeue_stale
from event_review.central.retention.service import purge
from event_review.central.search.jobs.worker import Exporter
from event_review.central.webhooks.delivery import WebhookWorker, http_client
from event_review.central.writeback.service import WritebackWorker
from event_review.regional.forwarder.metadata import parse_fields
from event_review.regional.forwarder.service import Forwarder, ForwarderConfig
from event_review.regional.simulator.service import simulate
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.loops import LoopState
from event_review.runtime.postgres import ServerLocation
from event_review.settings import InsecureSettingsError, Settings
from event_review.targets.clients import ingest_http_client, regional_http_client
from event_review.targets.lifecycle import SCHEMAS, Side, locate


async def writeback(
    settings: Settings,
    database: Database,
    location: ServerLocation,
    region: str | None,
    state: LoopState,
) -> NoReturn:
    """Deliver review outcomes from the outbox to their regions."""
    del location, region
    async with regional_http_client(settings) as http:
        client = RegionalClient(http, signing_key(settings))
        await WritebackWorker(database.sessionmaker, client, settings).run(state)


async def sla(
    settings: Settings,
    database: Database,
    location: ServerLocation,
    region: str | None,
    state: LoopState,
) -> NoReturn:
    """Measure every SLA of the queue rules, keep its gauges, open and close breaches."""
    del location, region
    await sla_monitor(database.sessionmaker, state, settings.sla_interval_seconds)


async def exporter(
    settings: Settings,
    database: Database,
    location: ServerLocation,
    region: str | None,
    state: LoopState,
) -> NoReturn:
    """Run background export jobs chunk by chunk; delete expired ones."""
    del location, region
    await Exporter(database.sessionmaker, settings).run(state)


async def webhooks(
    settings: Settings,
    database: Database,
    location: ServerLocation,
    region: str | None,
    state: LoopState,
) -> NoReturn:
    """Deliver webhooks from their outbox to the receivers admins registered."""
    del location, region
    async with http_client(settings) as http:
        await WebhookWorker(database.sessionmaker, http, settings).run(state)


def forwarder_config(settings: Settings, region: str) -> ForwarderConfig:
    if settings.ingest_key is None:
        raise InsecureSettingsError(
            "EVENT_REVIEW_INGEST_KEY is not set: give the key `event-review regions add` printed"
        )
    return ForwarderConfig(
        region_code=region,
        central_url=settings.central_url,
        ingest_key=settings.ingest_key.get_secret_value(),
        summary_fields=parse_fields(settings.forward_summary_fields),
        batch_size=settings.forward_batch_size,
        poll_seconds=settings.forward_poll_seconds,
    )


FORWARDER_SESSION_USE = "the forwarder's LISTEN and leader lock"


async def forwarder(
    settings: Settings,
    database: Database,
    location: ServerLocation,
    region: str | None,
    state: LoopState,
) -> NoReturn:
    """Send a region's new events' metadata to the centre; one forwarder per region leads."""
    assert region is not None
    config = forwarder_config(settings, region)
    async with ingest_http_client() as http:
        # LISTEN and the leader lock need a session of their own, outside the pool.
        session = location.for_session(FORWARDER_SESSION_USE, "REGIONAL_DATABASE_DIRECT_URL")
        await Forwarder(config, database.sessionmaker, session.asyncpg_dsn(), http, state).run()


async def requeue(settings: Settings, database: Database) -> int:
    """Put expired or orphaned assignments back in the queue; how many went back."""
    return await requeue_stale(database.sessionmaker, chunk=settings.requeue_chunk_size)


async def purge_completed(settings: Settings, database: Database) -> dict[str, int]:
    """Apply every region's retention policy; deleted counts by region."""
    return await purge(database.sessionmaker, chunk=settings.requeue_chunk_size)


async def simulate_events(
    settings: Settings,
    database: Database,
    *,
    region: str,
    events: int,
    rate: float | None = None,
    seed: int | None = None,
) -> int:
    """Write `events` realistic events into a region's database (a stand-in device fleet)."""
    del settings
    return await simulate(database.sessionmaker, region, events, rate=rate, seed=seed)


def migrate(settings: Settings, *, region: str | None, revision: str) -> str:
    """Upgrade the central database, or a region's, to `revision`; its name.

    Alembic runs its own event loop, so this is the one job that is no coroutine.
    """
    side = Side.REGIONAL if region else Side.CENTRAL
    location = locate(settings, side, region)
    SCHEMAS[side].upgrade(location, revision)
    return location.database
