"""A replica's short memory of who each session is, forgotten the moment it changes.

Every authenticated request would otherwise read its session, user and team
regions. The rows change rarely (a logout, a deactivation, a team's regions),
and every change sends a NOTIFY from a trigger (migration 0012) that each
replica's listener turns into an eviction here. So a logout takes effect on
every replica as soon as its commit is heard, within milliseconds; the TTL
only bounds the damage of a notice lost with its connection, and while the
listener is down nothing is served from here at all.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from event_review.central.sessions.repository import SessionRow

CHANNEL = "event_review_principals"
MAX_ENTRIES = 10_000


@dataclass
class PrincipalCache:
    ttl_seconds: float
    max_entries: int = MAX_ENTRIES
    live: bool = False  # set by the listener: trust nothing unheard
    _rows: OrderedDict[uuid.UUID, tuple[float, SessionRow]] = field(default_factory=OrderedDict)
    # Bumped by every eviction: a row read before one may be stale, and is not kept.
    generation: int = 0

    def get(self, session_id: uuid.UUID) -> SessionRow | None:
        if not self.live:
            return None
        found = self._rows.get(session_id)
        if found is None:
            return None
        stored_at, row = found
        if time.monotonic() - stored_at > self.ttl_seconds:
            del self._rows[session_id]
            return None
        return row

    def put(self, row: SessionRow, read_in_generation: int) -> None:
        """Keep `row`, read when `generation` was `read_in_generation`, unless it may be stale."""
        if not self.live or read_in_generation != self.generation:
            return
        self._rows[row.session_id] = (time.monotonic(), row)
        self._rows.move_to_end(row.session_id)
        while len(self._rows) > self.max_entries:
            self._rows.popitem(last=False)

    def notice(self, payload: str) -> None:
        """A NOTIFY payload: `s:<session>`, `u:<user>`, or `*`."""
        self.generation += 1
        kind, _, key = payload.partition(":")
        try:
            if kind == "s":
                self._rows.pop(uuid.UUID(key), None)
                return
            if kind == "u":
                user_id = uuid.UUID(key)
                for session_id in [s for s, (_, r) in self._rows.items() if r.user_id == user_id]:
                    del self._rows[session_id]
                return
        except ValueError:
            pass  # not ours to parse: forget everything, to be safe
        self.clear()

    def clear(self) -> None:
        self.generation += 1
        self._rows.clear()
