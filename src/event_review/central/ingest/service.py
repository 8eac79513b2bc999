from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor
from event_review.central.ingest import repository
from event_review.central.metrics import INGEST_REFUSED, INGESTED
from event_review.central.queue_rules import service as queue_rules
from event_review.central.regions import repository as regions
from event_review.central.regions.service import region_of_key
from event_review.contracts.ingest import BatchIngestResult, EventMetadata, IngestResult
from event_review.runtime.errors import Forbidden, Unauthorized, Unprocessable


async def authenticate_region(session: AsyncSession, key: str) -> str:
    region = await region_of_key(session, key)
    if region is None:
        INGEST_REFUSED.labels("invalid_key").inc()
        raise Unauthorized("the ingest key is not valid", code="invalid_ingest_key")
    return region


async def _check_regions(
    session: AsyncSession, caller_region: str, events: Sequence[EventMetadata]
) -> None:
    foreign = sorted({e.region_code for e in events if e.region_code != caller_region})
    for code in foreign:
        if await regions.get_region(session, code) is None:
            raise Unprocessable(
                f"region {code!r} is not registered",
                code="unknown_region",
                details={"region_code": code},
            )
    if foreign:
        INGEST_REFUSED.labels("region_mismatch").inc()
        raise Forbidden(
            f"this ingest key belongs to region {caller_region!r} and cannot ingest events "
            f"of region {', '.join(repr(c) for c in foreign)}",
            code="region_mismatch",
        )


def _check_unique(events: Sequence[EventMetadata]) -> None:
    seen: dict[str, int] = {}
    duplicates = []
    for index, event in enumerate(events):
        if event.external_event_id in seen:
            duplicates.append(
                {
                    "index": index,
                    "loc": ["body", "events", index, "external_event_id"],
                    "msg": "repeats the external_event_id of index "
                    f"{seen[event.external_event_id]}",
                    "type": "duplicate",
                }
            )
        else:
            seen[event.external_event_id] = index
    if duplicates:
        indexes = ", ".join(str(d["index"]) for d in duplicates)
        raise Unprocessable(
            f"events at index {indexes} not valid; nothing was stored", details=duplicates
        )


async def ingest(
    session: AsyncSession, caller_region: str, events: Sequence[EventMetadata]
) -> BatchIngestResult:
    """Store new events as pending, with the priority the queue rules give them (the
    insert ranks them for the claim); a repeat of a known event changes nothing."""
    await _check_regions(session, caller_region, events)
    _check_unique(events)
    prioritised = await queue_rules.prioritise(session, caller_region, events)
    created = await repository.insert_new(session, caller_region, prioritised)
    missing = [e.external_event_id for e in events if e.external_event_id not in created]
    existing = await repository.existing_ids(session, caller_region, missing)
    await audit.record_many(
        session,
        actor=Actor.region(caller_region),
        action=AuditAction.EVENT_INGESTED,
        event_ids=list(created.values()),
    )
    INGESTED.labels(caller_region, "created").inc(len(created))
    INGESTED.labels(caller_region, "existing").inc(len(existing))
    results = [
        IngestResult(
            external_event_id=e.external_event_id,
            event_id=created.get(e.external_event_id) or existing[e.external_event_id],
            created=e.external_event_id in created,
        )
        for e in events
    ]
    return BatchIngestResult(created=len(created), existing=len(existing), results=results)
