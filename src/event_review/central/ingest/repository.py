from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, IngestKey, Region
from event_review.contracts.ingest import EventMetadata


async def region_for_key(session: AsyncSession, key_hash: str) -> str | None:
    return await session.scalar(
        select(IngestKey.region_code).where(
            IngestKey.key_hash == key_hash, IngestKey.revoked_at.is_(None)
        )
    )


async def region_exists(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(Region.code).where(Region.code == code)) is not None


async def insert_new(
    session: AsyncSession, region_code: str, events: Sequence[EventMetadata]
) -> dict[str, uuid.UUID]:
    """Insert the events not seen before; return external id -> event id of the new ones."""
    rows = [
        {
            "external_event_id": e.external_event_id,
            "region_code": region_code,
            "event_type": e.event_type,
            "occurred_at": e.occurred_at,
            "device_id": e.device_id,
            "priority": e.priority,
            "summary": e.summary,
        }
        for e in events
    ]
    stmt = (
        insert(Event)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[Event.region_code, Event.external_event_id])
        .returning(Event.external_event_id, Event.event_id)
    )
    result = await session.execute(stmt)
    return {row.external_event_id: row.event_id for row in result}


async def existing_ids(
    session: AsyncSession, region_code: str, external_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    result = await session.execute(
        select(Event.external_event_id, Event.event_id).where(
            Event.region_code == region_code, Event.external_event_id.in_(external_ids)
        )
    )
    return {row.external_event_id: row.event_id for row in result}
