from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import cast, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from event_review.regional.store.models import RegionalEvent, ReviewRequest, ReviewRevisionRecord


async def payload_text(session: AsyncSession, external_event_id: str) -> str | None:
    """The payload as PostgreSQL renders it: no parse and re-serialise on the way out."""
    return await session.scalar(
        select(cast(RegionalEvent.payload, Text)).where(
            RegionalEvent.external_event_id == external_event_id
        )
    )


async def lock_event(session: AsyncSession, external_event_id: str) -> RegionalEvent | None:
    return await session.scalar(
        select(RegionalEvent)
        .where(RegionalEvent.external_event_id == external_event_id)
        .with_for_update()
    )


async def stored_response(session: AsyncSession, key: str) -> ReviewRequest | None:
    return await session.scalar(
        select(ReviewRequest)
        .where(ReviewRequest.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


async def record_review(
    session: AsyncSession, external_event_id: str, values: dict[str, Any]
) -> None:
    await session.execute(
        update(RegionalEvent)
        .where(RegionalEvent.external_event_id == external_event_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def remember_response(
    session: AsyncSession, key: str, external_event_id: str, response: dict[str, Any]
) -> None:
    await session.execute(
        insert(ReviewRequest).values(
            idempotency_key=key, external_event_id=external_event_id, response=response
        )
    )


async def get_revision(
    session: AsyncSession, external_event_id: str, revision: int
) -> ReviewRevisionRecord | None:
    return await session.get(ReviewRevisionRecord, (external_event_id, revision))


async def add_revision(
    session: AsyncSession,
    external_event_id: str,
    revision: int,
    kind: str,
    reviewer: str,
    reviewed_at: datetime,
    document: dict[str, Any],
) -> ReviewRevisionRecord:
    row = ReviewRevisionRecord(
        external_event_id=external_event_id,
        revision=revision,
        kind=kind,
        reviewer=reviewer,
        reviewed_at=reviewed_at,
        document=document,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row, ["recorded_at"])
    return row


async def get_event(session: AsyncSession, external_event_id: str) -> RegionalEvent | None:
    return await session.get(RegionalEvent, external_event_id)


async def revisions(
    session: AsyncSession, external_event_id: str
) -> Sequence[ReviewRevisionRecord]:
    return (
        await session.scalars(
            select(ReviewRevisionRecord)
            .where(ReviewRevisionRecord.external_event_id == external_event_id)
            .order_by(ReviewRevisionRecord.revision)
        )
    ).all()
