"""Who may see which event. Refusals look like absence: no id leaks across regions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, EventStatus
from event_review.central.events import repository
from event_review.central.identity.principal import Principal
from event_review.runtime.errors import NotFound


def holds(principal: Principal, event: Event, now: datetime | None = None) -> bool:
    """The caller holds the event under an unexpired lease."""
    now = now or datetime.now(UTC)
    return (
        event.status == EventStatus.ASSIGNED
        and event.assigned_user_id == principal.user_id
        and event.lease_expires_at is not None
        and event.lease_expires_at > now
    )


def may_view(principal: Principal, event: Event) -> bool:
    return (
        holds(principal, event)
        or event.review_user_id == principal.user_id
        or principal.may_oversee(event.region_code)
    )


def may_read_payload(principal: Principal, event: Event) -> bool:
    """The holder under an unexpired lease, or a lead/admin of the event's region."""
    return holds(principal, event) or principal.may_oversee(event.region_code)


def in_scope(principal: Principal, event: Event) -> bool:
    """The event is of one of the caller's team regions (or otherwise visible).

    Within scope, a refusal may say why (another reviewer holds it); outside,
    the event is reported as absent.
    """
    return event.region_code in principal.region_codes or may_view(principal, event)


def not_found(event_id: uuid.UUID) -> NotFound:
    return NotFound(f"no event {event_id} that you can see", code="event_not_found")


async def get_in_scope(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, *, for_update: bool = False
) -> Event:
    event = await repository.get(session, event_id, for_update=for_update)
    if event is None or not in_scope(principal, event):
        raise not_found(event_id)
    return event


async def get_visible(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> Event:
    event = await repository.get(session, event_id)
    if event is None or not await may_view_or_judge(session, principal, event):
        raise not_found(event_id)
    return event


async def may_view_or_judge(session: AsyncSession, principal: Principal, event: Event) -> bool:
    """may_view, or the caller holds the event's QA task (asked only when may_view says no)."""
    return may_view(principal, event) or await repository.held_for_qa(
        session, event.event_id, principal.user_id
    )


async def may_read_payload_or_judge(
    session: AsyncSession, principal: Principal, event: Event
) -> bool:
    return may_read_payload(principal, event) or await repository.held_for_qa(
        session, event.event_id, principal.user_id
    )
