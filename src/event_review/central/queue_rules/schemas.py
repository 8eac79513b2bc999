from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AppliedRules(BaseModel):
    version: int
    changed: bool = Field(description="False when the rules in force were exactly these.")
    reranked: int = Field(description="Waiting events re-ranked because the ageing changed.")


class RulesOut(BaseModel):
    version: int = Field(description="0 while no rules were applied: the forwarder's priority, "
                         "no ageing, no SLAs.")  # fmt: skip
    applied_at: datetime | None
    applied_by: str | None
    rules: dict[str, Any] = Field(description="The rules file, as applied.")


class SlaMeasure(BaseModel):
    sla: str
    measure: str = Field(description="`oldest_pending` or `first_review`.")
    regions: list[str]
    event_types: list[str] = Field(description="Empty: every event type.")
    target_seconds: float
    seconds: float | None = Field(description="Now; null when there is nothing to measure.")
    breached: bool
    breached_since: datetime | None


class SlaStatus(BaseModel):
    measured_at: datetime
    measures: list[SlaMeasure]
