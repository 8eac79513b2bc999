"""The v2 update contract: numbered revisions, applied highest-first whatever the order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from event_review.regional.simulator.payloads import make_event
from event_review.regional.simulator.service import insert_events
from event_review.regional.store.models import RegionalEvent, ReviewRevisionRecord
from event_review.runtime.database import Database
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.regional.api.test_routes import OUTCOME, signed

Region = tuple[httpx.AsyncClient, Database, str]


@pytest.fixture
async def region(settings: Settings, regional_db: Database) -> AsyncIterator[Region]:
    [document] = [make_event("eu", random.Random(random.randint(0, 10**6)))]
    async with regional_db.sessionmaker() as session:
        await insert_events(session, [document])
        await session.commit()
    app = SERVERS["regional-api"].build(settings, regional_db, "eu")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://eu.region.test"
    ) as client:
        yield client, regional_db, document["external_event_id"]


def revision(number: int, decision: str = "reject", **extra: Any) -> dict[str, Any]:
    return {
        "revision": number,
        "kind": "review" if number == 1 else "correction",
        "form_key": "collision",
        "form_version": 2,
        "decision": decision,
        "rating": None,
        "comment": None,
        "reasons": {"cause": ["pothole"]} if decision == "false_trigger" else {},
        "fields": {"vehicles": number},
        "reviewer": f"reviewer-{number}",
        "reviewed_at": f"2026-12-01T10:0{number}:00+00:00",
        "note": None if number == 1 else "second look",
        **extra,
    }


async def send(region: Region, settings: Settings, body: dict[str, Any]) -> httpx.Response:
    client, _, external_id = region
    return await client.post(
        f"/regional/v2/events/{external_id}/revisions",
        json=body,
        headers=signed(settings, "POST", external_id),
    )


async def in_force(region: Region) -> tuple[Any, ...]:
    _, database, external_id = region
    async with database.sessionmaker() as session:
        row = await session.get(RegionalEvent, external_id, populate_existing=True)
        assert row is not None
        kept = await session.scalar(
            select(func.count())
            .select_from(ReviewRevisionRecord)
            .where(ReviewRevisionRecord.external_event_id == external_id)
        )
        return (row.review_revision, row.review_decision, row.reviewed_by, row.review_form, kept)


async def test_revisions_in_order_apply_one_after_the_other(
    region: Region, settings: Settings
) -> None:
    first = await send(region, settings, revision(1, "confirmed"))
    assert first.status_code == 200, first.text
    assert first.json()["current_revision"] == 1
    second = await send(region, settings, revision(2, "false_trigger"))

    assert second.json()["current_revision"] == 2
    assert await in_force(region) == (2, "false_trigger", "reviewer-2", "collision@2", 2)
    _, database, external_id = region
    async with database.sessionmaker() as session:
        row = await session.get(RegionalEvent, external_id)
        assert row is not None
        assert row.review_answers == {"reasons": {"cause": ["pothole"]}, "fields": {"vehicles": 2}}


async def test_a_late_older_revision_is_kept_but_never_moves_the_region_back(
    region: Region, settings: Settings
) -> None:
    await send(region, settings, revision(3, "confirmed"))
    late = await send(region, settings, revision(1, "false_trigger"))
    later = await send(region, settings, revision(2, "false_trigger"))

    assert late.status_code == later.status_code == 200
    assert late.json()["current_revision"] == later.json()["current_revision"] == 3
    assert await in_force(region) == (3, "confirmed", "reviewer-3", "collision@2", 3)


async def test_every_order_of_three_revisions_ends_on_the_highest(
    region: Region, settings: Settings
) -> None:
    """Reordered and repeated deliveries, as a write-back retrying after lost answers sends them."""
    orders = [[2, 1, 3, 3, 1], [3, 2, 2, 1], [1, 3, 2, 1, 3]]
    for order in orders:
        client, database, _ = region
        [document] = [make_event("eu", random.Random(random.randint(0, 10**6)))]
        async with database.sessionmaker() as session:
            await insert_events(session, [document])
            await session.commit()
        target = (client, database, document["external_event_id"])
        for number in order:
            response = await send(target, settings, revision(number, "confirmed"))
            assert response.status_code == 200, response.text
        assert (await in_force(target))[0::4] == (3, 3), order


async def test_a_repeat_is_a_replay_and_other_content_is_a_conflict(
    region: Region, settings: Settings
) -> None:
    await send(region, settings, revision(1))

    repeat = await send(region, settings, revision(1))
    other = await send(region, settings, revision(1, "confirmed"))

    assert repeat.status_code == 200
    assert repeat.headers["idempotent-replayed"] == "true"
    assert (other.status_code, other.json()["error"]["code"]) == (409, "revision_conflict")
    assert await in_force(region) == (1, "reject", "reviewer-1", "collision@2", 1)


async def test_racing_deliveries_of_two_revisions_end_on_the_higher(
    region: Region, settings: Settings
) -> None:
    responses = await asyncio.gather(
        *(send(region, settings, revision(n, "confirmed")) for n in (2, 1, 2, 1))
    )
    assert {r.status_code for r in responses} == {200}
    assert (await in_force(region))[0] == 2


async def test_a_v1_review_is_revision_one_and_a_v2_correction_goes_on_top(
    region: Region, settings: Settings
) -> None:
    """A rolling upgrade, region first: an older centre still speaks v1."""
    client, _, external_id = region
    v1 = await client.post(
        f"/regional/v1/events/{external_id}/review",
        json=OUTCOME,
        headers={**signed(settings, "POST", external_id), "Idempotency-Key": "key-0001-v1"},
    )
    assert v1.status_code == 200, v1.text
    assert await in_force(region) == (1, "reject", "alice", "default@1", 1)

    # The same review again over v2 (a retry after the centre's upgrade) is a replay.
    replay = await send(region, settings, {
        "revision": 1, "kind": "review", "form_key": "default", "form_version": 1,
        **OUTCOME, "reasons": {}, "fields": {},
    })  # fmt: skip
    assert (replay.status_code, replay.headers.get("idempotent-replayed")) == (200, "true")
    correction = await send(
        region, settings, revision(2, "approve", form_key="default", form_version=1, rating=4)
    )
    assert correction.status_code == 200, correction.text
    assert await in_force(region) == (2, "approve", "reviewer-2", "default@1", 2)


@pytest.mark.parametrize(
    "change",
    [
        {"revision": 0},
        {"kind": "vote"},
        {"decision": "Not A Key"},
        {"rating": 101},
        {"fields": {"x": {"nested": 1}}},
        {"extra": 1},
        {"reviewed_at": "2026-12-01T10:00:00"},
    ],
)
async def test_bad_revisions_are_refused(
    region: Region, settings: Settings, change: dict[str, Any]
) -> None:
    response = await send(region, settings, {**revision(1), **change})
    assert response.status_code == 422
    assert (await in_force(region))[0] is None
