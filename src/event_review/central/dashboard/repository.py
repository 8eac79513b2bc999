"""Aggregates for the dashboard. Counts only: never a payload, never a comment.

`regions=None` means every region (an admin); otherwise only those codes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditEntry,
    Event,
    EventStatus,
    OutboxStatus,
    Region,
    WritebackOutbox,
)

# The dashboard polls every few seconds; a slow aggregate must not pile up behind it.
STATEMENT_TIMEOUT = "5s"

# Hours in UTC, as naive timestamps, so the buckets do not depend on the
# session's time zone.
_EVENT_HOUR = func.date_trunc("hour", func.timezone("UTC", AuditEntry.occurred_at))
_DELIVERED_HOUR = func.date_trunc("hour", func.timezone("UTC", WritebackOutbox.delivered_at))
_LAG_SECONDS = func.extract("epoch", WritebackOutbox.delivered_at - WritebackOutbox.created_at)


@dataclass(frozen=True)
class StatusCount:
    region_code: str
    status: str
    count: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True)
class HourCount:
    hour: datetime  # naive, UTC
    region_code: str | None  # None: the event is no longer held centrally
    count: int


@dataclass(frozen=True)
class HourLag:
    hour: datetime  # naive, UTC
    average_seconds: float
    max_seconds: float


async def limit_time(session: AsyncSession) -> None:
    await session.execute(text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"))


async def region_codes(session: AsyncSession, regions: Collection[str] | None) -> list[str]:
    stmt = select(Region.code).order_by(Region.code)
    if regions is not None:
        stmt = stmt.where(Region.code.in_(list(regions)))
    return list((await session.scalars(stmt)).all())


async def status_counts(
    session: AsyncSession, regions: Collection[str] | None
) -> Sequence[StatusCount]:
    stmt = select(
        Event.region_code,
        Event.status,
        func.count(),
        func.min(Event.created_at).filter(Event.status == EventStatus.PENDING),
    ).group_by(Event.region_code, Event.status)
    if regions is not None:
        stmt = stmt.where(Event.region_code.in_(list(regions)))
    return [StatusCount(*row) for row in await session.execute(stmt)]


async def writeback_counts(
    session: AsyncSession, regions: Collection[str] | None
) -> tuple[int, int, datetime | None]:
    """(pending, failed, created_at of the oldest pending). Delivered rows are not counted:
    there are as many as there were reviews, and nobody acts on their number."""
    stmt = select(
        func.count().filter(WritebackOutbox.status == OutboxStatus.PENDING),
        func.count().filter(WritebackOutbox.status == OutboxStatus.FAILED),
        func.min(WritebackOutbox.created_at).filter(WritebackOutbox.status == OutboxStatus.PENDING),
    ).where(WritebackOutbox.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
    if regions is not None:
        stmt = stmt.where(WritebackOutbox.region_code.in_(list(regions)))
    pending, failed, oldest = (await session.execute(stmt)).one()
    return int(pending), int(failed), oldest


async def reviews_per_hour(
    session: AsyncSession, regions: Collection[str] | None, since: datetime
) -> Sequence[HourCount]:
    """Reviews by hour and region, from the audit log: it outlives purged events.

    The region comes from the event row while the centre still holds it.
    """
    stmt = (
        select(_EVENT_HOUR, Event.region_code, func.count())
        .select_from(AuditEntry)
        .outerjoin(Event, Event.event_id == AuditEntry.event_id)
        .where(AuditEntry.action == "event.reviewed", AuditEntry.occurred_at >= since)
        .group_by(_EVENT_HOUR, Event.region_code)
    )
    if regions is not None:
        stmt = stmt.where(Event.region_code.in_(list(regions)))
    return [HourCount(*row) for row in await session.execute(stmt)]


async def writeback_lag_per_hour(
    session: AsyncSession, regions: Collection[str] | None, since: datetime
) -> Sequence[HourLag]:
    """From review (the outbox row is written with it) to the region's confirmation."""
    stmt = (
        select(_DELIVERED_HOUR, func.avg(_LAG_SECONDS), func.max(_LAG_SECONDS))
        .where(
            and_(
                WritebackOutbox.status == OutboxStatus.DELIVERED,
                WritebackOutbox.delivered_at >= since,
            )
        )
        .group_by(_DELIVERED_HOUR)
    )
    if regions is not None:
        stmt = stmt.where(WritebackOutbox.region_code.in_(list(regions)))
    return [HourLag(row[0], float(row[1]), float(row[2])) for row in await session.execute(stmt)]


async def database_now(session: AsyncSession) -> datetime:
    """Ages are measured against the database's clock, the one that stamped the rows."""
    now: datetime | None = await session.scalar(select(func.now()))
    assert now is not None
    return now


async def reviews_since(
    session: AsyncSession, regions: Collection[str] | None, since: datetime
) -> int:
    stmt = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "event.reviewed", AuditEntry.occurred_at >= since)
    )
    if regions is not None:
        stmt = stmt.join(Event, Event.event_id == AuditEntry.event_id).where(
            Event.region_code.in_(list(regions))
        )
    return int(await session.scalar(stmt) or 0)


async def average_lag_since(
    session: AsyncSession, regions: Collection[str] | None, since: datetime
) -> float | None:
    stmt = select(func.avg(_LAG_SECONDS)).where(
        WritebackOutbox.status == OutboxStatus.DELIVERED, WritebackOutbox.delivered_at >= since
    )
    if regions is not None:
        stmt = stmt.where(WritebackOutbox.region_code.in_(list(regions)))
    average = await session.scalar(stmt)
    return None if average is None else float(average)
