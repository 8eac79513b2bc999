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
    assert first.json()["has_more"] is True
    assert bad_id.status_code == 422
