from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime

import httpx
import pytest
import structlog.testing
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event
from event_review.regional.forwarder.service import Forwarder, ForwarderConfig
from event_review.regional.simulator.service import simulate
from event_review.regional.store.models import ForwardQueueEntry, ForwardReject, RegionalEvent
from event_review.runtime.database import Database
from event_review.settings import Settings
from event_review.targets.clients import ingest_http_client
from tests.factories import Factory

SUMMARY = ["severity", "vehicle_class", "speed_band"]


async def forwarder_for(
    factory: Factory,
    regional_db: Database,
    http: httpx.AsyncClient,
    summary_fields: list[str] = SUMMARY,
) -> Forwarder:
    eu = await factory.region("eu")
    config = ForwarderConfig(
        region_code="eu",
        central_url="http://testserver",
        ingest_key=eu.ingest_key,
        summary_fields=summary_fields,
        batch_size=50,
        backoff_initial=0.01,
        backoff_max=0.05,
    )
    assert regional_db.engine is not None
    dsn = regional_db.engine.url.set(drivername="postgresql").render_as_string(False)
    return Forwarder(config, regional_db.sessionmaker, dsn, http)


async def queue_length(regional_db: Database) -> int:
    async with regional_db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(ForwardQueueEntry)) or 0)


async def test_forwards_metadata_only_and_drains_the_queue(
    factory: Factory, regional_db: Database, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await simulate(regional_db.sessionmaker, "eu", 120, seed=5)
    forwarder = await forwarder_for(factory, regional_db, client)
    assert await queue_length(regional_db) == 120

    while await forwarder.forward_once():
        pass

    assert await queue_length(regional_db) == 0
    events = (await session.scalars(select(Event).where(Event.region_code == "eu"))).all()
    assert len(events) == 120
    async with regional_db.sessionmaker() as regional:
        documents = {
            row.external_event_id: row.payload
            for row in (await regional.scalars(select(RegionalEvent))).all()
        }
    for event in events:
        document = documents[event.external_event_id]
        assert set(event.summary) == set(SUMMARY)
        assert event.summary == {key: document[key] for key in SUMMARY}
        assert (event.event_type, event.priority, event.device_id) == (
            document["event_type"],
            document["priority"],
            document["device_id"],
        )
        assert event.occurred_at == datetime.fromisoformat(document["occurred_at"])
        stored = json.dumps(event.summary)
        assert document["compliance_canary"] not in stored
        assert document["driver"]["name"] not in stored


async def test_the_summary_allow_list_is_configurable(
    factory: Factory, regional_db: Database, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await simulate(regional_db.sessionmaker, "eu", 3, seed=6)
    # "driver" and "location" are objects: a mistaken allow-list entry forwards nothing.
    fields = ["severity", "driver", "location"]
    forwarder = await forwarder_for(factory, regional_db, client, summary_fields=fields)

    await forwarder.forward_once()

    summaries = (await session.scalars(select(Event.summary))).all()
    assert len(summaries) == 3
    assert all(set(s) == {"severity"} for s in summaries)


async def test_a_resend_after_a_crash_creates_no_duplicates(
    factory: Factory, regional_db: Database, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await simulate(regional_db.sessionmaker, "eu", 10, seed=7)
    forwarder = await forwarder_for(factory, regional_db, client)
    await forwarder.forward_once()
    # As if the forwarder died after the centre answered but before it
    # acknowledged: the same events are queued again.
    async with regional_db.sessionmaker() as regional, regional.begin():
        await regional.execute(
            text(
                "INSERT INTO forward_queue (external_event_id) SELECT external_event_id FROM events"
            )
        )

    await forwarder.forward_once()

    assert await session.scalar(select(func.count()).select_from(Event)) == 10
    assert await queue_length(regional_db) == 0


async def test_invalid_events_are_set_aside_not_retried_forever(
    factory: Factory, regional_db: Database, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await simulate(regional_db.sessionmaker, "eu", 4, seed=8)
    async with regional_db.sessionmaker() as regional, regional.begin():
        await regional.execute(
            text(
                "INSERT INTO events (external_event_id, event_type, occurred_at, priority, payload)"
                " VALUES ('eu-bad', 'Not A Valid Type', now(), 1, '{}')"
            )
        )
    forwarder = await forwarder_for(factory, regional_db, client)

    await forwarder.forward_once()

    assert await session.scalar(select(func.count()).select_from(Event)) == 4
    assert await queue_length(regional_db) == 0
    async with regional_db.sessionmaker() as regional:
        rejects = (await regional.scalars(select(ForwardReject))).all()
    assert [r.external_event_id for r in rejects] == ["eu-bad"]
    assert "event_type" in rejects[0].reason


async def test_events_the_centre_refuses_are_found_one_by_one_and_set_aside(
    factory: Factory, regional_db: Database, app: FastAPI, session: AsyncSession
) -> None:
    """A centre stricter than this forwarder (a newer contract during an upgrade) refuses
    a batch whole; the forwarder sends its events singly, delivers those the centre
    takes, sets the refused one aside with the centre's reason, and drains its queue."""
    await simulate(regional_db.sessionmaker, "eu", 6, seed=11)
    async with regional_db.sessionmaker() as regional:
        refused = (await regional.scalars(select(RegionalEvent.external_event_id))).all()[2]
    central = httpx.ASGITransport(app=app)
    paths: list[str] = []

    class StricterCentre(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            paths.append(request.url.path)
            if refused.encode() in request.content:
                return httpx.Response(
                    422,
                    json={"error": {"code": "validation_error", "message": "too new for you"}},
                )
            return await central.handle_async_request(request)

    async with httpx.AsyncClient(transport=StricterCentre()) as http:
        forwarder = await forwarder_for(factory, regional_db, http)
        assert await forwarder.forward_once() == 6

    assert paths == ["/api/v1/internal-ingest/events"] + ["/api/v1/internal-ingest/event"] * 6
    central_ids = set((await session.scalars(select(Event.external_event_id))).all())
    assert len(central_ids) == 5
    assert refused not in central_ids
    assert await queue_length(regional_db) == 0
    async with regional_db.sessionmaker() as regional:
        rejects = (await regional.scalars(select(ForwardReject))).all()
    assert [r.external_event_id for r in rejects] == [refused]
    assert "too new for you" in rejects[0].reason


async def test_keeps_retrying_while_the_centre_is_unreachable(
    factory: Factory, regional_db: Database, app: FastAPI, session: AsyncSession
) -> None:
    await simulate(regional_db.sessionmaker, "eu", 5, seed=9)
    calls: list[str] = []
    central = httpx.ASGITransport(app=app)

    class FlakyCentre(httpx.AsyncBaseTransport):
        """The real central app behind a network that drops the first attempts."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            if len(calls) <= 3:
                raise httpx.ConnectError("connection refused", request=request)
            if len(calls) == 4:
                return httpx.Response(503)
            return await central.handle_async_request(request)

    async with httpx.AsyncClient(transport=FlakyCentre()) as http:
        forwarder = await forwarder_for(factory, regional_db, http)
        assert await forwarder.forward_once() == 5

    assert len(calls) == 5
    assert await session.scalar(select(func.count()).select_from(Event)) == 5
    assert await queue_length(regional_db) == 0


async def test_run_wakes_up_on_new_events(
    factory: Factory, regional_db: Database, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    forwarder = await forwarder_for(factory, regional_db, client)
    forwarder.config.poll_seconds = 30  # only a notification can wake it in time
    task = asyncio.create_task(forwarder.run())
    try:
        await asyncio.sleep(0.3)  # let it LISTEN; the assertion below does not depend on this
        await simulate(regional_db.sessionmaker, "eu", 3, seed=10)
        async with asyncio.timeout(10):
            while forwarder.forwarded < 3:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await session.scalar(select(func.count()).select_from(Event)) == 3


@pytest.mark.parametrize("field", ["compliance_canary", "driver", "vehicle", "location", "image"])
async def test_default_allow_list_excludes_personal_data(field: str) -> None:
    assert field not in Settings().forward_summary_fields.split(",")


class ClosingAfterOneAnswer:
    """A centre that answers one request per connection, then drops the next one unanswered.

    That is what a client meets when the server's keep-alive timeout closes an
    idle connection just as the client reuses it: the request was sent, and
    the connection closes without an answer.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        self.requests += 1
        return True

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self._read_request(reader)
            body = b'{"created": 0, "existing": 0, "results": []}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
            await self._read_request(reader)  # the reuse: read, then close unanswered
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def test_a_connection_the_centre_closed_between_sends_is_resent_without_a_warning(
    factory: Factory, regional_db: Database
) -> None:
    """The keep-alive race: a silent resend on a new connection, not an 'unavailable' warning."""
    await simulate(regional_db.sessionmaker, "eu", 4, seed=12)
    centre = ClosingAfterOneAnswer()
    async with centre as url, ingest_http_client() as http:
        forwarder = await forwarder_for(factory, regional_db, http)
        forwarder.config.central_url = url
        forwarder.config.batch_size = 2
        with structlog.testing.capture_logs() as logs:
            assert await forwarder.forward_once() == 2  # a fresh connection, answered
            assert await forwarder.forward_once() == 2  # reused, dropped, resent

    assert (centre.requests, centre.connections) == (3, 2)
    assert await queue_length(regional_db) == 0
    assert [e for e in logs if e["log_level"] in ("warning", "error")] == []
