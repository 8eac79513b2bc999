from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event, Role
from tests.factories import Factory

NEXT = "/api/v1/assignments/next-batch"
HELD = "/api/v1/assignments"


async def test_claims_highest_priority_then_oldest(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    low = await factory.ingest("eu", 3, priority=10)
    high = await factory.ingest("eu", 2, priority=90)
    mid = await factory.ingest("eu", 2, priority=50)

    response = await client.post(NEXT, json={"size": 5}, headers=reviewer.headers)

    assert response.status_code == 200, response.text
    batch = response.json()
    assert [e["event_id"] for e in batch["events"]] == [*high, *mid, low[0]]
    assert all(e["status"] == "assigned" for e in batch["events"])
    assert all(e["assigned_user_id"] == str(reviewer.user_id) for e in batch["events"])
    leases = {e["lease_expires_at"] for e in batch["events"]}
    assert leases == {batch["lease_expires_at"]}
    assert datetime.fromisoformat(batch["lease_expires_at"]) > datetime.fromisoformat(
        batch["events"][0]["assigned_at"]
    )


async def test_default_batch_size_is_ten(client: httpx.AsyncClient, factory: Factory) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 15)

    response = await client.post(NEXT, headers=reviewer.headers)

    assert len(response.json()["events"]) == 10


@pytest.mark.parametrize("size", [0, 101, -1, "ten"])
async def test_batch_size_is_bounded(
    client: httpx.AsyncClient, factory: Factory, size: object
) -> None:
    reviewer = await factory.reviewer(["eu"])
    response = await client.post(NEXT, json={"size": size}, headers=reviewer.headers)
    assert response.status_code == 422


async def test_asking_again_returns_the_held_batch(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 6)

    first = (await client.post(NEXT, json={"size": 3}, headers=reviewer.headers)).json()
    again = (await client.post(NEXT, json={"size": 3}, headers=reviewer.headers)).json()
    held = (await client.get(HELD, headers=reviewer.headers)).json()

    ids = [e["event_id"] for e in first["events"]]
    assert len(ids) == 3
    assert [e["event_id"] for e in again["events"]] == ids
    assert [e["event_id"] for e in held["events"]] == ids
    assert again["lease_expires_at"] == first["lease_expires_at"]


async def test_only_the_teams_regions_are_claimed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    eu_reviewer = await factory.reviewer(["eu"])
    await factory.ingest("us", 5, priority=100)
    eu_events = await factory.ingest("eu", 2, priority=1)

    batch = (await client.post(NEXT, json={"size": 10}, headers=eu_reviewer.headers)).json()

    assert sorted(e["event_id"] for e in batch["events"]) == sorted(eu_events)
    assert {e["region_code"] for e in batch["events"]} == {"eu"}


async def test_multi_region_team_gets_the_global_order(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu", "us", "ca"])
    eu_low = await factory.ingest("eu", 3, priority=5)
    us_high = await factory.ingest("us", 2, priority=80)
    ca_mid = await factory.ingest("ca", 2, priority=40)
    eu_top = await factory.ingest("eu", 1, priority=99)

    batch = (await client.post(NEXT, json={"size": 6}, headers=reviewer.headers)).json()

    assert [e["event_id"] for e in batch["events"]] == [*eu_top, *us_high, *ca_mid, eu_low[0]]


async def test_empty_queue_gives_an_empty_batch(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])

    response = await client.post(NEXT, json={"size": 5}, headers=reviewer.headers)

    assert response.status_code == 200
    assert response.json() == {"lease_expires_at": None, "hold_until": None, "events": []}


