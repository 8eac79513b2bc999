"""Reviewer statistics against figures worked out by hand."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
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


@pytest.fixture
async def day(client: httpx.AsyncClient, factory: Factory, session: AsyncSession) -> Day:
    built = Day()
    await built.run(client, factory, session)
    return built


async def stats(
    client: httpx.AsyncClient, who: UserHandle, path: str = "/api/v1/stats", **params: Any
) -> httpx.Response:
    return await client.get(path, params=params, headers=who.headers)


async def test_per_reviewer_figures_are_the_hand_counted_ones(
    client: httpx.AsyncClient, day: Day
) -> None:
    response = await stats(client, day.lead)

    assert response.status_code == 200, response.text
    by = {g["key"]: g for g in response.json()["groups"]}
    assert set(by) == {day.ana.username, day.ben.username, day.lead.username}
    ana, ben = by[day.ana.username], by[day.ben.username]
    assert {k: ana[k] for k in ("reviews", "corrections", "skips", "escalations")} == {
        "reviews": 3, "corrections": 0, "skips": 0, "escalations": 1,
    }  # fmt: skip
    assert (ana["median_seconds_per_review"], ana["timed_reviews"]) == (20.0, 3)
    assert ana["decisions"] == {"false_trigger": 2, "confirmed": 1}
    assert ana["reasons"] == {"cause:pothole": 2, "cause:duplicate": 1}
    assert (ana["qa_judged"], ana["qa_agreed"], ana["qa_agreement"]) == (2, 1, 0.5)
    assert {k: ben[k] for k in ("reviews", "corrections", "skips", "escalations")} == {
        "reviews": 2, "corrections": 1, "skips": 1, "escalations": 0,
    }  # fmt: skip
    assert (ben["median_seconds_per_review"], ben["timed_reviews"]) == (30.0, 1)
    assert ben["decisions"] == {"reject": 1, "approve": 1}
    assert (ben["qa_judged"], ben["qa_agreement"]) == (0, None)
    assert by[day.lead.username]["reviews"] == 1


async def test_per_team_and_per_region_figures_add_up(client: httpx.AsyncClient, day: Day) -> None:
    team = await stats(client, day.admin, group_by="team", team=day.team)
    region = await stats(client, day.admin, group_by="region", region="eu")
    elsewhere = await stats(client, day.admin, group_by="region", region="us")

    [figures] = team.json()["groups"]
    assert figures["key"] == day.team
    assert (figures["reviews"], figures["corrections"], figures["skips"]) == (6, 1, 1)
    # The median of 10, 20, 60 and 30 seconds.
    assert figures["median_seconds_per_review"] == 25.0
    [eu] = region.json()["groups"]
    assert {k: eu[k] for k in ("reviews", "escalations", "qa_judged")} == {
        "reviews": 6, "escalations": 1, "qa_judged": 2,
    }  # fmt: skip
    assert elsewhere.json()["groups"] == []


async def test_who_sees_whose_figures(
    client: httpx.AsyncClient, day: Day, factory: Factory
) -> None:
    own = await stats(client, day.ben, "/api/v1/me/stats")
    reviewer = await stats(client, day.ben)
    other_lead = await factory.reviewer(["eu"], Role.LEAD)
    theirs = await stats(client, other_lead)
    not_theirs = await stats(client, other_lead, team=day.team)
    unknown = await stats(client, day.admin, team="no-such-team")
    backwards = await stats(
        client, day.admin, since="2026-02-01T00:00:00Z", until="2026-01-01T00:00:00Z"
    )
    earlier = await stats(
        client, day.admin, since="2026-01-01T00:00:00Z", until="2026-01-02T00:00:00Z"
    )

    assert [g["key"] for g in own.json()["groups"]] == [day.ben.username]
    assert own.json()["groups"][0]["reviews"] == 2
    assert (reviewer.status_code, reviewer.json()["error"]["code"]) == (403, "role_required")
    assert theirs.json()["groups"] == []  # a lead of another team: nobody of theirs worked
    assert (not_theirs.status_code, not_theirs.json()["error"]["code"]) == (403, "not_your_team")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "team_not_found")
    assert backwards.status_code == 422
    assert earlier.json()["groups"] == []
