"""The audit trail: who did what to which event, and when. Never payload content."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    actor_type: str,
    actor: str,
    action: str,
    event_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await session.execute(
        insert(AuditEntry).values(
            actor_type=actor_type,
            actor=actor,
            action=action,
            event_id=event_id,
            details=details or {},
        )
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
    actor_type: str,
    actor: str,
    action: str,
    event_ids: Sequence[uuid.UUID],
    details: dict[str, Any] | None = None,
) -> None:
    if not event_ids:
        return
    await session.execute(
        _RECORD_MANY,
        {
            "actor_type": actor_type,
            "actor": actor,
            "action": action,
            "event_ids": list(event_ids),
            "details": json.dumps(details or {}),
        },
    )
