"""Apply each region's retention policy to completed events."""

from __future__ import annotations

from collections import Counter

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor
from event_review.central.retention import repository

log = structlog.get_logger(__name__)

PURGE = Actor.service("purge")


async def purge(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    chunk: int = 5_000,
    actor: Actor = PURGE,
) -> dict[str, int]:
    """Delete what the policies say; returns deleted counts per region."""
    counts: Counter[str] = Counter()
    while True:
        async with sessionmaker() as session, session.begin():
            deleted = await repository.purge_chunk(session, chunk)
            await audit.record_many(
                session,
                actor=actor,
                action=AuditAction.EVENT_PURGED,
                event_ids=[event_id for event_id, _ in deleted],
            )
        counts.update(region for _, region in deleted)
        if len(deleted) < chunk:
            break
    log.info("purge.done", deleted=dict(counts))
    return dict(counts)
