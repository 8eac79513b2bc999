"""Event searches: one ordered index scan per region, merged, on a keyset.

A search is always within a set of regions (a lead's team's, or those an admin
names). `region_code = ANY(...)` cannot use an index's order, so it would sort
every match before returning a page; instead each region's slice of
ix_events_search_ingested (or ..._reviewed) is walked in order with the
filters applied, at most a page from each, and the few rows merged. The
keyset condition is an index condition, so page 100 costs what page 1 does.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    Subquery,
    bindparam,
    func,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import ActorType, AuditEntry, Event
from event_review.central.db.models.audit import HISTORY_ACTIONS
from event_review.central.paging import Position
from event_review.central.search.filters import EventFilters, SortBy, Window


def _sort_column(sort: SortBy) -> ColumnElement[object]:
    column = Event.created_at if sort is SortBy.INGESTED else Event.reviewed_at
    return column  # type: ignore[return-value]


def _within(column: ColumnElement[object], window: Window) -> list[ColumnElement[bool]]:
    conditions = []
    if window.since is not None:
        conditions.append(column >= window.since)
    if window.until is not None:
        conditions.append(column < window.until)
    return conditions


def conditions(filters: EventFilters, sort: SortBy) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.statuses:
        found.append(Event.status.in_([s.value for s in filters.statuses]))
    if filters.event_type is not None:
        found.append(Event.event_type == filters.event_type)
    if filters.device_id is not None:
        found.append(Event.device_id == filters.device_id)
    if filters.external_event_id is not None:
        found.append(Event.external_event_id == filters.external_event_id)
    if filters.decision is not None:
        found.append(Event.review_decision == filters.decision)
    if filters.reason is not None:
        reasons, code = filters.reason
        found.append(Event.review_answers.contains({"reasons": {reasons: [code]}}))
    if filters.reviewer_id is not None:
        found.append(Event.review_user_id == filters.reviewer_id)
    found += _within(Event.occurred_at, filters.occurred)  # type: ignore[arg-type]
    found += _within(Event.created_at, filters.ingested)  # type: ignore[arg-type]
    found += _within(Event.reviewed_at, filters.reviewed)  # type: ignore[arg-type]
    if sort is SortBy.REVIEWED:
        found.append(Event.reviewed_at.is_not(None))
    return found


def _page(
    regions: Collection[str],
    filters: EventFilters,
    sort: SortBy,
    after: Position | None,
    limit: int,
) -> Subquery:
    """The ids and sort keys of a page (limit + 1 rows), merged from each region's scan."""
    key = _sort_column(sort)
    where = conditions(filters, sort)
    if after is not None:
        where.append(tuple_(key, Event.event_id) < tuple_(after.value, uuid.UUID(after.row_id)))
    scoped = bindparam("regions", sorted(regions), type_=ARRAY(String))
    code = func.unnest(scoped).table_valued("code").render_derived(name="r")
    per_region = (
        select(Event.event_id, key.label("k"))
        .where(Event.region_code == code.c.code, *where)
        .order_by(key.desc(), Event.event_id.desc())
        .limit(limit + 1)
        .lateral("c")
    )
    return (
        select(per_region.c.event_id, per_region.c.k)
        .select_from(code)
        .join(per_region, true())
        .order_by(per_region.c.k.desc(), per_region.c.event_id.desc())
        .limit(limit + 1)
        .subquery("page")
    )


def search_statement(
    regions: Collection[str],
    filters: EventFilters,
    sort: SortBy,
    after: Position | None,
    limit: int,
) -> Select[Event]:
    page = _page(regions, filters, sort, after, limit)
    return (
        select(Event)
        .join(page, Event.event_id == page.c.event_id)
        .order_by(page.c.k.desc(), page.c.event_id.desc())
    )


async def search_rows(
    session: AsyncSession,
    regions: Collection[str],
    filters: EventFilters,
    sort: SortBy,
    after: Position | None,
    limit: int,
    columns: Sequence[ColumnElement[Any]],
) -> Sequence[Row[Any]]:
    """As `search`, but only `columns`, as plain rows: what an export reads, without the
    cost of an ORM object per row."""
    if not regions:
        return []
    page = _page(regions, filters, sort, after, limit)
    statement = (
        select(*columns)
        .join(page, Event.event_id == page.c.event_id)
        .order_by(page.c.k.desc(), page.c.event_id.desc())
    )
    # On the connection: a Core statement, so the ORM does not touch the rows.
    return (await (await session.connection()).execute(statement)).all()


async def search(
    session: AsyncSession,
    regions: Collection[str],
    filters: EventFilters,
    sort: SortBy,
    after: Position | None,
    limit: int,
) -> Sequence[Event]:
    """Up to `limit + 1` events: the extra one only says there is another page."""
    if not regions:
        return []
    statement = search_statement(regions, filters, sort, after, limit)
    return (await session.scalars(statement)).all()


async def history(
    session: AsyncSession, actor: str, after: Position | None, limit: int
) -> Sequence[AuditEntry]:
    """A reviewer's own reviews, corrections, skips, escalations and QA verdicts, newest
    first, on ix_audit_log_history."""
    statement = select(AuditEntry).where(
        AuditEntry.actor_type == ActorType.USER,
        AuditEntry.actor == actor,
        AuditEntry.action.in_([a.value for a in HISTORY_ACTIONS]),
    )
    if after is not None:
        statement = statement.where(
            tuple_(AuditEntry.occurred_at, AuditEntry.audit_id)
            < tuple_(after.value, int(after.row_id))
        )
    statement = statement.order_by(AuditEntry.occurred_at.desc(), AuditEntry.audit_id.desc()).limit(
        limit + 1
    )
    return (await session.scalars(statement)).all()
