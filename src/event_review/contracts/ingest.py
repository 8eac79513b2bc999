"""What a regional forwarder sends to the central ingestor: metadata, never payloads."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
)

from event_review.contracts.fields import LINE, ExternalEventId, JsonObject, RegionCode

MAX_SUMMARY_BYTES = 4 * 1024
MAX_BATCH_SIZE = 1_000

# One encoder for every summary: json.dumps with options builds a new encoder per
# call, which was a fifth of a 1,000-event batch's CPU (twice per event).
_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def summary_json(summary: dict[str, Any]) -> str:
    """The summary as stored and as measured against MAX_SUMMARY_BYTES."""
    return _compact_json(summary)


# The paths forwarders post to: the regional side sends, the central side serves.
INGEST_PREFIX = "/api/v1/internal-ingest"
INGEST_EVENT_PATH = f"{INGEST_PREFIX}/event"
INGEST_BATCH_PATH = f"{INGEST_PREFIX}/events"
# The largest bodies those routes take: one event, and 1,000 events with
# summaries of up to 4 KiB each plus their envelope.
INGEST_EVENT_MAX_BODY = 16 * 1024
INGEST_BATCH_MAX_BODY = 8 * 1024 * 1024


class EventMetadata(BaseModel):
    """One event's metadata. Unknown fields are refused, so a payload cannot ride along."""

    # Errors never quote the input: it came from a region's database.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    external_event_id: ExternalEventId
    region_code: RegionCode
    event_type: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    ]
    occurred_at: AwareDatetime
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=128), LINE] | None = None
    priority: StrictInt = Field(default=0, ge=0, le=100)
    summary: JsonObject = Field(
        default_factory=dict,
        description=f"A small JSON object, at most {MAX_SUMMARY_BYTES} bytes serialised.",
    )

    @field_validator("summary")
    @classmethod
    def _summary_is_small(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(summary_json(value).encode())
        if size > MAX_SUMMARY_BYTES:
            raise ValueError(
                f"summary is {size} bytes serialised; the limit is {MAX_SUMMARY_BYTES}"
            )
        return value


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    events: list[EventMetadata] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class IngestResult(BaseModel):
    external_event_id: str
    event_id: uuid.UUID
    created: bool


class BatchIngestResult(BaseModel):
    created: int
    existing: int
    results: list[IngestResult]
