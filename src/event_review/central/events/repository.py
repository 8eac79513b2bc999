from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, Region


async def get(
    session: AsyncSession, event_id: uuid.UUID, *, for_update: bool = False
) -> Event | None:
    stmt = select(Event).where(Event.event_id == event_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


_WITH_REGION_URL = (
    select(Event, Region.api_url)
    .outerjoin(Region, Region.code == Event.region_code)
    .where(Event.event_id == bindparam("event_id"))
)


async def get_with_region_url(
    session: AsyncSession, event_id: uuid.UUID
) -> tuple[Event, str | None] | None:
    """The event and its region's API URL in one round trip (the payload proxy's hot path)."""
    row = (await session.execute(_WITH_REGION_URL, {"event_id": event_id})).one_or_none()
    return None if row is None else (row[0], row[1])
