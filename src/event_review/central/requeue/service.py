"""Re-queue: events whose lease ran out, or whose holder's sessions all ended, go back;
so do QA tasks whose lease ran out."""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.identity.actor import Actor
from event_review.central.metrics import REQUEUED
from event_review.central.requeue import repository

log = structlog.get_logger(__name__)


# Chunks run this many at a time. Each chunk's statement stays bounded (short
# locks) and SKIP LOCKED gives side-by-side chunks disjoint rows, so a large
# backlog drains faster on two or more cores (see docs/benchmarks.md) while no
# statement holds its locks for long, unlike one plain UPDATE of them all.
WORKERS = 2
REQUEUE = Actor.service("requeue")


async def requeue_stale(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    chunk: int,
    actor: Actor = REQUEUE,
    workers: int = WORKERS,
) -> int:
    """Re-queue in chunks, one transaction each; returns how many events went back.

    Like any worker loop this owns its transactions: a crash after some chunks
    keeps those, and the next run picks up the rest. `workers` chunks run side
    by side, each on its own connection; a worker stops when its chunk comes
    back short, so the last rows are left to whoever still has them locked.
    """

    async def drain() -> int:
        total = 0
        while True:
            async with sessionmaker() as session, session.begin():
                count = await repository.requeue_chunk(session, chunk, actor)
            total += count
            REQUEUED.inc(count)
            if count < chunk:
                return total

    total = sum(await asyncio.gather(*(drain() for _ in range(max(1, workers)))))
    qa = 0
    while True:  # few: a QA queue is a fraction of the reviews
        async with sessionmaker() as session, session.begin():
            count = await repository.requeue_qa_chunk(session, chunk, actor)
        qa += count
        if count < chunk:
            break
    log.info("requeue.done", requeued=total, qa_requeued=qa, actor=actor.name, workers=workers)
    return total
