"""The audit trail: who did what to which event, and when. Never payload content."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
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
        insert(AuditEntry),
        [
            {
                "actor_type": actor_type,
                "actor": actor,
                "action": action,
                "event_id": event_id,
                "details": details or {},
            }
            for event_id in event_ids
        ],
    )
