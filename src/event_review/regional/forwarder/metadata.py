"""What leaves the region: an allow-list of fields, never the payload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.contracts.ingest import EventMetadata

# Only allow-listed payload keys are read out of the database at all, so the
# forwarder never holds personal data or the canary even in memory. Values
# must be scalars: a coarse summary has no use for nested objects, and an
# allow-list mistake ("driver", "location") then forwards nothing.
_PENDING = text(
    """
    SELECT q.seq, e.external_event_id, e.event_type, e.occurred_at, e.device_id, e.priority,
           COALESCE((SELECT jsonb_object_agg(p.key, p.value)
                     FROM jsonb_each(e.payload) AS p
                     WHERE p.key = ANY(CAST(:summary_fields AS text[]))
                       AND jsonb_typeof(p.value) IN ('string', 'number', 'boolean')),
                    '{}'::jsonb) AS summary
    FROM forward_queue AS q
    JOIN events AS e USING (external_event_id)
    ORDER BY q.seq
    LIMIT :limit
    """
)


def parse_fields(spec: str) -> list[str]:
    return [f.strip() for f in spec.split(",") if f.strip()]


async def pending(
    session: AsyncSession, summary_fields: Sequence[str], limit: int
) -> list[tuple[int, dict[str, Any]]]:
    """(queue seq, metadata body) of the oldest events the centre has not acknowledged."""
    result = await session.execute(
        _PENDING, {"summary_fields": list(summary_fields), "limit": limit}
    )
    return [
        (
            row.seq,
            {
                "external_event_id": row.external_event_id,
                "event_type": row.event_type,
                "occurred_at": row.occurred_at.isoformat(),
                "device_id": row.device_id,
                "priority": row.priority,
                "summary": row.summary,
            },
        )
        for row in result
    ]


def to_metadata(region_code: str, body: dict[str, Any]) -> dict[str, Any]:
    """Validate locally with the ingestor's own contract before sending."""
    model = EventMetadata.model_validate({**body, "region_code": region_code})
    return model.model_dump(mode="json")
