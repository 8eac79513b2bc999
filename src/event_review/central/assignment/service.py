from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.assignment import repository
from event_review.central.assignment.schemas import Batch
from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, Event, EventStatus
from event_review.central.events import access
from event_review.central.events.schemas import EventOut
from event_review.central.identity.principal import Principal
from event_review.central.metrics import CLAIM_SECONDS, CLAIMED
from event_review.runtime.errors import Conflict, Forbidden


def _batch(held: Sequence[Row[Any]]) -> Batch:
    leases = [e.lease_expires_at for e in held if e.lease_expires_at is not None]
    return Batch(
        lease_expires_at=min(leases) if leases else None,
        events=[EventOut.model_validate(e) for e in held],
    )


async def next_batch(
    session: AsyncSession, principal: Principal, size: int, lease: timedelta
) -> Batch:
    """Claim up to `size` events of the caller's regions, or return what it already holds."""
    with CLAIM_SECONDS.time():
        return await _next_batch(session, principal, size, lease)


async def _next_batch(
    session: AsyncSession, principal: Principal, size: int, lease: timedelta
) -> Batch:
    await repository.lock_claimant(session, principal.user_id)
    held = await repository.held_by(session, principal.user_id)
    if held:
        return _batch(held)
    claimed = await repository.claim(
        session, principal.user_id, principal.actor, principal.region_codes, size, lease
    )
    CLAIMED.inc(len(claimed))
    return _batch(claimed)


async def held(session: AsyncSession, principal: Principal) -> Batch:
    return _batch(await repository.held_by(session, principal.user_id))


async def release(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> None:
    """The holder gives an event back to the queue, e.g. to skip it."""
    event = await access.get_in_scope(session, principal, event_id, for_update=True)
    if not _assigned_to(principal, event):
        if event.status == EventStatus.ASSIGNED:
            raise Forbidden("another reviewer holds this event", code="not_holder")
        raise Conflict(
            f"the event is {event.status}, not held by you; nothing to release",
            code="not_assigned",
        )
    await repository.release(session, event_id)
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.EVENT_RELEASED,
        event_id=event_id,
    )


def _assigned_to(principal: Principal, event: Event) -> bool:
    # Held, even if the lease ran out and the re-queue has not run yet.
    return event.status == EventStatus.ASSIGNED and event.assigned_user_id == principal.user_id
