"""Lists are paged by limit and offset, with `has_more` instead of a total.

Counting a long audit log on every page would cost more than the page itself,
so repositories fetch one row more than asked: its presence says there is
another page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

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
