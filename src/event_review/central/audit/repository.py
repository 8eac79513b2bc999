"""The audit trail: who did what to which event, and when. Never payload content."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditAction, AuditEntry
from event_review.central.identity.actor import Actor
from event_review.central.paging import Position

# A fixed statement: an ORM insert built with .values() is compiled into a new
# cache key on every call, a sizeable share of a payload request's CPU.
_RECORD = text(
    """
    INSERT INTO audit_log (actor_type, actor, action, event_id, details)
    VALUES (:actor_type, :actor, :action, CAST(:event_id AS uuid), CAST(:details AS jsonb))
    """
)


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: AuditAction,
    event_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await session.execute(
        _RECORD,
        {
            "actor_type": actor.kind.value,
            "actor": actor.name,
            "action": action.value,
            "event_id": event_id,
            "details": json.dumps(details or {}),
        },
    )


# One fixed statement whatever the number of events (an ORM bulk insert builds
# and executes a row of parameters per event).
_RECORD_MANY = text(
    """
    INSERT INTO audit_log (actor_type, actor, action, event_id, details)
    SELECT :actor_type, :actor, :action, e.event_id, CAST(:details AS jsonb)
    FROM unnest(CAST(:event_ids AS uuid[])) WITH ORDINALITY AS e(event_id, n)
    ORDER BY e.n
    """
)


async def record_many(
    session: AsyncSession,
    *,
    actor: Actor,
    action: AuditAction,
    event_ids: Sequence[uuid.UUID],
    details: dict[str, Any] | None = None,
) -> None:
    if not event_ids:
        return
    await session.execute(
        _RECORD_MANY,
        {
            "actor_type": actor.kind.value,
            "actor": actor.name,
            "action": action.value,
            "event_ids": list(event_ids),
            "details": json.dumps(details or {}),
        },
    )


def page_key(entry: AuditEntry) -> tuple[datetime, str]:
    """Where a page of the audit log (newest first) ends: its keyset position."""
    return entry.occurred_at, str(entry.audit_id)


async def list_entries(
    session: AsyncSession,
    limit: int,
    after: Position | None = None,
    *,
    action: str | None = None,
    actor: str | None = None,
    event_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[AuditEntry]:
    """Newest first, after `after`; `limit + 1` rows (see central.paging)."""
    stmt = select(AuditEntry)
    if action:
        # `event.` matches every event action; a full name matches exactly that one.
        if action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if event_id is not None:
        stmt = stmt.where(AuditEntry.event_id == event_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.occurred_at < until)
    if after is not None:
        stmt = stmt.where(
            tuple_(AuditEntry.occurred_at, AuditEntry.audit_id)
            < tuple_(after.value, int(after.row_id))
        )
    stmt = stmt.order_by(AuditEntry.occurred_at.desc(), AuditEntry.audit_id.desc()).limit(limit + 1)
    return (await session.scalars(stmt)).all()
