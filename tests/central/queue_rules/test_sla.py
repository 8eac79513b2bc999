"""SLAs on real PostgreSQL: measured, breached once, announced once, recovered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditEntry,
    Role,
    SlaBreach,
    WebhookDelivery,
    WebhookSubscription,
)
from event_review.central.queue_rules import service as queue_rules
from event_review.central.queue_rules import sla
from event_review.central.queue_rules.definition import QueueRules
from event_review.central.regions import service as regions
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.central.queue_rules.test_priorities import apply, backdate
from tests.factories import TEST, Factory, UserHandle


def gauge(name: str, sla_name: str, measure: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"sla": sla_name, "measure": measure})


async def subscribe(session: AsyncSession, **filters: Any) -> None:
    await session.execute(
        insert(WebhookSubscription).values(
            url="https://hooks.example.com/sla",
            kinds=["sla.breached"],
            secret="whsec_" + "A" * 44,
            created_by="test",
            **filters,
        )
    )


async def breaches(session: AsyncSession) -> list[tuple[str, str, bool]]:
    rows = await session.execute(
        select(SlaBreach.sla, SlaBreach.measure, SlaBreach.closed_at.is_(None))
        .order_by(SlaBreach.breach_id)
        .execution_options(populate_existing=True)
    )
    return [(name, measure, is_open) for name, measure, is_open in rows]


@pytest.fixture
async def admin(factory: Factory) -> UserHandle:
    for code in ("eu", "us"):
        await factory.region(code)
    return await factory.reviewer(["eu", "us"], role=Role.ADMIN)


async def test_the_oldest_waiting_event_breaches_once_announces_once_and_recovers(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, admin: UserHandle
) -> None:
    await apply(
        client,
        admin,
        {"slas": [{"name": "eu-collisions", "when": {"region": "eu", "event_type": "collision"},
                   "oldest_pending": "30m"}]},
    )  # fmt: skip
    await subscribe(session, regions=["eu"])
    await subscribe(session, regions=["us"])  # another part of the queue: hears nothing
    await subscribe(session, event_types=["collision", "x"])
    [late] = await factory.ingest("eu", 1, event_type="collision")
    await factory.ingest("eu", 1, event_type="collision")
    [other_type] = await factory.ingest("eu", 1, event_type="harsh_braking")
    [other_region] = await factory.ingest("us", 1, event_type="collision")
    for event_id in (other_type, other_region):  # waited long, but not under this SLA
        await backdate(session, event_id, timedelta(hours=5))

    [measured] = await sla.evaluate(session)
    assert (measured.measure, measured.breached) == ("oldest_pending", False)
    assert measured.seconds is not None
    assert 0 <= measured.seconds < 60
    assert gauge("event_review_sla_breached", "eu-collisions", "oldest_pending") == 0
    assert gauge("event_review_sla_target_seconds", "eu-collisions", "oldest_pending") == 1800

    await backdate(session, late, timedelta(minutes=45))
    await sla.evaluate(session)
    await sla.evaluate(session)  # still breached: no second breach, no second webhook

    assert await breaches(session) == [("eu-collisions", "oldest_pending", True)]
    assert gauge("event_review_sla_breached", "eu-collisions", "oldest_pending") == 1
    assert 2700 <= (gauge("event_review_sla_seconds", "eu-collisions", "oldest_pending") or 0)
    bodies = (await session.scalars(select(WebhookDelivery.body))).all()
    assert len(bodies) == 2
    assert {b["type"] for b in bodies} == {"sla.breached"}
    assert bodies[0]["data"]["sla"] == "eu-collisions"
    assert bodies[0]["data"]["target_seconds"] == 1800
    assert bodies[0]["data"]["regions"] == ["eu"]

    # Reviewed (here: completed) events no longer wait.
    await session.execute(
        text("UPDATE events SET status = 'completed', rank_at = NULL WHERE event_id = :id"),
        {"id": late},
    )
    await sla.evaluate(session)

    assert await breaches(session) == [("eu-collisions", "oldest_pending", False)]
    assert gauge("event_review_sla_breached", "eu-collisions", "oldest_pending") == 0
    actions = (
        await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("sla.%"))
            .order_by(AuditEntry.audit_id)
        )
    ).all()
    assert actions == ["sla.breached", "sla.recovered"]


async def test_time_to_first_review_is_the_90th_percentile_over_the_window(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, admin: UserHandle
) -> None:
    await apply(
        client,
        admin,
        {"slas": [{"name": "reviews", "first_review": "10m", "window": "1h"}]},
    )
    ids = await factory.ingest("eu", 10)
    # Nine reviewed 5 minutes after arriving, one after 60: the 90th percentile
    # (interpolated) is 5 + 0.1 * 55 = 10.5 minutes, over the 10 minute target.
    for index, event_id in enumerate(ids):
        waited = 60 if index == 0 else 5
        await session.execute(
            text(
                "UPDATE events SET status = 'completed', rank_at = NULL, "
                "reviewed_at = clock_timestamp() - interval '1 minute', "
                "created_at = clock_timestamp() - interval '1 minute' "
                "    - make_interval(mins => :waited) WHERE event_id = :id"
            ),
            {"waited": waited, "id": event_id},
        )
    # Reviewed before the window: not counted.
    [old] = await factory.ingest("eu", 1)
    await session.execute(
        text(
            "UPDATE events SET status = 'completed', rank_at = NULL, "
            "reviewed_at = now() - interval '2 hours', created_at = now() - interval '9 hours' "
            "WHERE event_id = :id"
        ),
        {"id": old},
    )

    [measured] = await sla.evaluate(session)

    assert measured.measure == "first_review"
    assert measured.seconds == pytest.approx(630, abs=1)
    assert measured.breached
    status = (await client.get("/api/v1/sla", headers=admin.headers)).json()
    [shown] = status["measures"]
    assert (shown["sla"], shown["breached"], shown["target_seconds"]) == ("reviews", True, 600)
    assert shown["breached_since"] is not None
    assert shown["regions"] == ["eu", "us"]  # no regions named: every region


async def test_nothing_to_measure_is_no_breach(
    client: httpx.AsyncClient, session: AsyncSession, admin: UserHandle
) -> None:
    await apply(
        client, admin, {"slas": [{"name": "all", "oldest_pending": "1m", "first_review": "1m"}]}
    )

    measured = await sla.evaluate(session)

    assert [(m.measure, m.seconds, m.breached) for m in measured] == [
        ("oldest_pending", None, False),
        ("first_review", None, False),
    ]
    assert gauge("event_review_sla_seconds", "all", "oldest_pending") is None
    assert gauge("event_review_sla_breached", "all", "oldest_pending") == 0


async def test_an_sla_taken_out_of_the_rules_closes_its_breach_and_its_series(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, admin: UserHandle
) -> None:
    await apply(client, admin, {"slas": [{"name": "old", "oldest_pending": "1m"}]})
    [event_id] = await factory.ingest("eu", 1)
    await backdate(session, event_id, timedelta(minutes=5))
    await sla.evaluate(session)
    assert await breaches(session) == [("old", "oldest_pending", True)]

    await apply(client, admin, {"slas": [{"name": "new", "oldest_pending": "1h"}]})
    await sla.evaluate(session)

    assert await breaches(session) == [("old", "oldest_pending", False)]
    assert gauge("event_review_sla_breached", "old", "oldest_pending") is None
    assert gauge("event_review_sla_breached", "new", "oldest_pending") == 0


async def test_a_lead_sees_the_slas_of_their_teams_regions(
    client: httpx.AsyncClient, factory: Factory, admin: UserHandle
) -> None:
    await apply(
        client,
        admin,
        {"slas": [{"name": "eu", "when": {"region": "eu"}, "oldest_pending": "1h"},
                  {"name": "us", "when": {"region": "us"}, "oldest_pending": "1h"},
                  {"name": "all", "oldest_pending": "1d"}]},
    )  # fmt: skip
    lead = await factory.reviewer(["us"], role=Role.LEAD)
    reviewer = await factory.reviewer(["us"])

    shown = (await client.get("/api/v1/sla", headers=lead.headers)).json()

    assert [m["sla"] for m in shown["measures"]] == ["us", "all"]
    assert (await client.get("/api/v1/sla", headers=reviewer.headers)).status_code == 403


async def test_two_monitors_seeing_one_breach_open_it_once(fresh_db: ServerLocation) -> None:
    """Monitors racing on their own connections: one breach, one audit row, one webhook."""
    database = Database.connect(fresh_db, application_name="test-sla", pool_size=8)
    try:
        async with database.sessionmaker() as session, session.begin():
            await regions.add_region(session, "eu", "http://127.0.0.1:9/eu", actor=TEST)
            await queue_rules.apply(
                session,
                QueueRules.model_validate({"slas": [{"name": "s", "oldest_pending": "1m"}]}),
                actor=TEST,
            )
            await subscribe(session)
            await session.execute(
                text(
                    "INSERT INTO events (external_event_id, region_code, event_type, "
                    "occurred_at, created_at) VALUES ('e1', 'eu', 'collision', now(), "
                    "now() - interval '1 hour')"
                )
            )

        async def monitor() -> None:
            async with database.sessionmaker() as session, session.begin():
                await sla.evaluate(session)

        await asyncio.gather(*(monitor() for _ in range(8)))

        async with database.sessionmaker() as session:
            assert await breaches(session) == [("s", "oldest_pending", True)]
            assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
            assert (
                await session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == "sla.breached")
                )
                == 1
            )
    finally:
        await database.dispose()
