"""Re-queue: events whose lease ran out, or whose holder's sessions all ended, go back."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.metrics import REQUEUED
from event_review.central.requeue import repository

log = structlog.get_logger(__name__)


async def requeue_stale(
    sessionmaker: async_sessionmaker[AsyncSession], *, chunk: int, actor: str
) -> int:
    """Re-queue in chunks, one transaction each; returns how many events went back.

    Like any worker loop this owns its transactions: a crash after some chunks
    keeps those, and the next run picks up the rest.
    """
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            count = await repository.requeue_chunk(session, chunk, actor)
        total += count
        REQUEUED.inc(count)
        if count < chunk:
            break
    log.info("requeue.done", requeued=total, actor=actor)
    return total
