"""One event's review text: from the centre while it holds it, else from the region."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event
from event_review.central.review_text import repository
from event_review.central.review_text.schemas import ReviewText, RevisionText
from event_review.contracts.regional import ReviewRevision

# Asked only when some revision's text was cleared here: revision number → revision.
RegionHistory = Callable[[], Awaitable[Mapping[int, ReviewRevision]]]


def _text_fields(fields: Mapping[str, Any] | None, keys: list[str]) -> dict[str, str]:
    return {k: v for k, v in (fields or {}).items() if k in keys and isinstance(v, str)}


async def review_text(
    session: AsyncSession, event: Event, policy: str, from_region: RegionHistory
) -> ReviewText:
    rows = await repository.texts(session, event.event_id)
    history: Mapping[int, ReviewRevision] = {}
    if any(row.cleared for row in rows):
        history = await from_region()
    out = []
    for row in rows:
        kept = history.get(row.revision) if row.cleared else None
        if kept is not None:
            out.append(
                RevisionText(
                    revision=row.revision,
                    source="region",
                    comment=kept.comment,
                    note=kept.note,
                    fields=_text_fields(kept.fields, row.text_keys),
                )
            )
        else:
            # Not cleared; or cleared and the region lacks it (restored from an
            # older backup, or purged there), which is said rather than hidden.
            out.append(
                RevisionText(
                    revision=row.revision,
                    source="unavailable" if row.cleared else "central",
                    comment=row.comment,
                    note=row.note,
                    fields=_text_fields(row.fields, row.text_keys),
                )
            )
    return ReviewText(policy=policy, revisions=out)
