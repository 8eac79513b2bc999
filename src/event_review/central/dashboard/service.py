from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.dashboard import charts, repository
from event_review.central.dashboard.schemas import Dashboard, RegionQueue, WritebackHealth
from event_review.central.db.models import EventStatus, Role
from event_review.central.identity.principal import Principal

# Events no longer held centrally (purged) have no region; their reviews still count.
UNKNOWN_REGION = "other"


def scope(principal: Principal) -> frozenset[str] | None:
    """Admins see every region; a lead sees their team's regions."""
    return None if principal.role is Role.ADMIN else principal.region_codes


def _seconds(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max(0.0, (now - then).total_seconds()), 1)


async def summary(session: AsyncSession, principal: Principal) -> Dashboard:
    regions = scope(principal)
    await repository.limit_time(session)
    now = await repository.database_now(session)
    codes = await repository.region_codes(session, regions)
    queues = {code: RegionQueue(region_code=code) for code in codes}
    for row in await repository.status_counts(session, regions):
        queue = queues.setdefault(row.region_code, RegionQueue(region_code=row.region_code))
        setattr(queue, EventStatus(row.status).value, row.count)
        if row.oldest_pending_at is not None:
            queue.oldest_pending_at = row.oldest_pending_at
            queue.oldest_pending_seconds = _seconds(now, row.oldest_pending_at)
    ordered = [queues[code] for code in sorted(queues)]
    oldest = min((q.oldest_pending_at for q in ordered if q.oldest_pending_at), default=None)
    pending, failed, oldest_writeback = await repository.writeback_counts(session, regions)
    hour_ago = now - timedelta(hours=1)
    return Dashboard(
        generated_at=now,
        scope=sorted(regions) if regions is not None else None,
        regions=ordered,
        totals=RegionQueue(
            region_code="all",
            pending=sum(q.pending for q in ordered),
            assigned=sum(q.assigned for q in ordered),
            submitted=sum(q.submitted for q in ordered),
            completed=sum(q.completed for q in ordered),
            oldest_pending_at=oldest,
            oldest_pending_seconds=_seconds(now, oldest),
        ),
        writebacks=WritebackHealth(
            pending=pending, failed=failed, oldest_pending_seconds=_seconds(now, oldest_writeback)
        ),
        reviews_last_hour=await repository.reviews_since(session, regions, hour_ago),
        writeback_lag_last_hour_seconds=await repository.average_lag_since(
            session, regions, hour_ago
        ),
    )


def _buckets(now: datetime, hours: int) -> list[datetime]:
    """The last `hours` hours, oldest first, the current (unfinished) hour last; naive UTC,
    like the hours the repository returns."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    return [current - timedelta(hours=hours - 1 - i) for i in range(hours)]


async def reviews_chart(session: AsyncSession, principal: Principal, hours: int) -> bytes:
    regions = scope(principal)
    await repository.limit_time(session)
    buckets = _buckets(await repository.database_now(session), hours)
    index = {hour: i for i, hour in enumerate(buckets)}
    series = {code: [0] * hours for code in await repository.region_codes(session, regions)}
    since = buckets[0].replace(tzinfo=UTC)
    for row in await repository.reviews_per_hour(session, regions, since):
        if row.hour in index:
            code = row.region_code or UNKNOWN_REGION
            series.setdefault(code, [0] * hours)[index[row.hour]] += row.count
    # Drawing is milliseconds of pure Python: off the event loop, like password hashing.
    return await anyio.to_thread.run_sync(partial(charts.reviews_per_hour, buckets, series))


async def lag_chart(session: AsyncSession, principal: Principal, hours: int) -> bytes:
    regions = scope(principal)
    await repository.limit_time(session)
    buckets = _buckets(await repository.database_now(session), hours)
    index = {hour: i for i, hour in enumerate(buckets)}
    average: list[float | None] = [None] * hours
    slowest: list[float | None] = [None] * hours
    since = buckets[0].replace(tzinfo=UTC)
    for row in await repository.writeback_lag_per_hour(session, regions, since):
        if row.hour in index:
            average[index[row.hour]] = round(row.average_seconds, 2)
            slowest[index[row.hour]] = round(row.max_seconds, 2)
    return await anyio.to_thread.run_sync(partial(charts.writeback_lag, buckets, average, slowest))