async def test_no_event_is_handed_to_two_reviewers(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    first = await factory.reviewer(["eu"])
    second = await factory.reviewer(["eu"])
    await factory.ingest("eu", 5)

    a = (await client.post(NEXT, json={"size": 3}, headers=first.headers)).json()["events"]
    b = (await client.post(NEXT, json={"size": 3}, headers=second.headers)).json()["events"]

    assert len(a) == 3
    assert len(b) == 2
    assert not {e["event_id"] for e in a} & {e["event_id"] for e in b}


async def test_an_expired_lease_is_not_held(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 4)
    first = (await client.post(NEXT, json={"size": 2}, headers=reviewer.headers)).json()
    await session.execute(
        update(Event)
        .where(Event.assigned_user_id == reviewer.user_id)
        .values(lease_expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()

    held = (await client.get(HELD, headers=reviewer.headers)).json()
    fresh = (await client.post(NEXT, json={"size": 2}, headers=reviewer.headers)).json()

    assert held["events"] == []
    old_ids = {e["event_id"] for e in first["events"]}
    assert len(fresh["events"]) == 2
    assert not old_ids & {e["event_id"] for e in fresh["events"]}


async def test_claims_are_audited(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 2)

    batch = (await client.post(NEXT, json={"size": 2}, headers=reviewer.headers)).json()

    rows = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "event.assigned"))
    ).all()
    assert sorted(str(r.event_id) for r in rows) == sorted(e["event_id"] for e in batch["events"])
    assert {(r.actor_type, r.actor) for r in rows} == {("user", reviewer.username)}


async def test_release_puts_the_event_back(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    holder = await factory.reviewer(["eu"])
    other = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await client.post(NEXT, json={"size": 1}, headers=holder.headers)

    response = await client.post(f"/api/v1/events/{event_id}/release", headers=holder.headers)

    assert response.status_code == 204
    event = await session.get(Event, uuid.UUID(event_id), populate_existing=True)
    assert event is not None
    assert (event.status, event.assigned_user_id, event.lease_expires_at) == ("pending", None, None)
    batch = (await client.post(NEXT, json={"size": 1}, headers=other.headers)).json()
    assert [e["event_id"] for e in batch["events"]] == [event_id]


@pytest.mark.parametrize("action", ["release", "skip"])
async def test_give_back_refusals(client: httpx.AsyncClient, factory: Factory, action: str) -> None:
    holder = await factory.reviewer(["eu"])
    same_region = await factory.reviewer(["eu"])
    other_region = await factory.reviewer(["us"])
    [held_id, pending_id] = await factory.ingest("eu", 2)
    await client.post(NEXT, json={"size": 1}, headers=holder.headers)

    def release(event_id: str, headers: dict[str, str]) -> object:
        return client.post(f"/api/v1/events/{event_id}/{action}", headers=headers)

    not_holder = await release(held_id, same_region.headers)  # type: ignore[misc]
    foreign = await release(held_id, other_region.headers)  # type: ignore[misc]
    unknown = await release(str(uuid.uuid4()), holder.headers)  # type: ignore[misc]
    not_assigned = await release(pending_id, same_region.headers)  # type: ignore[misc]

    assert (not_holder.status_code, not_holder.json()["error"]["code"]) == (403, "not_holder")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "event_not_found")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "event_not_found")
    assert (not_assigned.status_code, not_assigned.json()["error"]["code"]) == (409, "not_assigned")


async def test_event_metadata_visibility(client: httpx.AsyncClient, factory: Factory) -> None:
    holder = await factory.reviewer(["eu"])
    peer = await factory.reviewer(["eu"])
    eu_lead = await factory.reviewer(["eu", "us"], Role.LEAD)
    us_lead = await factory.reviewer(["us"], Role.LEAD)
    eu_admin = await factory.reviewer(["eu"], Role.ADMIN)
    [event_id] = await factory.ingest("eu", 1)
    await client.post(NEXT, json={"size": 1}, headers=holder.headers)

    async def status_for(headers: dict[str, str]) -> int:
        return (await client.get(f"/api/v1/events/{event_id}", headers=headers)).status_code

    assert await status_for(holder.headers) == 200
    assert await status_for(eu_lead.headers) == 200
    assert await status_for(eu_admin.headers) == 200
    assert await status_for(peer.headers) == 404
    assert await status_for(us_lead.headers) == 404
    body = (await client.get(f"/api/v1/events/{event_id}", headers=holder.headers)).json()
    assert body["event_id"] == event_id
    assert body["region_code"] == "eu"


async def test_malformed_event_id_is_a_validation_error(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer = await factory.reviewer(["eu"])
    response = await client.get("/api/v1/events/not-a-uuid", headers=reviewer.headers)
    assert response.status_code == 422
