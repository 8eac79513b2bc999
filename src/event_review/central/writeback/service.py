"""Deliver review outcomes to their regions, reliably.

A review is committed with its outbox row; this worker delivers each row with
its idempotency key until the region confirms, backing off exponentially
with jitter while the region is down, and parks a row as failed after too
many attempts for an admin to retry. The region records each key once, so a
retry after a lost answer never writes a review twice.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.metrics import WRITEBACK_ATTEMPTS, WRITEBACK_LAG
from event_review.central.regional_client import RegionalCallError, RegionalClient
from event_review.central.retention import repository as retention
from event_review.central.writeback import repository
from event_review.central.writeback.repository import Delivery
from event_review.contracts.regional import ReviewOutcome
from event_review.settings import Settings

log = structlog.get_logger(__name__)

ACTOR = "writeback"
_JITTER = random.Random()


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt: exponential, capped, with 'equal jitter'."""
    delay: float = min(cap, base * float(2 ** max(0, attempts - 1)))
    source = rng if rng is not None else _JITTER
    return delay / 2 + source.uniform(0, delay / 2)


class WritebackWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: RegionalClient,
        settings: Settings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.client = client
        self.settings = settings
        # Past the HTTP timeout, so a slow delivery is never claimed twice.
        self.visibility = timedelta(seconds=settings.regional_timeout_seconds * 3 + 5)

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Deliver until cancelled."""
        log.info("writeback.started")
        while True:
            try:
                delivered = await self.deliver_due()
            except OSError as exc:  # the central database went away: wait and retry
                log.warning("writeback.database_unavailable", error=str(exc))
                delivered = 0
            if delivered == 0:
                await asyncio.sleep(idle_seconds)

    async def deliver_due(self) -> int:
        """One pass over due rows; returns how many were attempted."""
        async with self.sessionmaker() as session, session.begin():
            due = await repository.claim_due(
                session, self.settings.writeback_batch_size, self.visibility
            )
        if due:
            await asyncio.gather(*(self._deliver(d) for d in due))
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            outcome = ReviewOutcome.model_validate(delivery.outcome)
            await self.client.record_review(
                delivery.api_url,
                delivery.region_code,
                delivery.external_event_id,
                str(delivery.idempotency_key),
                outcome,
            )
        except RegionalCallError as exc:
            await self._failed(delivery, str(exc), retryable=exc.retryable)
            return
        async with self.sessionmaker() as session, session.begin():
            await repository.mark_delivered(session, delivery)
            await audit.record(
                session,
                actor_type="service",
                actor=ACTOR,
                action="event.completed",
                event_id=delivery.event_id,
                details={"region": delivery.region_code, "attempts": delivery.attempts},
            )
            if delivery.retention_policy == "delete_on_complete":
                await retention.delete_events(session, [delivery.event_id], actor=ACTOR)
        WRITEBACK_ATTEMPTS.labels(delivery.region_code, "delivered").inc()
        WRITEBACK_LAG.labels(delivery.region_code).observe(
            (datetime.now(UTC) - delivery.created_at).total_seconds()
        )
        log.info(
            "writeback.delivered",
            outbox_id=delivery.outbox_id,
            region=delivery.region_code,
            attempts=delivery.attempts,
        )

    async def _failed(self, delivery: Delivery, error: str, *, retryable: bool) -> None:
        give_up = not retryable or delivery.attempts >= self.settings.writeback_max_attempts
        async with self.sessionmaker() as session, session.begin():
            if give_up:
                await repository.park(session, delivery.outbox_id, error)
                await audit.record(
                    session,
                    actor_type="service",
                    actor=ACTOR,
                    action="writeback.failed",
                    event_id=delivery.event_id,
                    details={"attempts": delivery.attempts, "error": error[:500]},
                )
            else:
                delay = backoff(
                    delivery.attempts,
                    self.settings.writeback_backoff_seconds,
                    self.settings.writeback_backoff_max_seconds,
                )
                await repository.reschedule(
                    session,
                    delivery.outbox_id,
                    error,
                    datetime.now(UTC) + timedelta(seconds=delay),
                )
        WRITEBACK_ATTEMPTS.labels(delivery.region_code, "failed" if give_up else "retry").inc()
        log.warning(
            "writeback.attempt_failed",
            outbox_id=delivery.outbox_id,
            region=delivery.region_code,
            attempts=delivery.attempts,
            parked=give_up,
            error=error[:200],
        )
