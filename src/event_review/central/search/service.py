"""Who searches what: leads within their team's regions, admins anywhere; everyone their
own history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.audit.schemas import AuditOut
from event_review.central.db.models import AuditAction, Event, Role
from event_review.central.events.schemas import EventOut
from event_review.central.identity.principal import Principal
from event_review.central.paging import KeysetPage, decode_cursor, keyset_page
from event_review.central.regions import repository as regions
from event_review.central.regions.service import known_codes
from event_review.central.search import export, repository
from event_review.central.search.export import ExportFormat
from event_review.central.search.filters import EventFilters, SortBy
from event_review.central.users import repository as users
from event_review.runtime.errors import Forbidden, NotFound


async def _scope(session: AsyncSession, principal: Principal, named: Sequence[str]) -> set[str]:
    """The regions searched: those named, or every one the caller sees."""
    if principal.role is Role.ADMIN:
        if named:
            return set(await known_codes(session, named))
        return {r.code for r in await regions.list_regions(session)}
    outside = sorted(set(named) - principal.region_codes)
    if outside:
        raise Forbidden(
            f"your team does not cover {', '.join(outside)}; search within "
            f"{', '.join(sorted(principal.region_codes)) or 'no region'}",
            code="region_not_in_team",
        )
    return set(named) or set(principal.region_codes)


def _sort_key(sort: SortBy) -> Callable[[Event], tuple[datetime, str]]:
    def key(event: Event) -> tuple[datetime, str]:
        value = event.created_at if sort is SortBy.INGESTED else event.reviewed_at
        assert value is not None  # sorting by review time lists reviewed events only
        return value, str(event.event_id)

    return key


async def resolve(
    session: AsyncSession,
    principal: Principal,
    named_regions: Sequence[str],
    filters: EventFilters,
    reviewer: str | None,
) -> tuple[set[str], EventFilters]:
    """The regions in scope, and the filters with the reviewer's id."""
    scope = await _scope(session, principal, named_regions)
    if reviewer is None:
        return scope, filters
    user = await users.get_user(session, reviewer)
    if user is None:  # a typo would otherwise read as "they reviewed nothing"
        raise NotFound(f"nobody is called {reviewer!r}", code="unknown_reviewer")
    return scope, replace(filters, reviewer_id=user.user_id)


async def search_events(
    session: AsyncSession,
    principal: Principal,
    named_regions: Sequence[str],
    filters: EventFilters,
    reviewer: str | None,
    sort: SortBy,
    after: str | None,
    limit: int,
) -> KeysetPage[EventOut]:
    position = decode_cursor(after, id_kind=uuid.UUID) if after else None
    scope, resolved = await resolve(session, principal, named_regions, filters, reviewer)
    rows = await repository.search(session, scope, resolved, sort, position, limit)
    return keyset_page(rows, limit, _sort_key(sort), EventOut.model_validate)


async def export_events(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: Principal,
    named_regions: Sequence[str],
    filters: EventFilters,
    reviewer: str | None,
    sort: SortBy,
    fmt: ExportFormat,
) -> tuple[AsyncIterator[bytes], str]:
    """The rows of a whole search, and a file name for them. Checked and audited before the
    first byte goes out; read afterwards, batch by batch."""
    scope, resolved = await resolve(session, principal, named_regions, filters, reviewer)
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.SEARCH_EXPORTED,
        details={"format": fmt.value, "regions": sorted(scope), "sort": sort.value},
    )
    filename = f"events-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{fmt.value}"
    return export.stream(sessionmaker, scope, resolved, sort, fmt), filename


async def own_history(
    session: AsyncSession, principal: Principal, after: str | None, limit: int
) -> KeysetPage[AuditOut]:
    position = decode_cursor(after, id_kind=int) if after else None
    rows = await repository.history(session, principal.actor, position, limit)
    return keyset_page(rows, limit, audit.page_key, AuditOut.model_validate)
