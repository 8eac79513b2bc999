from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event, RetentionPolicy
from event_review.central.regions import service as regions
from event_review.central.retention.service import purge
from event_review.runtime.database import Database
from event_review.runtime.errors import Unprocessable
from tests.factories import TEST, Factory


async def complete(session: AsyncSession, region: str, days_ago: float) -> None:
    await session.execute(
        update(Event)
        .where(Event.region_code == region)
        .values(status="completed", completed_at=datetime.now(UTC) - timedelta(days=days_ago))
    )
    await session.commit()


async def remaining(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Event.region_code, func.count()).group_by(Event.region_code)
    )
    return {row[0]: row[1] for row in rows}


async def test_purge_follows_each_regions_policy(
    factory: Factory, session: AsyncSession, database: Database
) -> None:
    for region, policy, days in (
        ("us", RetentionPolicy.KEEP, None),
        ("eu", RetentionPolicy.DELETE_ON_COMPLETE, None),
        ("ca", RetentionPolicy.PURGE_AFTER_DAYS, 30),
        ("apac", RetentionPolicy.PURGE_AFTER_DAYS, 30),
    ):
        await factory.ingest(region, 3)
        await regions.set_retention(session, region, policy, days, actor=TEST)
    await session.commit()
    await complete(session, "us", 400)
    await complete(session, "eu", 0.001)
    await complete(session, "ca", 31)  # past its 30 days
    await complete(session, "apac", 29)  # not yet
    [pending_eu] = await factory.ingest("eu", 1)  # not completed: never purged

    counts = await purge(database.sessionmaker, chunk=2)

    assert counts == {"eu": 3, "ca": 3}
    assert await remaining(session) == {"us": 3, "apac": 3, "eu": 1}
    assert str(await session.scalar(select(Event.event_id).where(Event.region_code == "eu"))) == (
        pending_eu
    )
    purged = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "event.purged")
    )
    ingested = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "event.ingested")
    )
    assert (purged, ingested) == (6, 13)
    assert await purge(database.sessionmaker) == {}


@pytest.mark.parametrize(
    ("policy", "days"),
    [(RetentionPolicy.PURGE_AFTER_DAYS, None), (RetentionPolicy.KEEP, 5)],
)
async def test_days_go_with_purge_after_days_only(
    factory: Factory, session: AsyncSession, policy: RetentionPolicy, days: int | None
) -> None:
    await factory.region("eu")
    with pytest.raises(Unprocessable):
        await regions.set_retention(session, "eu", policy, days, actor=TEST)
