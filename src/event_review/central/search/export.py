"""A search, whole, as CSV or JSON Lines: metadata and review outcomes, never payloads.

Rows stream in keyset batches, each read in a short transaction of its own,
so memory stays flat and no statement runs long, whatever the size. What
reviewers typed (the comment, a form's text fields) goes out only for regions
whose review-text policy keeps it central.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.db.models import Event, ReviewTextPolicy
from event_review.central.forms import repository as forms
from event_review.central.forms.definition import FieldKind
from event_review.central.paging import Position
from event_review.central.regions import repository as regions
from event_review.central.search import repository
from event_review.central.search.filters import EventFilters, SortBy
from event_review.central.spreadsheets import spreadsheet_safe

BATCH = 1_000


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSONL: "application/jsonl"}

COLUMNS = [
    "event_id", "external_event_id", "region_code", "event_type", "occurred_at", "device_id",
    "priority", "status", "queue", "ingested_at", "reviewed_at", "reviewer_id", "decision",
    "rating", "reasons", "fields", "comment", "form", "revision", "completed_at",
]  # fmt: skip


class _TextKeys:
    """Which fields of a form version are typed text, looked up once per version."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, int], frozenset[str]] = {}

    async def of(self, session: AsyncSession, key: str, version: int) -> frozenset[str]:
        if (key, version) not in self.known:
            stored = await forms.get_version(session, key, version)
            fields = stored.definition.fields if stored else ()
            typed = frozenset(f.key for f in fields if f.kind is FieldKind.TEXT)
            self.known[(key, version)] = typed
        return self.known[(key, version)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# What an export reads of each event: table columns, so rows come back plain,
# without an ORM object (or the ORM's row processing) each.
_READ = tuple(
    Event.__table__.c[name]
    for name in (
        "event_id", "external_event_id", "region_code", "event_type", "occurred_at",
        "device_id", "priority", "status", "queue", "created_at", "reviewed_at",
        "review_user_id", "review_decision", "review_rating", "review_answers",
        "review_comment", "review_form_key", "review_form_version", "review_revision",
        "completed_at",
    )
)  # fmt: skip


async def _record(
    session: AsyncSession, event: Row[Any], text_kept: bool, text_keys: _TextKeys
) -> dict[str, Any]:
    answers = event.review_answers or {}
    fields = dict(answers.get("fields") or {})
    if not text_kept and event.review_form_key and event.review_form_version:
        typed = await text_keys.of(session, event.review_form_key, event.review_form_version)
        fields = {k: v for k, v in fields.items() if k not in typed}
    form = f"{event.review_form_key}@{event.review_form_version}" if event.review_form_key else None
    return {
        "event_id": str(event.event_id),
        "external_event_id": event.external_event_id,
        "region_code": event.region_code,
        "event_type": event.event_type,
        "occurred_at": _iso(event.occurred_at),
        "device_id": event.device_id,
        "priority": event.priority,
        "status": event.status,
        "queue": event.queue,
        "ingested_at": _iso(event.created_at),
        "reviewed_at": _iso(event.reviewed_at),
        "reviewer_id": str(event.review_user_id) if event.review_user_id else None,
        "decision": event.review_decision,
        "rating": event.review_rating,
        "reasons": answers.get("reasons") or {},
        "fields": fields,
        "comment": event.review_comment if text_kept else None,
        "form": form,
        "revision": event.review_revision,
        "completed_at": _iso(event.completed_at),
    }


def _csv_cell(value: Any) -> Any:
    if value is None or value.__class__ is int:
        return value  # the csv writer writes these as they are
    if isinstance(value, dict):
        if all(isinstance(v, list) for v in value.values()):  # reasons: list:code;list:code
            text = ";".join(f"{k}:{c}" for k, codes in sorted(value.items()) for c in codes)
        else:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        return spreadsheet_safe(text)
    return spreadsheet_safe(str(value))


def _csv_lines(records: list[dict[str, Any]], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([_csv_cell(record[c]) for c in COLUMNS])
    return out.getvalue()


def encode(records: list[dict[str, Any]], fmt: ExportFormat, *, header: bool) -> bytes:
    """A batch of records as the file's bytes; `header` on the first batch of a CSV."""
    if fmt is ExportFormat.CSV:
        return _csv_lines(records, header=header).encode()
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


async def text_kept(session: AsyncSession) -> set[str]:
    """The regions whose typed text may leave with the rest."""
    return {
        r.code for r in await regions.list_regions(session)
        if r.review_text == ReviewTextPolicy.CENTRAL
    }  # fmt: skip


@dataclass(frozen=True)
class Batch:
    records: list[dict[str, Any]]
    # Where the next batch starts; None when this one was the last.
    following: Position | None


class Reader:
    """A search read batch by batch on a keyset, each batch in the caller's transaction."""

    def __init__(
        self, scope: Collection[str], filters: EventFilters, sort: SortBy, kept: Collection[str]
    ) -> None:
        self.scope, self.filters, self.sort, self.kept = scope, filters, sort, frozenset(kept)
        self.text_keys = _TextKeys()

    async def batch(self, session: AsyncSession, after: Position | None, size: int) -> Batch:
        rows = await repository.search_rows(
            session, self.scope, self.filters, self.sort, after, size, _READ
        )
        batch = rows[:size]
        records = [
            await _record(session, e, e.region_code in self.kept, self.text_keys) for e in batch
        ]
        if len(rows) <= size:
            return Batch(records, None)
        last = batch[-1]
        value = last.created_at if self.sort is SortBy.INGESTED else last.reviewed_at
        assert value is not None
        return Batch(records, Position(value, str(last.event_id)))


async def stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    scope: Collection[str],
    filters: EventFilters,
    sort: SortBy,
    fmt: ExportFormat,
) -> AsyncIterator[bytes]:
    reader: Reader | None = None
    position: Position | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            first = reader is None
            if reader is None:
                reader = Reader(scope, filters, sort, await text_kept(session))
            batch = await reader.batch(session, position, BATCH)
        yield encode(batch.records, fmt, header=first)
        if batch.following is None:
            return
        position = batch.following
