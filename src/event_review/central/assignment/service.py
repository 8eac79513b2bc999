from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.assignment import repository
from event_review.central.assignment.schemas import Batch
from event_review.central.audit import repository as audit
from event_review.central.db.models import (
    AuditAction,
    Event,
    EventStatus,
    Queue,
    Role,
    SkipReason,
    WebhookKind,
)
from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.identity.principal import Principal
from event_review.central.metrics import CLAIM_SECONDS, CLAIMED
from event_review.central.webhooks import outbox as webhooks
from event_review.runtime.errors import Conflict, Forbidden


@dataclass(frozen=True)
class Leases:
    """How long a claim lasts, and the longest an extended one may."""

    length: timedelta
    max_hold: timedelta


def _batch(held: Sequence[Row[Any]], leases: Leases) -> Batch:
    ends = [e.lease_expires_at for e in held if e.lease_expires_at is not None]
    claimed = [e.assigned_at for e in held if e.assigned_at is not None]
    return Batch(
        lease_expires_at=min(ends) if ends else None,
        hold_until=min(claimed) + leases.max_hold if claimed else None,
        events=[EventOut.model_validate(e) for e in held],
    )


async def next_batch(
    session: AsyncSession,
    principal: Principal,
    size: int,
    leases: Leases,
    queue: Queue = Queue.REVIEW,
) -> Batch:
    """Claim up to `size` events of the caller's regions, or return what it already holds."""
    if queue is Queue.ESCALATED and principal.role not in (Role.LEAD, Role.ADMIN):
        raise Forbidden("escalated events are for the region's leads", code="role_required")
    with CLAIM_SECONDS.time():
        return await _next_batch(session, principal, size, leases, queue)


async def _next_batch(
    session: AsyncSession, principal: Principal, size: int, leases: Leases, queue: Queue
) -> Batch:
    await repository.lock_claimant(session, principal.user_id)
    held = await repository.held_by(session, principal.user_id)
    if held:
        return _batch(held, leases)
    claimed = await repository.claim(
        session, principal.user_id, principal.actor, principal.region_codes, size,
        leases.length, queue,
    )  # fmt: skip
    CLAIMED.inc(len(claimed))
    return _batch(claimed, leases)


async def held(session: AsyncSession, principal: Principal, leases: Leases) -> Batch:
    return _batch(await repository.held_by(session, principal.user_id), leases)


async def extend(
    session: AsyncSession,
    principal: Principal,
    event_ids: Sequence[uuid.UUID] | None,
    leases: Leases,
) -> Batch:
    """Keep what the caller holds for another lease, up to the longest hold."""
    # The claimant's lock: an extension and a claim of the same user never interleave.
    await repository.lock_claimant(session, principal.user_id)
    extended = await repository.extend(
        session, principal.user_id, principal.actor, event_ids, leases.length, leases.max_hold
    )
    if not extended:
        if not await repository.assigned_count(session, principal.user_id, event_ids):
            which = "none of these events is yours" if event_ids else "you hold no events"
            raise Conflict(
                f"{which}: a lease that ran out sends its event back to the queue",
                code="nothing_held",
            )
        minutes = round(leases.max_hold.total_seconds() / 60)
        raise Conflict(
            f"you have held these events for the longest hold ({minutes} min); review or skip them",
            code="max_hold_reached",
        )
    return _batch(await repository.held_by(session, principal.user_id), leases)


async def release(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> None:
    """The holder gives an event back to the queue."""
    await _give_back(session, principal, event_id)
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.EVENT_RELEASED,
        event_id=event_id,
    )


async def skip(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, reason: SkipReason | None
) -> None:
    """Give the event back, for someone else: the caller's claims pass it over while
    there is anything else for them."""
    await _give_back(session, principal, event_id)
    await repository.record_skip(session, principal.user_id, event_id, reason)
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.EVENT_SKIPPED,
        event_id=event_id,
        details={"reason": reason.value if reason else None},
    )


async def escalate(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, note: str
) -> None:
    """Hand the event to the region's leads for a second opinion, instead of deciding."""
    event = await _give_back(session, principal, event_id)
    if event.queue == Queue.ESCALATED:
        raise Conflict(
            "this event is escalated already: decide it, or give it back", code="already_escalated"
        )
    await repository.escalate(session, event_id, principal.actor, note)
    # The note is free text: it stays out of the audit trail, which is kept for good,
    # and out of the webhooks, which leave the centre.
    await audit.record(
        session, actor=principal.as_actor(), action=AuditAction.EVENT_ESCALATED, event_id=event_id
    )
    await webhooks.enqueue(
        session, WebhookKind.EVENT_ESCALATED, region_code=event.region_code,
        event_type=event.event_type,
        data={"event_id": str(event.event_id), "region": event.region_code,
              "event_type": event.event_type, "external_event_id": event.external_event_id,
              "device_id": event.device_id, "escalated_by_id": str(principal.user_id),
              "escalated_by": principal.actor, "escalated_at": datetime.now(UTC).isoformat()},
    )  # fmt: skip


async def _give_back(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> Event:
    event = await access.get_in_scope(session, principal, event_id, for_update=True)
    if not _assigned_to(principal, event):
        if event.status == EventStatus.ASSIGNED:
            raise Forbidden("another reviewer holds this event", code="not_holder")
        raise Conflict(
            f"the event is {event.status}, not held by you; nothing to give back",
            code="not_assigned",
        )
    await repository.release(session, event_id)
    return event


def _assigned_to(principal: Principal, event: Event) -> bool:
    # Held, even if the lease ran out and the re-queue has not run yet.
    return event.status == EventStatus.ASSIGNED and event.assigned_user_id == principal.user_id
