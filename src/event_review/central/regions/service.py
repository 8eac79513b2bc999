"""Regions: where events come from, where their payloads stay, and their ingest keys.

One service for the command line and the admin API, so each rule is written
once: the region code (contracts.fields), the API URL, the retention policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, Region, RetentionPolicy, ReviewTextPolicy
from event_review.central.identity.actor import Actor
from event_review.central.paging import Page, page_of
from event_review.central.regions import repository
from event_review.central.regions.keys import digest, new_ingest_key
from event_review.central.regions.schemas import RegionCreated, RegionOut, RegionUpdate
from event_review.central.review_text.repository import clear_region
from event_review.contracts.fields import (
    forbidden_character,
    normalise_region_code,
    region_code_problem,
)
from event_review.runtime.errors import Conflict, NotFound, Unprocessable


def checked_code(code: str) -> str:
    normalised = normalise_region_code(code)
    problem = region_code_problem(normalised)
    if problem is not None:
        raise Unprocessable(problem, code="invalid_region_code")
    return normalised


def checked_api_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or forbidden_character(url) is not None
    ):
        raise Unprocessable(
            f"api URL {url!r} must be an absolute http(s) URL, e.g. https://eu.example.com",
            code="invalid_api_url",
        )
    return url.strip().rstrip("/")


def checked_retention(policy: RetentionPolicy, days: int | None) -> int | None:
    """Days go with purge_after_days, and only with it (the table's check says the same)."""
    if (policy is RetentionPolicy.PURGE_AFTER_DAYS) != (days is not None):
        raise Unprocessable(
            "retention days go with the policy purge_after_days, and only with it",
            code="invalid_retention",
        )
    if days is not None and days < 0:
        raise Unprocessable("retention days must be 0 or more", code="invalid_retention")
    return days


async def known_codes(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    """The codes, normalised and sorted; every one must name a registered region."""
    checked = sorted({checked_code(c) for c in codes if c.strip()})
    unknown = sorted(set(checked) - await repository.existing_region_codes(session, checked))
    if unknown:
        raise NotFound(
            f"unknown region(s): {', '.join(unknown)}; add them with `event-review regions add`",
            code="unknown_region",
        )
    return checked


async def _region(session: AsyncSession, code: str) -> Region:
    region = await repository.get_region(session, checked_code(code))
    if region is None:
        raise NotFound(f"unknown region {normalise_region_code(code)!r}", code="unknown_region")
    return region


def region_out(region: Region) -> RegionOut:
    return RegionOut(
        code=region.code,
        api_url=region.api_url,
        retention_policy=region.retention_policy,
        retention_days=region.retention_days,
        review_text=region.review_text,
        created_at=region.created_at,
    )


async def add_region(
    session: AsyncSession, code: str, api_url: str, *, actor: Actor
) -> RegionCreated:
    """Register a region with its first ingest key (shown once: only a digest is kept)."""
    code = checked_code(code)
    api_url = checked_api_url(api_url)
    if await repository.get_region(session, code) is not None:
        raise Conflict(f"region {code!r} already exists", code="region_exists")
    await repository.add_region(session, code, api_url)
    # The first key takes the same path as every later one (rotation).
    key = new_ingest_key()
    await repository.add_ingest_key(session, code, digest(key), revoke_others=False)
    await audit.record(
        session, actor=actor, action=AuditAction.REGION_ADDED,
        details={"code": code, "api_url": api_url},
    )  # fmt: skip
    return RegionCreated(code=code, api_url=api_url, ingest_key=key)


async def list_regions(session: AsyncSession) -> list[RegionOut]:
    return [region_out(r) for r in await repository.list_regions(session)]


async def regions_page(session: AsyncSession, limit: int, offset: int) -> Page[RegionOut]:
    return page_of(await repository.list_regions(session, limit, offset), limit, offset, region_out)


# A retention change: the policy (None: keep the current one) and its days.
Retention = tuple[RetentionPolicy | None, int | None]


async def update_region(
    session: AsyncSession, code: str, changes: RegionUpdate, *, actor: Actor
) -> RegionOut:
    """The admin API's PATCH: the fields left out stay as they are."""
    given = changes.model_fields_set
    retention: Retention | None = None
    if "retention_policy" in given or "retention_days" in given:
        days = changes.retention_days if "retention_days" in given else None
        retention = (changes.retention_policy, days)
    api_url = changes.api_url if "api_url" in given else None
    return await _change(
        session, code, api_url=api_url, retention=retention, review_text=changes.review_text,
        actor=actor,
    )  # fmt: skip


async def set_retention(
    session: AsyncSession, code: str, policy: RetentionPolicy, days: int | None, *, actor: Actor
) -> RegionOut:
    """The command line's way to the same change."""
    return await _change(session, code, api_url=None, retention=(policy, days), actor=actor)


async def set_review_text(
    session: AsyncSession, code: str, policy: ReviewTextPolicy, *, actor: Actor
) -> RegionOut:
    """The command line's way to a region's review-text policy."""
    return await _change(
        session, code, api_url=None, retention=None, review_text=policy, actor=actor
    )


async def _change(
    session: AsyncSession,
    code: str,
    *,
    api_url: str | None,
    retention: Retention | None,
    review_text: ReviewTextPolicy | None = None,
    actor: Actor,
) -> RegionOut:
    region = await _region(session, code)
    changed: dict[str, object] = {}
    if api_url is not None:
        region.api_url = checked_api_url(api_url)
        changed["api_url"] = region.api_url
    if retention is not None:
        policy = retention[0] or RetentionPolicy(region.retention_policy)
        region.retention_days = checked_retention(policy, retention[1])
        region.retention_policy = policy.value
        changed.update(retention_policy=policy.value, retention_days=region.retention_days)
    if review_text is not None:
        # From here on: revisions made before stay as they are (a delivered one's text
        # is in the region either way); later deliveries follow the new policy.
        region.review_text = review_text.value
        changed["review_text"] = review_text.value
        if review_text is ReviewTextPolicy.REGIONAL:
            await session.flush()
            changed["text_cleared_revisions"] = await clear_region(session, region.code)
    await session.flush()
    await audit.record(
        session, actor=actor, action=AuditAction.REGION_UPDATED,
        details={"code": region.code, **changed},
    )  # fmt: skip
    return region_out(region)


async def issue_ingest_key(
    session: AsyncSession, code: str, *, revoke_others: bool, actor: Actor
) -> str:
    """A new ingest key for a region; with `revoke_others`, older keys stop working now."""
    region = await _region(session, code)
    key = new_ingest_key()
    await repository.add_ingest_key(session, region.code, digest(key), revoke_others=revoke_others)
    await audit.record(
        session, actor=actor, action=AuditAction.REGION_INGEST_KEY_ISSUED,
        details={"code": region.code, "revoked_others": revoke_others},
    )  # fmt: skip
    return key


async def revoke_old_ingest_keys(session: AsyncSession, code: str, *, actor: Actor) -> int:
    """End a rotation: every key of the region but the newest stops working."""
    region = await _region(session, code)
    revoked = await repository.revoke_all_but_newest_key(session, region.code)
    await audit.record(
        session, actor=actor, action=AuditAction.REGION_INGEST_KEYS_REVOKED,
        details={"code": region.code, "revoked": revoked},
    )  # fmt: skip
    return revoked


async def region_of_key(session: AsyncSession, key: str) -> str | None:
    """The region whose live ingest key this is, or None."""
    return await repository.region_for_key(session, digest(key))
