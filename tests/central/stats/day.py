"""A hand-counted day of work, for the statistics tests: what each person did, and
the helpers that made it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role
from tests.central.forms.test_definition import example
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"
COLLISION = {"key": "collision", "version": 1}


async def claim(client: httpx.AsyncClient, who: UserHandle, size: int, **body: Any) -> list[str]:
    batch = await client.post(NEXT, json={"size": size, **body}, headers=who.headers)
    assert batch.status_code == 200, batch.text
    return [e["event_id"] for e in batch.json()["events"]]


async def post(client: httpx.AsyncClient, who: UserHandle, path: str, body: Any) -> None:
    response = await client.post(path, json=body, headers=who.headers)
    assert response.status_code in (200, 204), response.text


async def took(session: AsyncSession, who: UserHandle, event_id: str, seconds: int) -> None:
    """`who` opened the event's payload `seconds` before their review of it."""
    await session.execute(
        text(
            "INSERT INTO audit_log (actor_type, actor, action, event_id, occurred_at, details) "
            "SELECT 'user', :actor, 'event.payload_viewed', r.event_id, "
            "       r.created_at - make_interval(secs => :seconds), '{}' "
            "FROM review_revisions r WHERE r.event_id = :event_id AND r.revision = 1"
        ),
        {"actor": who.username, "event_id": uuid.UUID(event_id), "seconds": seconds},
    )


class Day:
    """ana: 3 collisions (2 false triggers, QA'd: one agreed, one corrected) and one
    escalation; ben: 2 harsh brakings, a skip, a correction; the lead decides ana's
    escalation."""

    async def run(self, client: httpx.AsyncClient, factory: Factory, session: AsyncSession) -> None:
        self.admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
        forms = example()
        forms["forms"][0]["qa"]["sample_rate"] = 0  # QA exactly the false triggers
        await post(client, self.admin, "/api/v1/admin/forms", forms)
        team = await factory.team(f"stats-{uuid.uuid4().hex[:6]}", ["eu"])
        self.ana, self.ben = await factory.user(team), await factory.user(team)
        self.lead, self.judge = (
            await factory.user(team, Role.LEAD),
            await factory.user(team, Role.QA),
        )
        self.team = team
        await factory.ingest("eu", 4, event_type="collision", priority=90)
        a1, a2, a3, a4 = await claim(client, self.ana, 4)
        for event_id, body in (
            (a1, {"decision": "false_trigger", "reasons": {"cause": ["pothole"]}}),
            (a2, {"decision": "false_trigger", "reasons": {"cause": ["pothole", "duplicate"]}}),
            (a3, {"decision": "confirmed"}),
        ):
            await post(
                client, self.ana, f"/api/v1/events/{event_id}/review", body | {"form": COLLISION}
            )
        await post(client, self.ana, f"/api/v1/events/{a4}/escalate", {"note": "two cars?"})
        await factory.ingest("eu", 3, event_type="harsh_braking", priority=50)
        b1, b2, b3 = await claim(client, self.ben, 3)
        await post(
            client, self.ben, f"/api/v1/events/{b1}/review", {"decision": "reject", "rating": 2}
        )
        await post(
            client, self.ben, f"/api/v1/events/{b2}/review", {"decision": "approve", "rating": 4}
        )
        await post(client, self.ben, f"/api/v1/events/{b3}/skip", {"reason": "unclear"})
        await post(client, self.ben, f"/api/v1/events/{b1}/corrections",
                   {"decision": "approve", "rating": 3, "revision": 1})  # fmt: skip
        assert await claim(client, self.lead, 1, queue="escalated") == [a4]
        await post(client, self.lead, f"/api/v1/events/{a4}/review",
                   {"decision": "confirmed", "form": COLLISION})  # fmt: skip
        tasks = (
            await client.post("/api/v1/qa/next-batch", json={}, headers=self.judge.headers)
        ).json()["tasks"]
        assert sorted(t["event"]["event_id"] for t in tasks) == sorted([a1, a2])
        first, second = tasks
        await post(client, self.judge, f"/api/v1/qa/tasks/{first['task_id']}/verdict",
                   {"verdict": "agree", "revision": 1})  # fmt: skip
        corrected = {"verdict": "correct", "revision": 1, "answers": {"decision": "confirmed"}}
        await post(client, self.judge, f"/api/v1/qa/tasks/{second['task_id']}/verdict", corrected)
        for event_id, seconds in ((a1, 10), (a2, 20), (a3, 60)):
            await took(session, self.ana, event_id, seconds)
        await took(session, self.ben, b1, 30)  # b2: never opened, so not timed
        await session.commit()


async def stats(
    client: httpx.AsyncClient, who: UserHandle, path: str = "/api/v1/stats", **params: Any
) -> httpx.Response:
    return await client.get(path, params=params, headers=who.headers)
