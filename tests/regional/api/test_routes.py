from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from event_review.contracts.signing import sign_call
from event_review.regional.simulator.payloads import make_event
from event_review.regional.simulator.service import insert_events
from event_review.regional.store.models import RegionalEvent, ReviewRequest
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.settings import Settings
from event_review.targets.registry import SERVERS

OUTCOME = {
    "decision": "reject",
    "rating": 2,
    "comment": "driver not at fault",
    "reviewer": "alice",
    "reviewed_at": "2026-11-27T09:00:00+00:00",
}


@pytest.fixture
async def region(
    settings: Settings, regional_db: Database
) -> AsyncIterator[tuple[httpx.AsyncClient, list[dict[str, Any]]]]:
    documents = [make_event("eu", random.Random(n)) for n in range(3)]
    async with regional_db.sessionmaker() as session:
        await insert_events(session, documents)
        await session.commit()
    app = SERVERS["regional-api"].build(settings, regional_db, "eu")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://eu.region.test"
    ) as client:
        yield client, documents


def signed(settings: Settings, method: str, external_id: str, region: str = "eu") -> dict[str, str]:
    token = sign_call(
        signing_key(settings), region_code=region, method=method, external_event_id=external_id
    )
    return {"Authorization": f"Bearer {token}"}


def url(external_id: str, review: bool = False) -> str:
    return f"/regional/v1/events/{external_id}" + ("/review" if review else "")


async def test_fetch_returns_the_stored_payload(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]], settings: Settings
) -> None:
    client, documents = region
    external_id = documents[0]["external_event_id"]

    response = await client.get(url(external_id), headers=signed(settings, "GET", external_id))

    assert response.status_code == 200
    assert response.json() == documents[0]
    assert response.headers["cache-control"] == "no-store"


async def test_unknown_event_is_404(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]], settings: Settings
) -> None:
    client, _ = region
    response = await client.get(url("eu-missing"), headers=signed(settings, "GET", "eu-missing"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "event_not_found"


async def test_unsigned_and_misdirected_calls_are_refused(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]], settings: Settings
) -> None:
    client, documents = region
    external_id = documents[0]["external_event_id"]
    other_id = documents[1]["external_event_id"]

    cases = [
        ({}, 401, "missing_signature"),
        ({"Authorization": "Bearer nonsense"}, 401, "bad_signature"),
        (signed(settings, "GET", external_id, region="us"), 403, "wrong_region"),
        (signed(settings, "POST", external_id), 403, "wrong_scope"),
        (signed(settings, "GET", other_id), 403, "wrong_scope"),
    ]
    for headers, status, code in cases:
        response = await client.get(url(external_id), headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_a_signed_call_works_once(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]], settings: Settings
) -> None:
    client, documents = region
    external_id = documents[0]["external_event_id"]
    headers = signed(settings, "GET", external_id)

    first = await client.get(url(external_id), headers=headers)
    replay = await client.get(url(external_id), headers=headers)

    assert first.status_code == 200
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_signature")


async def test_review_is_recorded_once_per_idempotency_key(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]],
    settings: Settings,
    regional_db: Database,
) -> None:
    client, documents = region
    external_id = documents[0]["external_event_id"]

    def post(key: str, body: dict[str, Any] = OUTCOME) -> Any:
        headers = {**signed(settings, "POST", external_id), "Idempotency-Key": key}
        return client.post(url(external_id, review=True), json=body, headers=headers)

    first = await post("key-0000-1")
    repeat = await post("key-0000-1", {**OUTCOME, "rating": 5})
    other_key = await post("key-0000-2")

    assert first.status_code == 200, first.text
    assert first.json()["rating"] == 2
    assert "idempotent-replayed" not in first.headers
    assert repeat.status_code == 200
    assert repeat.json() == first.json()
    assert repeat.headers["idempotent-replayed"] == "true"
    assert (other_key.status_code, other_key.json()["error"]["code"]) == (409, "already_recorded")
    async with regional_db.sessionmaker() as session:
        row = await session.get(RegionalEvent, external_id)
        assert row is not None
        assert (row.review_decision, row.review_rating, row.reviewed_by) == ("reject", 2, "alice")
        assert row.reviewed_at == datetime(2026, 11, 27, 9, tzinfo=UTC)
        assert await session.scalar(select(func.count()).select_from(ReviewRequest)) == 1


async def test_a_key_cannot_be_reused_for_another_event(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]], settings: Settings
) -> None:
    client, documents = region
    first_id, second_id = documents[0]["external_event_id"], documents[1]["external_event_id"]
    for external_id, expected in ((first_id, 200), (second_id, 409)):
        headers = {**signed(settings, "POST", external_id), "Idempotency-Key": "shared-key-1"}
        response = await client.post(url(external_id, review=True), json=OUTCOME, headers=headers)
        assert response.status_code == expected
    assert response.json()["error"]["code"] == "idempotency_key_reused"


async def test_concurrent_repeats_record_once(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]],
    settings: Settings,
    regional_db: Database,
) -> None:
    client, documents = region
    external_id = documents[2]["external_event_id"]

    async def post() -> httpx.Response:
        headers = {**signed(settings, "POST", external_id), "Idempotency-Key": "same-key-1"}
        return await client.post(url(external_id, review=True), json=OUTCOME, headers=headers)

    responses = await asyncio.gather(*(post() for _ in range(5)))

    assert [r.status_code for r in responses] == [200] * 5
    assert len({r.json()["recorded_at"] for r in responses}) == 1
    async with regional_db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ReviewRequest)) == 1


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, OUTCOME),  # no Idempotency-Key
        ({"Idempotency-Key": "short"}, OUTCOME),
        ({"Idempotency-Key": "key-0000-9"}, {**OUTCOME, "rating": 9}),
        ({"Idempotency-Key": "key-0000-9"}, {**OUTCOME, "decision": "maybe"}),
        ({"Idempotency-Key": "key-0000-9"}, {**OUTCOME, "payload": {"x": 1}}),
        ({"Idempotency-Key": "key-0000-9"}, {**OUTCOME, "reviewed_at": "2026-11-27T09:00:00"}),
    ],
)
async def test_bad_review_requests_are_refused(
    region: tuple[httpx.AsyncClient, list[dict[str, Any]]],
    settings: Settings,
    headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    client, documents = region
    external_id = documents[0]["external_event_id"]
    response = await client.post(
        url(external_id, review=True),
        json=body,
        headers={**signed(settings, "POST", external_id), **headers},
    )
    assert response.status_code == 422


async def test_health_endpoints(region: tuple[httpx.AsyncClient, list[dict[str, Any]]]) -> None:
    client, _ = region
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
