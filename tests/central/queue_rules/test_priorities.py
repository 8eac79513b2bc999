"""Queue rules on real PostgreSQL: priorities at ingest, ageing in the claim order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event, Role
from tests.factories import Factory, UserHandle

RULES = "/api/v1/admin/queue-rules"
NEXT = "/api/v1/assignments/next-batch"


async def apply(client: httpx.AsyncClient, admin: UserHandle, rules: dict[str, Any]) -> Any:
    response = await client.put(RULES, json=rules, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def claim(client: httpx.AsyncClient, reviewer: UserHandle, size: int) -> list[str]:
    response = await client.post(NEXT, json={"size": size}, headers=reviewer.headers)
    assert response.status_code == 200, response.text
    return [e["event_id"] for e in response.json()["events"]]


async def backdate(session: AsyncSession, event_id: str, by: timedelta) -> None:
    await session.execute(
        text(
            "UPDATE events SET created_at = created_at - CAST(:by AS interval) WHERE event_id = :id"
        ),
        {"by": by, "id": event_id},
    )


@pytest.fixture
async def admin(factory: Factory) -> UserHandle:
    await factory.region("eu")
    await factory.region("us")
    return await factory.reviewer(["eu", "us"], role=Role.ADMIN)


async def test_rules_set_the_priority_of_arriving_events(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, admin: UserHandle
) -> None:
    await apply(
        client,
        admin,
        {
            "priorities": [
                {"name": "eu-collisions", "when": {"region": "eu", "event_type": "collision"},
                 "priority": 95},
                {"name": "severe", "when": {"summary.severity": "high"}, "priority": 70},
            ]
        },
    )  # fmt: skip

    [eu_collision] = await factory.ingest("eu", 1, event_type="collision", priority=5)
    [us_collision] = await factory.ingest("us", 1, event_type="collision", priority=5)
    [severe] = await factory.ingest("us", 1, event_type="lane_departure", priority=5,
                                    summary={"severity": "high"})  # fmt: skip

    rows = (await session.execute(select(Event.event_id, Event.priority))).all()
    assert {str(event_id): priority for event_id, priority in rows} == {
        eu_collision: 95,
        us_collision: 5,  # the rule is for eu only; the forwarder's priority stays
        severe: 70,
    }


@pytest.mark.usefixtures("admin")
async def test_without_ageing_priority_comes_first_then_arrival(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer = await factory.reviewer(["eu"])
    [old_low] = await factory.ingest("eu", 1, priority=10)
    [new_high] = await factory.ingest("eu", 1, priority=50)
    [newer_high] = await factory.ingest("eu", 1, priority=50)
    await backdate(session, old_low, timedelta(days=30))

    assert await claim(client, reviewer, 3) == [new_high, newer_high, old_low]


async def test_ageing_lets_an_event_that_waited_rise_above_fresher_higher_ones(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, admin: UserHandle
) -> None:
    reviewer = await factory.reviewer(["eu"])
    [waited] = await factory.ingest("eu", 1, priority=10)
    [fresh] = await factory.ingest("eu", 1, priority=50)
    # Arrived 5 hours ago, ranked then without ageing (the trigger ranks on insert).
    await backdate(session, waited, timedelta(hours=5))

    applied = await apply(client, admin, {"ageing": {"every": "6m"}})
    assert applied == {"version": 1, "changed": True, "reranked": 2}

    # 10 points + 5 h / 6 min = 60 > 50: the one that waited goes first. And an
    # event arriving under the ageing is ranked by it: 95 points = 9.5 hours.
    [urgent] = await factory.ingest("eu", 1, priority=95)
    assert await claim(client, reviewer, 3) == [urgent, waited, fresh]


async def test_the_rank_is_arrival_less_the_priority_worth_of_waiting(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, admin: UserHandle
) -> None:
    await apply(client, admin, {"ageing": {"every": "2m"}})
    [event_id] = await factory.ingest("eu", 1, priority=30)
    # A bulk load that sets no rank (or an ingestor of the release before) is
    # ranked by the same rules.
    await session.execute(
        text(
            "INSERT INTO events (external_event_id, region_code, event_type, occurred_at, "
            "priority) VALUES ('loaded', 'eu', 'collision', now(), 40)"
        )
    )

    rows = (
        await session.execute(
            text("SELECT priority, created_at - rank_at FROM events ORDER BY priority")
        )
    ).all()
    assert [(p, gap) for p, gap in rows] == [
        (30, timedelta(minutes=60)),
        (40, timedelta(minutes=80)),
    ]
    assert event_id


async def test_applying_the_same_rules_again_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, admin: UserHandle
) -> None:
    rules = {"ageing": {"every": "1h"}, "slas": [{"name": "all", "oldest_pending": "1d"}]}
    assert (await apply(client, admin, rules))["version"] == 1

    assert await apply(client, admin, rules) == {"version": 1, "changed": False, "reranked": 0}
    # A new SLA with the same ageing is a new version that re-ranks nothing.
    changed = {**rules, "slas": [{"name": "all", "oldest_pending": "2d"}]}
    assert await apply(client, admin, changed) == {"version": 2, "changed": True, "reranked": 0}
    shown = (await client.get("/api/v1/queue-rules", headers=admin.headers)).json()
    assert (shown["version"], shown["rules"]["slas"]) == (
        2,
        [{"name": "all", "oldest_pending": "2d"}],
    )
    audited = (
        await session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "queue_rules.applied")
        )
    ).all()
    assert [d["version"] for d in audited] == [1, 2]


async def test_rules_naming_an_unknown_region_are_refused(
    client: httpx.AsyncClient, admin: UserHandle
) -> None:
    response = await client.put(
        RULES,
        json={"priorities": [{"name": "x", "when": {"region": "mars"}, "priority": 1}]},
        headers=admin.headers,
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_region"
    assert (await client.get("/api/v1/queue-rules", headers=admin.headers)).json()["version"] == 0


@pytest.mark.usefixtures("admin")
async def test_only_admins_apply_rules_and_reviewers_do_not_read_them(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    lead = await factory.reviewer(["eu"], role=Role.LEAD)
    reviewer = await factory.reviewer(["eu"])

    assert (await client.put(RULES, json={}, headers=lead.headers)).status_code == 403
    assert (await client.get("/api/v1/queue-rules", headers=lead.headers)).status_code == 200
    assert (await client.get("/api/v1/queue-rules", headers=reviewer.headers)).status_code == 403
