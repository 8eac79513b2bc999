from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import IngestKey, Region


async def get_region(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def add_region(session: AsyncSession, code: str, api_url: str) -> Region:
    region = Region(code=code, api_url=api_url)
    session.add(region)
    await session.flush()
    await session.refresh(region)
    return region


async def list_regions(
    session: AsyncSession, limit: int | None = None, offset: int = 0
) -> Sequence[Region]:
    """Every region by code, or one page of them (limit + 1 rows: see central.paging)."""
    stmt = select(Region).order_by(Region.code).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    return (await session.scalars(stmt)).all()


async def existing_region_codes(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    result = await session.scalars(select(Region.code).where(Region.code.in_(codes)))
    return set(result.all())


async def region_for_key(session: AsyncSession, key_hash: str) -> str | None:
    """The region a live ingest key belongs to."""
    return await session.scalar(
        select(IngestKey.region_code).where(
            IngestKey.key_hash == key_hash, IngestKey.revoked_at.is_(None)
        )
    )


async def add_ingest_key(
    session: AsyncSession, code: str, key_hash: str, *, revoke_others: bool
) -> None:
    if revoke_others:
        await session.execute(
            update(IngestKey)
            .where(IngestKey.region_code == code, IngestKey.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
    await session.execute(insert(IngestKey).values(region_code=code, key_hash=key_hash))


async def revoke_all_but_newest_key(session: AsyncSession, code: str) -> int:
    newest = (
        select(IngestKey.key_id)
        .where(IngestKey.region_code == code, IngestKey.revoked_at.is_(None))
        .order_by(IngestKey.created_at.desc(), IngestKey.key_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    result = await session.execute(
        update(IngestKey)
        .where(
            IngestKey.region_code == code,
            IngestKey.revoked_at.is_(None),
            IngestKey.key_id != newest,
        )
        .values(revoked_at=func.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
