"""The webhook outbox: one delivery row per (subscription, occurrence), written in the
transaction that commits the occurrence.

The way in, for any part of the centre that has something to announce::

    from event_review.central.webhooks import outbox

    await outbox.enqueue(
        session,
        WebhookKind.SLA_BREACHED,
        region_code=event.region_code,
        event_type=event.event_type,
        data={"event_id": str(event.event_id), "region": event.region_code, ...},
    )

- Call it with the session of the transaction that makes the occurrence
  happen, before that transaction commits (it executes, never commits): a
  rolled-back cause then announces nothing, and a committed one is never lost
  when a receiver is down.
- `kind` is a `WebhookKind`; `region_code` and `event_type` are what
  subscriptions filter on. `data` becomes the body's `data` object as it is
  (JSON; UUIDs and datetimes as strings). It holds ids and metadata only:
  never the regional payload and never text a user typed (comments, notes,
  text fields), which receivers read through the API under the region's
  review-text policy. An `event_id` key, if given, also fills the delivery's
  `event_id` column (what the admin list shows).
- It is one INSERT … SELECT over the active subscriptions that want the kind,
  region and event type: no subscriber, no row, one round trip either way.

Statements that are already one statement for a reason (the review) take the
same INSERT as a CTE instead (`deliveries_sql`), fed by their own rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import WebhookKind


def deliveries_sql(source: str, *, data: str) -> str:
    """INSERT … SELECT: a delivery for each active matching subscription and row of `source`.

    `source` is a CTE name or a parenthesised subquery with `event_id`,
    `region_code` and `event_type` columns; `data` a jsonb expression over
    it (aliased `src`). The statement binds `:webhook_kind`, `:webhook_at`
    and whatever `data` binds; `params()` gives the first two.
    """
    return f"""
        INSERT INTO webhook_deliveries (webhook_id, kind, event_id, body)
        SELECT s.webhook_id, CAST(:webhook_kind AS text), src.event_id,
               jsonb_build_object(
                   'type', CAST(:webhook_kind AS text),
                   'timestamp', CAST(:webhook_at AS text),
                   'data', {data}
               )
        FROM {source} AS src
        JOIN webhook_subscriptions AS s
          ON s.active
         AND CAST(:webhook_kind AS text) = ANY(s.kinds)
         AND (cardinality(s.regions) = 0 OR src.region_code = ANY(s.regions))
         AND (cardinality(s.event_types) = 0 OR src.event_type = ANY(s.event_types))
    """


# An event's own metadata, read from the row the statement changed, merged with
# what the caller adds as :webhook_data (decision, revision, reviewer, ...).
EVENT_DATA_SQL = (
    "jsonb_build_object('event_id', src.event_id, 'region', src.region_code, "
    "'event_type', src.event_type, 'external_event_id', src.external_event_id, "
    "'device_id', src.device_id) || CAST(:webhook_data AS jsonb)"
)

_ENQUEUE = text(
    deliveries_sql(
        "(SELECT CAST(:event_id AS uuid) AS event_id, CAST(:region_code AS text) AS region_code,"
        " CAST(:event_type AS text) AS event_type)",
        data="CAST(:webhook_data AS jsonb)",
    )
)


def params(kind: WebhookKind, data: dict[str, Any]) -> dict[str, Any]:
    """The bind parameters `deliveries_sql` needs, and the data as :webhook_data."""
    return {
        "webhook_kind": WebhookKind(kind).value,
        "webhook_at": datetime.now(UTC).isoformat(),
        "webhook_data": json.dumps(data, default=str),
    }


async def enqueue(
    session: AsyncSession,
    kind: WebhookKind,
    *,
    region_code: str,
    event_type: str,
    data: dict[str, Any],
) -> None:
    """One delivery per active subscription wanting `kind` in this region and event type."""
    event_id = data.get("event_id")
    await session.execute(
        _ENQUEUE,
        {
            "event_id": None if event_id is None else str(event_id),
            "region_code": region_code,
            "event_type": event_type,
            **params(kind, data),
        },
    )


# An occurrence of a whole part of the queue (an SLA over regions and event
# types), not of one event: a subscription hears of it when its filters share a
# region and an event type with that part (no event types: every type).
_ENQUEUE_SCOPED = text(
    """
    INSERT INTO webhook_deliveries (webhook_id, kind, event_id, body)
    SELECT s.webhook_id, CAST(:webhook_kind AS text), NULL,
           jsonb_build_object(
               'type', CAST(:webhook_kind AS text),
               'timestamp', CAST(:webhook_at AS text),
               'data', CAST(:webhook_data AS jsonb)
           )
    FROM webhook_subscriptions AS s
    WHERE s.active
      AND CAST(:webhook_kind AS text) = ANY(s.kinds)
      AND (cardinality(s.regions) = 0 OR CAST(s.regions AS text[]) && CAST(:regions AS text[]))
      AND (cardinality(s.event_types) = 0 OR cardinality(CAST(:event_types AS text[])) = 0
           OR CAST(s.event_types AS text[]) && CAST(:event_types AS text[]))
    """
)


async def enqueue_scoped(
    session: AsyncSession,
    kind: WebhookKind,
    *,
    regions: list[str],
    event_types: list[str],
    data: dict[str, Any],
) -> None:
    """One delivery per active subscription wanting `kind` whose filters overlap these
    regions and event types (an empty `event_types`: every type)."""
    await session.execute(
        _ENQUEUE_SCOPED, {"regions": regions, "event_types": event_types, **params(kind, data)}
    )
