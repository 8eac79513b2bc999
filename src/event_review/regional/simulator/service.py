"""Write simulated events into a regional database, at a rate or as fast as possible."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.regional.simulator.payloads import make_event
from event_review.regional.store.models import RegionalEvent

log = structlog.get_logger(__name__)

BATCH = 200


async def insert_events(session: AsyncSession, documents: Sequence[dict[str, Any]]) -> None:
    await session.execute(
        insert(RegionalEvent),
        [
            {
                "external_event_id": d["external_event_id"],
                "event_type": d["event_type"],
                "occurred_at": datetime.fromisoformat(d["occurred_at"]),
                "device_id": d["device_id"],
                "priority": d["priority"],
                "payload": d,
            }
            for d in documents
        ],
    )


async def write_events(
    sessionmaker: async_sessionmaker[AsyncSession], region: str, count: int, rng: random.Random
) -> None:
    """One transaction of `count` new events."""
    documents = [make_event(region, rng) for _ in range(count)]
    async with sessionmaker() as session, session.begin():
        await insert_events(session, documents)


async def simulate(
    sessionmaker: async_sessionmaker[AsyncSession],
    region: str,
    count: int | None,
    *,
    rate: float | None = None,
    seed: int | None = None,
) -> int:
    """Insert `count` events (None: until cancelled); `rate` in events/s, None = flat out."""
    rng = random.Random(seed)
    written = 0
    started = time.monotonic()
    while count is None or written < count:
        size = BATCH if count is None else min(BATCH, count - written)
        if rate is not None:
            # Small batches at a steady pace rather than bursts.
            size = max(1, min(size, int(rate / 10) or 1))
        await write_events(sessionmaker, region, size, rng)
        written += size
        if rate is not None:
            due = started + written / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    log.debug("simulate.done", region=region, events=written)
    return written
