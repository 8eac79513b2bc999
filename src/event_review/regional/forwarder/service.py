"""The regional event forwarder: new regional events' metadata to the central ingestor.

Durability: the regional `forward_queue` table is the checkpoint. An entry is
deleted only after the centre acknowledged it, so a forwarder killed at any
moment resends at most one batch, and the centre's idempotency on
(region_code, external_event_id) turns that resend into a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import structlog
from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.regional.forwarder.metadata import pending, to_metadata
from event_review.regional.forwarder.metrics import (
    CENTRE_UNAVAILABLE,
    FORWARDED,
    LAST_FORWARD,
    REJECTED,
)
from event_review.regional.store.models import FORWARD_CHANNEL, ForwardQueueEntry, ForwardReject

log = structlog.get_logger(__name__)

INGEST_BATCH_PATH = "/api/v1/internal-ingest/events"
INGEST_ONE_PATH = "/api/v1/internal-ingest/event"


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


class Forwarder:
    def __init__(
        self,
        config: ForwarderConfig,
        sessionmaker: async_sessionmaker[AsyncSession],
        listen_dsn: str,
        client: httpx.AsyncClient,
    ) -> None:
        self.config = config
        self.sessionmaker = sessionmaker
        self.listen_dsn = listen_dsn
        self.client = client
        self._wake = asyncio.Event()
        self.forwarded = 0

    async def run(self) -> None:
        """Forward until cancelled. Only one forwarder per region is active at a time."""
        while True:
            try:
                await self._run_as_leader()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning(
                    "forwarder.database_lost", region=self.config.region_code, error=str(exc)
                )
                await asyncio.sleep(self.config.poll_seconds)

    async def _run_as_leader(self) -> None:
        conn = await asyncpg.connect(
            self.listen_dsn, server_settings={"application_name": "event-review-forwarder"}
        )
        try:
            # A second forwarder of the same region waits here as a standby.
            await conn.execute(
                "SELECT pg_advisory_lock(hashtextextended($1, 0))",
                f"event-review-forwarder:{self.config.region_code}",
            )
            await conn.add_listener(FORWARD_CHANNEL, self._on_notify)
            log.info("forwarder.active", region=self.config.region_code)
            while True:
                self._wake.clear()
                if await self.forward_once() == 0:
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
        """Deliver a batch, retrying until the centre takes it; returns refused items."""
        delay = self.config.backoff_initial
        while True:
            try:
                return await self._post_batch(batch)
            except CentreUnavailable as exc:
                CENTRE_UNAVAILABLE.labels(self.config.region_code).inc()
                log.warning(
                    "forwarder.centre_unavailable",
                    region=self.config.region_code,
                    reason=str(exc),
                    retry_in=round(delay, 2),
                )
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self.config.backoff_max)

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
                single = await self._post(INGEST_ONE_PATH, body)
                if single.status_code == 422:
                    refused.append((seq, body["external_event_id"], single.text[:2000]))
                elif single.status_code not in (200, 201):
                    raise CentreUnavailable(f"HTTP {single.status_code}")
            return refused
        raise CentreUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return await self.client.post(
                self.config.central_url.rstrip("/") + path,
                json=body,
                headers={"Authorization": f"Bearer {self.config.ingest_key}"},
            )
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
