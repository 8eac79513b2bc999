"""Keyset cursors: where the last page ended, as an opaque token.

A page goes on after the last row's sort key, so it costs the same on page 100
as on page 1 and never skips or repeats a row when new ones arrive meanwhile
(offsets do both). The token is the key itself, base64url-encoded JSON: it
grants nothing, since every page is filtered by the caller's regions again.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from event_review.runtime.errors import Unprocessable


@dataclass(frozen=True)
class Position:
    """The sort value and the tie-breaking id of the last row of a page."""

    value: datetime
    row_id: str


def encode(position: Position) -> str:
    raw = json.dumps([position.value.isoformat(), position.row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, *, id_kind: type[int] | type[uuid.UUID]) -> Position:
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
