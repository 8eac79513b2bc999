"""Clearing what reviewers typed once the region holds it, and reading what is left here.

What is typed: a revision's comment and note, the form's text fields, and the
escalation note. The form version a revision was made with says which of its
fields are text, so one statement clears rows of any form.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

# `{selector}` picks review_revisions rows (alias r) to clear. Rows already
# cleared are left alone, so clearing twice is harmless.
CLEAR_TEMPLATE = """
    WITH target AS (
        SELECT r.event_id, r.revision,
               COALESCE(ARRAY(
                   SELECT f ->> 'key' FROM jsonb_array_elements(fm.definition -> 'fields') AS f
                   WHERE f ->> 'kind' = 'text'
               ), '{{}}') AS text_keys
        FROM review_revisions AS r
        JOIN review_forms AS fm ON fm.form_key = r.form_key AND fm.version = r.form_version
        WHERE r.text_cleared_at IS NULL AND {selector}
        FOR UPDATE OF r
    ),
    revisions AS (
        UPDATE review_revisions AS r
        SET comment = NULL, note = NULL, text_cleared_at = now(),
            answers = jsonb_set(r.answers, '{{fields}}',
                                COALESCE(r.answers -> 'fields', '{{}}') - t.text_keys)
        FROM target AS t
        WHERE r.event_id = t.event_id AND r.revision = t.revision
        RETURNING r.event_id, r.revision, t.text_keys
    ),
    -- Per event, the newest revision cleared: the event's own columns hold its
    -- text only if that is still the event's current revision.
    newest AS (
        SELECT DISTINCT ON (event_id) event_id, revision, text_keys
        FROM revisions ORDER BY event_id, revision DESC
    ),
    events_cleared AS (
        UPDATE events AS e
        SET escalation_note = NULL,
            review_comment = CASE WHEN e.review_revision = n.revision THEN NULL
                                  ELSE e.review_comment END,
            review_answers = CASE
                WHEN e.review_revision = n.revision AND e.review_answers IS NOT NULL
                THEN jsonb_set(e.review_answers, '{{fields}}',
                               COALESCE(e.review_answers -> 'fields', '{{}}') - n.text_keys)
                ELSE e.review_answers END
        FROM newest AS n
        WHERE e.event_id = n.event_id
    ),
    outbox_cleared AS (
        UPDATE writeback_outbox AS o
        SET outcome = jsonb_set(o.outcome - 'comment' - 'note', '{{fields}}',
                                COALESCE(o.outcome -> 'fields', '{{}}') - rv.text_keys)
        FROM revisions AS rv
        WHERE o.event_id = rv.event_id AND o.status = 'delivered'
          AND CAST(o.outcome ->> 'revision' AS integer) = rv.revision
    )
    SELECT count(*) FROM revisions
"""

_CLEAR_DELIVERED = text(
    CLEAR_TEMPLATE.format(selector="r.event_id = :event_id AND r.revision = :revision")
)
_CLEAR_REGION = text(
    CLEAR_TEMPLATE.format(
        selector="""r.event_id IN (SELECT event_id FROM events WHERE region_code = :code)
        AND EXISTS (
            SELECT 1 FROM writeback_outbox AS o
            WHERE o.event_id = r.event_id AND o.status = 'delivered'
              AND CAST(o.outcome ->> 'revision' AS integer) = r.revision
        )"""
    )
)


async def clear_delivered(session: AsyncSession, event_id: uuid.UUID, revision: int) -> int:
    """Clear one revision's text here: its write-back has just been delivered."""
    result = await session.execute(_CLEAR_DELIVERED, {"event_id": event_id, "revision": revision})
    return int(result.scalar_one())


async def clear_region(session: AsyncSession, code: str) -> int:
    """Clear the text of every delivered revision of a region (its policy became
    `regional`); returns how many revisions were cleared."""
    result = await session.execute(_CLEAR_REGION, {"code": code})
    return int(result.scalar_one())


_TEXTS = text(
    """
    SELECT r.revision, r.comment, r.note, r.answers -> 'fields' AS fields,
           r.text_cleared_at IS NOT NULL AS cleared,
           ARRAY(
               SELECT f ->> 'key' FROM jsonb_array_elements(fm.definition -> 'fields') AS f
               WHERE f ->> 'kind' = 'text'
           ) AS text_keys
    FROM review_revisions AS r
    JOIN review_forms AS fm ON fm.form_key = r.form_key AND fm.version = r.form_version
    WHERE r.event_id = :event_id
    ORDER BY r.revision
    """
)


async def texts(session: AsyncSession, event_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Each revision's typed text as the centre holds it, and whether it was cleared."""
    return (await session.execute(_TEXTS, {"event_id": event_id})).all()
