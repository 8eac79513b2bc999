from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RegionQueue(BaseModel):
    """One region's events by status, and how long the oldest pending one has waited."""

    region_code: str
    pending: int = 0
    assigned: int = 0
    submitted: int = Field(default=0, description="Reviewed, awaiting write-back to the region")
    completed: int = 0
    oldest_pending_at: datetime | None = None
    oldest_pending_seconds: float | None = None


class WritebackHealth(BaseModel):
    pending: int = Field(description="Reviews on their way to a region")
    failed: int = Field(description="Parked after too many attempts; an admin retries them")
    oldest_pending_seconds: float | None = Field(
        description="How long the oldest undelivered review has waited"
    )


class Dashboard(BaseModel):
    generated_at: datetime
    scope: list[str] | None = Field(
        description="The regions counted: a lead's team regions; null for an admin (all)"
    )
    regions: list[RegionQueue]
    totals: RegionQueue
    writebacks: WritebackHealth
    reviews_last_hour: int
    writeback_lag_last_hour_seconds: float | None = Field(
        description="Average time from review to the region's confirmation, last hour"
    )
