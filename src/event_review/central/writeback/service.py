"""Deliver review outcomes to their regions, reliably.

A review is committed with its outbox row; this worker delivers each row with
its idempotency key until the region confirms, backing off exponentially
with jitter while the region is down, and parks a row as failed after too
many attempts for an admin to retry. The region records each key once, so a
retry after a lost answer never writes a review twice. The loop itself
outlives a central database restart (runtime.loops): the rows wait in the
outbox until it is back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NoReturn

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, WebhookKind
from event_review.central.events import repository as events
from event_review.central.identity.actor import Actor
from event_review.central.metrics import WRITEBACK_ATTEMPTS, WRITEBACK_LAG
from event_review.central.regional_client import RegionalCallError, RegionalClient
from event_review.central.retention import repository as retention
from event_review.central.webhooks import outbox as webhooks
from event_review.central.writeback import repository
from event_review.central.writeback.repository import Delivery
from event_review.contracts.regional import ReviewRevision
from event_review.runtime.loops import LoopState, attempt_each, backoff, run_forever
from event_review.settings import Settings

log = structlog.get_logger(__name__)

ACTOR = Actor.service("writeback")
LOOP = "writeback"


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

    async def run(self, state: LoopState | None = None, idle_seconds: float = 1.0) -> NoReturn:
        """Deliver until cancelled, whatever fails on the way."""

        async def iteration() -> bool:
            return await self.deliver_due() > 0

        await run_forever(state or LoopState(LOOP), iteration, idle_seconds=idle_seconds)

    async def deliver_due(self) -> int:
        """One pass over due rows; returns how many were attempted.

        Every claimed row gets its attempt even when another one fails; the
        first failure is raised afterwards, for the loop to back off on.
        """
        async with self.sessionmaker() as session, session.begin():
            due = await repository.claim_due(
                session, self.settings.writeback_batch_size, self.visibility
            )
        await attempt_each(due, self._deliver)
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            revision = ReviewRevision.model_validate(delivery.outcome)
        except ValidationError as exc:
            # Retrying cannot fix a row the region would refuse: park it for an admin.
            await self._failed(delivery, f"the revision is not valid: {exc}", retryable=False)
            return
        try:
            await self._send(delivery, revision)
        except RegionalCallError as exc:
            await self._failed(delivery, str(exc), retryable=exc.retryable)
            return
        async with self.sessionmaker() as session, session.begin():
            await repository.mark_delivered(session, delivery)
            await audit.record(
                session,
                actor=ACTOR,
                action=AuditAction.EVENT_COMPLETED,
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

    async def _send(self, delivery: Delivery, revision: ReviewRevision) -> None:
        """v2; to a region that does not serve v2 yet (a rolling upgrade), v1 when the
        revision fits it without loss, else a retryable failure until it is upgraded."""
        args = (
            delivery.api_url,
            delivery.region_code,
            delivery.external_event_id,
            str(delivery.idempotency_key),
        )
        try:
            await self.client.record_revision(*args, revision)
            return
        except RegionalCallError as exc:
            if not exc.route_missing:
                raise
        outcome = revision.as_v1()
        if outcome is None:
            raise RegionalCallError(
                f"region {delivery.region_code} serves only the v1 update contract, which "
                f"cannot hold revision {revision.revision} ({revision.kind.value}, form "
                f"{revision.form_key}@{revision.form_version}); upgrade the region",
                retryable=True,
            )
        await self.client.record_review(*args, outcome)

    async def _announce_parked(self, session: AsyncSession, delivery: Delivery) -> None:
        """Webhooks of the parking, in its transaction: ids only, not the region's error."""
        event = await events.get(session, delivery.event_id)
        if event is None:  # purged meanwhile: nothing left to announce about
            return
        await webhooks.enqueue(
            session, WebhookKind.WRITEBACK_PARKED, region_code=delivery.region_code,
            event_type=event.event_type,
            data={"event_id": str(delivery.event_id), "region": delivery.region_code,
                  "event_type": event.event_type,
                  "external_event_id": delivery.external_event_id,
                  "device_id": event.device_id, "outbox_id": delivery.outbox_id,
                  "revision": delivery.outcome.get("revision"), "attempts": delivery.attempts,
                  "parked_at": datetime.now(UTC).isoformat()},
        )  # fmt: skip

    async def _failed(self, delivery: Delivery, error: str, *, retryable: bool) -> None:
        give_up = not retryable or delivery.attempts >= self.settings.writeback_max_attempts
        async with self.sessionmaker() as session, session.begin():
            if give_up:
                await repository.park(session, delivery.outbox_id, error)
                await audit.record(
                    session,
                    actor=ACTOR,
                    action=AuditAction.WRITEBACK_FAILED,
                    event_id=delivery.event_id,
                    details={"attempts": delivery.attempts, "error": error[:500]},
                )
                await self._announce_parked(session, delivery)
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
