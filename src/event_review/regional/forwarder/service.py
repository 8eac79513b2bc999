"""The regional event forwarder: new regional events' metadata to the central ingestor.

Durability: the regional `forward_queue` table is the checkpoint. An entry is
deleted only after the centre acknowledged it, so a forwarder killed at any
moment resends at most one batch, and the centre's idempotency on
(region_code, external_event_id) turns that resend into a no-op.

Faults: a regional database restart, a centre that is away and a bug of ours
all end in a logged pause and a retry (runtime.loops), never in a forwarder
that stopped forwarding without saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import asyncpg
import httpx
import structlog
from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.contracts.ingest import INGEST_BATCH_PATH, INGEST_EVENT_PATH
from event_review.regional.forwarder.metadata import pending, to_metadata
from event_review.regional.forwarder.metrics import (
    CENTRE_UNAVAILABLE,
    FORWARDED,
    LAST_FORWARD,
    REJECTED,
)
from event_review.regional.store.models import FORWARD_CHANNEL, ForwardQueueEntry, ForwardReject
from event_review.runtime.errors import DatabaseUnavailable
from event_review.runtime.loops import LoopState, backoff

log = structlog.get_logger(__name__)

# A connection the server closed between two sends fails the next one before
# any byte was answered; the send is repeated once on a fresh connection.
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class CentreUnavailable(Exception):
    """The centre did not take the batch; try again later."""


@dataclass
class ForwarderConfig:
    region_code: str
    central_url: str
    ingest_key: str
    summary_fields: Sequence[str]
    batch_size: int = 500
    poll_seconds: float = 1.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


def loop_state(config: ForwarderConfig) -> LoopState:
    return LoopState(
        f"forwarder-{config.region_code}",
        initial_backoff=config.backoff_initial,
        max_backoff=config.backoff_max,
    )


class Forwarder:
    def __init__(
        self,
        config: ForwarderConfig,
        sessionmaker: async_sessionmaker[AsyncSession],
        listen_dsn: str,
        client: httpx.AsyncClient,
        state: LoopState | None = None,
    ) -> None:
        self.config = config
        self.sessionmaker = sessionmaker
        self.listen_dsn = listen_dsn
        self.client = client
        self._wake = asyncio.Event()
        self.forwarded = 0
        self.state = state or loop_state(config)

    async def run(self) -> NoReturn:
        """Forward until cancelled. Only one forwarder per region is active at a time."""
        log.info("loop.started", loop=self.state.name)
        try:
            while True:
                try:
                    await self._run_as_leader()
                except Exception as exc:  # the leader connection and the loop start over
                    await self.state.recover(exc)
        finally:
            self.state.stopped = True

    async def _connect(self) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(
                self.listen_dsn, server_settings={"application_name": "event-review-forwarder"}
            )
        except OSError as exc:  # refused or reset: the regional database is away
            raise DatabaseUnavailable() from exc

    async def _run_as_leader(self) -> None:
        conn = await self._connect()
        try:
            # A second forwarder of the same region waits here as a standby; it
            # asks again every poll, so it notices a database that went away.
            lock = f"event-review-forwarder:{self.config.region_code}"
            standby = False
            while not await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", lock
            ):
                self.state.succeeded()  # connected and waiting on purpose
                if not standby:
                    log.info("forwarder.standby", region=self.config.region_code)
                    standby = True
                await self.state.pause(self.config.poll_seconds)
            await conn.add_listener(FORWARD_CHANNEL, self._on_notify)
            log.info("forwarder.active", region=self.config.region_code)
            while True:
                self._wake.clear()
                forwarded = await self.forward_once()
                self.state.succeeded()
                if forwarded == 0:
                    self.state.expect_back_within(self.config.poll_seconds)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.config.poll_seconds)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def forward_once(self) -> int:
        """Send one batch of queued events; returns how many left the queue."""
        async with self.sessionmaker() as session:
            rows = await pending(session, self.config.summary_fields, self.config.batch_size)
        if not rows:
            return 0
        valid: list[tuple[int, dict[str, Any]]] = []
        rejects: list[tuple[int, str, str]] = []
        for seq, body in rows:
            try:
                valid.append((seq, to_metadata(self.config.region_code, body)))
            except ValidationError as exc:
                rejects.append((seq, body["external_event_id"], f"invalid locally: {exc}"))
        if valid:
            rejects.extend(await self._deliver(valid))
        await self._acknowledge([seq for seq, _ in rows], rejects)
        self.forwarded += len(rows) - len(rejects)
        FORWARDED.labels(self.config.region_code).inc(len(rows) - len(rejects))
        REJECTED.labels(self.config.region_code).inc(len(rejects))
        LAST_FORWARD.labels(self.config.region_code).set_to_current_time()
        return len(rows)

    async def _deliver(self, batch: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str, str]]:
        """Deliver a batch, retrying until the centre takes it; returns refused items.

        The retries stay here, holding the region's lock, rather than in the
        loop: a centre outage must not hand the leadership around.
        """
        attempt = 0
        while True:
            try:
                return await self._post_batch(batch)
            except CentreUnavailable as exc:
                attempt += 1
                delay = backoff(attempt, self.config.backoff_initial, self.config.backoff_max)
                CENTRE_UNAVAILABLE.labels(self.config.region_code).inc()
                log.warning(
                    "forwarder.centre_unavailable",
                    region=self.config.region_code,
                    reason=str(exc),
                    retry_in=round(delay, 2),
                )
                await self.state.pause(delay)

    async def _post_batch(
        self, batch: list[tuple[int, dict[str, Any]]]
    ) -> list[tuple[int, str, str]]:
        response = await self._post(INGEST_BATCH_PATH, {"events": [body for _, body in batch]})
        if response.status_code == 200:
            return []
        if response.status_code == 422:
            # The centre refuses a batch whole: find the culprits one by one so
            # one bad event cannot hold up the region's queue.
            refused = []
            for seq, body in batch:
                single = await self._post(INGEST_EVENT_PATH, body)
                if single.status_code == 422:
                    refused.append((seq, body["external_event_id"], single.text[:2000]))
                elif single.status_code not in (200, 201):
                    raise CentreUnavailable(f"HTTP {single.status_code}")
            return refused
        raise CentreUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        url = self.config.central_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.config.ingest_key}"}
        try:
            try:
                return await self.client.post(url, json=body, headers=headers)
            except _DROPPED as exc:
                # Ingest is idempotent, so repeating the send is safe; only a second
                # failure means the centre is really away.
                log.debug("forwarder.resend_after_dropped_connection", error=type(exc).__name__)
                return await self.client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise CentreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def _acknowledge(self, seqs: list[int], rejects: list[tuple[int, str, str]]) -> None:
        async with self.sessionmaker() as session, session.begin():
            if rejects:
                log.error(
                    "forwarder.rejected",
                    region=self.config.region_code,
                    events=[external_id for _, external_id, _ in rejects],
                )
                await session.execute(
                    insert(ForwardReject).on_conflict_do_nothing(),
                    [{"external_event_id": e, "reason": reason} for _, e, reason in rejects],
                )
            await session.execute(delete(ForwardQueueEntry).where(ForwardQueueEntry.seq.in_(seqs)))
