from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, Region


async def get(
    session: AsyncSession, event_id: uuid.UUID, *, for_update: bool = False
) -> Event | None:
    stmt = select(Event).where(Event.event_id == event_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def region_api_url(session: AsyncSession, region_code: str) -> str | None:
    return await session.scalar(select(Region.api_url).where(Region.code == region_code))
