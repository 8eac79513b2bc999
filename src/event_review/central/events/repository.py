from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import TextClause, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from event_review.central.db.models import Event, QaStatus, QaTask, Region

# Raw statements that return whole events end in `SELECT {EVENT_COLUMNS}`: the
# result then lines up with the model by position and by name alike, whatever
# order migrations left the table's columns in (`SELECT *` would follow the table).
EVENT_COLUMNS = ", ".join(column.name for column in Event.__table__.columns)


def returning_events(statement: TextClause) -> TextualSelect:
    """`statement` with typed result columns: UUIDs, JSONB and datetimes as the ORM loads them."""
    return statement.columns(*Event.__table__.columns)


async def get(
    session: AsyncSession, event_id: uuid.UUID, *, for_update: bool = False
) -> Event | None:
    stmt = select(Event).where(Event.event_id == event_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_many(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Event]:
    """Events by id, in one statement."""
    if not event_ids:
        return {}
    found = await session.scalars(select(Event).where(Event.event_id.in_(list(event_ids))))
    return {event.event_id: event for event in found}


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


async def held_for_qa(session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """The user holds the event's QA task under an unexpired lease."""
    found = await session.scalar(
        select(QaTask.task_id).where(
            QaTask.event_id == event_id,
            QaTask.status == QaStatus.ASSIGNED,
            QaTask.assigned_user_id == user_id,
            QaTask.lease_expires_at > func.now(),
        )
    )
    return found is not None
