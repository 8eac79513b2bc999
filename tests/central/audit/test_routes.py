"""The audit page: filtered and paged, newest first."""

from __future__ import annotations

import httpx

from tests.central.admin_api import ADMIN, admin
from tests.factories import Factory


async def test_the_audit_log_is_filtered_and_paged(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])
    event_ids = await factory.ingest("eu", 2)
    await client.post("/api/v1/assignments/next-batch", json={"size": 2}, headers=reviewer.headers)
    await client.post(
        f"/api/v1/events/{event_ids[0]}/review",
        json={"decision": "approve", "rating": 4},
        headers=reviewer.headers,
    )

    by_event = await client.get(
        f"{ADMIN}/audit", params={"event_id": event_ids[0]}, headers=boss.headers
    )
    by_actor = await client.get(
        f"{ADMIN}/audit", params={"actor": reviewer.username}, headers=boss.headers
    )
    by_action = await client.get(
        f"{ADMIN}/audit",
        params={"action": "event.reviewed", "actor": reviewer.username},
        headers=boss.headers,
    )
    family = await client.get(
        f"{ADMIN}/audit", params={"action": "event.", "event_id": event_ids[1]},
        headers=boss.headers,
    )  # fmt: skip
    first = await client.get(f"{ADMIN}/audit", params={"limit": 1}, headers=boss.headers)
    bad_id = await client.get(f"{ADMIN}/audit", params={"event_id": "x"}, headers=boss.headers)

    assert by_event.status_code == 200, by_event.text
    # Newest first.
    assert [e["action"] for e in by_event.json()["items"]] == [
        "event.reviewed",
        "event.assigned",
        "event.ingested",
    ]
    assert {e["actor"] for e in by_actor.json()["items"]} == {reviewer.username}
    assert {e["action"] for e in by_actor.json()["items"]} == {"event.assigned", "event.reviewed"}
    reviewed = by_action.json()["items"]
    assert len(reviewed) == 1
    assert reviewed[0]["event_id"] == event_ids[0]
    assert reviewed[0]["details"] == {"decision": "approve", "rating": 4, "form": "default@1"}
    assert [e["action"] for e in family.json()["items"]] == ["event.assigned", "event.ingested"]
    assert len(first.json()["items"]) == 1
    assert first.json()["next_cursor"] is not None
    assert bad_id.status_code == 422


async def test_the_audit_log_pages_by_keyset_within_a_time_range(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)
    await factory.ingest("eu", 5)
    everything = (
        await client.get(f"{ADMIN}/audit", params={"limit": 200}, headers=boss.headers)
    ).json()["items"]
    middle = everything[len(everything) // 2]["occurred_at"]

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{ADMIN}/audit", params=params, headers=boss.headers)).json()
        seen += page["items"]
        await factory.ingest("eu", 1)  # newer than any cursor: never on a later page
        if (cursor := page["next_cursor"]) is None:
            break
    since = await client.get(
        f"{ADMIN}/audit", params={"occurred_from": middle, "limit": 200}, headers=boss.headers
    )
    until = await client.get(
        f"{ADMIN}/audit", params={"occurred_until": middle, "limit": 200}, headers=boss.headers
    )
    naive = await client.get(
        f"{ADMIN}/audit", params={"occurred_from": "2026-01-01T00:00:00"}, headers=boss.headers
    )

    assert [e["audit_id"] for e in seen] == [e["audit_id"] for e in everything]
    known = {e["audit_id"] for e in everything}  # the paging above added newer ones
    assert {e["audit_id"] for e in since.json()["items"]} & known == {
        e["audit_id"] for e in everything if e["occurred_at"] >= middle
    }
    assert {e["audit_id"] for e in until.json()["items"]} == {
        e["audit_id"] for e in everything if e["occurred_at"] < middle
    }
    assert naive.status_code == 422  # a time without its zone is ambiguous
