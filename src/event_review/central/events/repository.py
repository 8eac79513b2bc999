from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event


async def get(
    session: AsyncSession, event_id: uuid.UUID, *, for_update: bool = False
) -> Event | None:
    stmt = select(Event).where(Event.event_id == event_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)
