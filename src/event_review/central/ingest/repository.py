from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event
from event_review.contracts.ingest import EventMetadata, summary_json

# One fixed statement for any batch size: the rows travel as one array per
# column. A multi-row VALUES built per call made SQLAlchemy compile a new
# statement with 7 bind parameters per event on every request (most of the
# CPU of a 1,000-event batch). WITH ORDINALITY/ORDER BY keeps the batch order,
# so clock_timestamp() created_at keeps "oldest first" within a batch.
_INSERT_NEW = text(
    """
    INSERT INTO events (external_event_id, region_code, event_type, occurred_at, device_id,
                        priority, summary)
    SELECT u.external_event_id, :region_code, u.event_type, u.occurred_at, u.device_id,
           u.priority, CAST(u.summary AS jsonb)
    FROM unnest(CAST(:external_event_ids AS text[]), CAST(:event_types AS text[]),
                CAST(:occurred_ats AS timestamptz[]), CAST(:device_ids AS text[]),
                CAST(:priorities AS smallint[]), CAST(:summaries AS text[]))
         WITH ORDINALITY
         AS u(external_event_id, event_type, occurred_at, device_id, priority, summary, n)
    ORDER BY u.n
    ON CONFLICT (region_code, external_event_id) DO NOTHING
    RETURNING external_event_id, event_id
    """
)


async def insert_new(
    session: AsyncSession, region_code: str, events: Sequence[EventMetadata]
) -> dict[str, uuid.UUID]:
    """Insert the events not seen before; return external id -> event id of the new ones."""
    result = await session.execute(
        _INSERT_NEW,
        {
            "region_code": region_code,
            "external_event_ids": [e.external_event_id for e in events],
            "event_types": [e.event_type for e in events],
            "occurred_ats": [e.occurred_at for e in events],
            "device_ids": [e.device_id for e in events],
            "priorities": [e.priority for e in events],
            "summaries": [summary_json(e.summary) for e in events],
        },
    )
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
