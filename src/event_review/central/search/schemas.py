from __future__ import annotations

from pydantic import BaseModel, Field

from event_review.central.audit.schemas import AuditOut
from event_review.central.events.schemas import EventOut

_NEXT = "Pass as `cursor` for the next page; null on the last page."


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None = Field(description=_NEXT)


class HistoryPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = Field(description=_NEXT)
