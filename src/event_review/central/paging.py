"""Lists are paged without a total: counting a long list on every page would
cost more than the page itself, so repositories fetch one row more than asked,
and its presence says there is another page.

Short lists (regions, teams, users) page by limit and offset. Long, growing
ones (events, the audit log) page by keyset: each page goes on after the last
row's sort key, so it costs the same on page 100 as on page 1 and never skips
or repeats a row when new ones arrive meanwhile (offsets do both). The cursor
is that key, base64url-encoded JSON: it grants nothing, since every page is
filtered by what the caller may see again.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from event_review.runtime.errors import Unprocessable

T = TypeVar("T")
U = TypeVar("U")

MAX_PAGE = 200
DEFAULT_PAGE = 50

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    has_more: bool


def page_of(rows: Sequence[T], limit: int, offset: int, convert: Callable[[T], U]) -> Page[U]:
    """A page from `limit + 1` rows: the extra one only says there is more."""
    return Page[U](
        items=[convert(r) for r in rows[:limit]],
        limit=limit,
        offset=offset,
        has_more=len(rows) > limit,
    )


Cursor = Annotated[
    str | None,
    Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="From the previous page."),
]


class KeysetPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


@dataclass(frozen=True)
class Position:
    """The sort value and the tie-breaking id of the last row of a page."""

    value: datetime
    row_id: str


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.value.isoformat(), position.row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, *, id_kind: type[int] | type[uuid.UUID]) -> Position:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value, row_id = json.loads(raw)
        position = Position(datetime.fromisoformat(value), str(id_kind(row_id)))
        if position.value.tzinfo is None:
            raise ValueError("no time zone")
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Unprocessable(
            "this `cursor` is not one a page of this list returned; start from the first page",
            code="invalid_cursor",
            details=[{"loc": ["query", "cursor"], "msg": "not a cursor of this list",
                      "type": "invalid_cursor"}],
        ) from exc  # fmt: skip
    return position


def keyset_page(
    rows: Sequence[T],
    limit: int,
    key: Callable[[T], tuple[datetime, str]],
    convert: Callable[[T], U],
) -> KeysetPage[U]:
    """A page from `limit + 1` rows; the cursor is the key of its last row."""
    following = None
    if len(rows) > limit:
        value, row_id = key(rows[limit - 1])
        following = encode_cursor(Position(value, row_id))
    return KeysetPage[U](items=[convert(r) for r in rows[:limit]], next_cursor=following)
