"""Every emit point writes exactly one delivery per matching subscription, in the
transaction of its cause; filters, inactive subscriptions and kinds are honoured."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role, WebhookDelivery, WebhookKind
from event_review.central.regional_client import RegionalClient
from event_review.central.webhooks import outbox
from event_review.central.writeback.service import WritebackWorker
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.settings import Settings
from tests.central.forms.test_definition import example
from tests.central.webhooks.conftest import Receiver, reviewed, subscribe
from tests.factories import Factory, UserHandle

ALL = [k.value for k in WebhookKind]


async def deliveries(session: AsyncSession) -> list[tuple[str, str, dict[str, Any]]]:
    """(subscription description, kind, data) of every delivery row."""
    rows = await session.execute(
        select(WebhookDelivery)
        .order_by(WebhookDelivery.delivery_id)
        .execution_options(populate_existing=True)
    )
    return [(str(row.webhook_id), row.kind, row.body) for (row,) in rows]


async def subscriptions(client: httpx.AsyncClient, admin: UserHandle, url: str) -> dict[str, str]:
    """A spread of subscriptions: name -> webhook id."""
    specs: dict[str, dict[str, Any]] = {
        "all": {},
        "eu": {"regions": ["eu"]},
        "us": {"regions": ["us"]},
        "braking": {"event_types": ["harsh_braking"]},
        "collision": {"event_types": ["collision"]},
        "eu-braking": {"regions": ["eu"], "event_types": ["harsh_braking", "x"]},
        "inactive": {"active": False},
        "escalations": {"kinds": ["event.escalated"]},
        "reviews": {"kinds": ["review.created"]},
    }
    made = {}
    for name, spec in specs.items():
        created = await subscribe(client, admin, url, **({"kinds": ALL} | spec))
        made[name] = created["webhook_id"]
    return made


def names(made: dict[str, str], rows: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    by_id = {v: k for k, v in made.items()}
    return sorted(by_id[webhook_id] for webhook_id, _, _ in rows)


async def test_no_subscriber_no_row_and_a_refused_review_announces_nothing(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    assert (await reviewed(client, reviewer, event_id)).status_code == 200
    assert await deliveries(session) == []

    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await subscribe(client, admin, receiver.url)
    again = await client.post(
        f"/api/v1/events/{event_id}/review", json={"decision": "approve", "rating": 1},
        headers=reviewer.headers,
    )  # fmt: skip
    assert again.status_code == 409
    assert await deliveries(session) == []


async def test_a_review_announces_review_created_to_each_matching_subscription_once(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    made = await subscriptions(client, admin, receiver.url)
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1, event_type="harsh_braking", device_id="dev-9")

    response = await reviewed(client, reviewer, event_id)

    assert response.status_code == 200, response.text
    rows = await deliveries(session)
    assert names(made, rows) == ["all", "braking", "eu", "eu-braking", "reviews"]
    assert {kind for _, kind, _ in rows} == {"review.created"}
    body = rows[0][2]
    assert body["type"] == "review.created"
    assert body["timestamp"].endswith("+00:00")
    data = body["data"]
    assert data == {
        "event_id": event_id,
        "region": "eu",
        "event_type": "harsh_braking",
        "external_event_id": data["external_event_id"],
        "device_id": "dev-9",
        "revision": 1,
        "revision_kind": "review",
        "decision": "approve",
        "rating": 4,
        "reasons": {},
        "form_key": "default",
        "form_version": 1,
        "reviewer_id": str(reviewer.user_id),
        "reviewer": reviewer.username,
        "reviewed_at": data["reviewed_at"],
    }
    assert {r[0] for r in rows} == {made[n] for n in names(made, rows)}


async def test_a_us_collision_goes_to_other_subscriptions(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    made = await subscriptions(client, admin, receiver.url)
    reviewer = await factory.reviewer(["us"])
    [event_id] = await factory.ingest("us", 1, event_type="collision")

    await reviewed(client, reviewer, event_id)

    assert names(made, await deliveries(session)) == ["all", "collision", "reviews", "us"]


async def test_a_correction_announces_review_corrected(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await reviewed(client, reviewer, event_id)
    made = await subscriptions(client, admin, receiver.url)

    response = await client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={"decision": "reject", "rating": 2, "revision": 1, "comment": "changed my mind"},
        headers=reviewer.headers,
    )

    assert response.status_code == 200, response.text
    rows = await deliveries(session)
    assert names(made, rows) == ["all", "braking", "eu", "eu-braking"]
    assert {
        (kind, body["data"]["revision"], body["data"]["decision"]) for _, kind, body in rows
    } == {("review.corrected", 2, "reject")}


async def test_an_escalation_announces_event_escalated_without_its_note(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    made = await subscriptions(client, admin, receiver.url)
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await client.post("/api/v1/assignments/next-batch", json={"size": 1}, headers=reviewer.headers)

    response = await client.post(
        f"/api/v1/events/{event_id}/escalate", json={"note": "is this a pothole?"},
        headers=reviewer.headers,
    )  # fmt: skip

    assert response.status_code == 204, response.text
    rows = await deliveries(session)
    assert names(made, rows) == ["all", "braking", "escalations", "eu", "eu-braking"]
    data = rows[0][2]["data"]
    assert rows[0][1] == "event.escalated"
    assert (data["event_id"], data["escalated_by"]) == (event_id, reviewer.username)
    assert "pothole" not in str(rows)


async def test_a_qa_correction_announces_a_disagreement_and_an_agreement_nothing(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    applied = await client.post("/api/v1/admin/forms", json=example(), headers=admin.headers)
    assert applied.status_code == 200, applied.text
    team = await factory.team("webhook-qa", ["eu"])
    reviewer = await factory.user(team)
    judge = await factory.user(team, Role.QA)
    false_trigger = {
        "decision": "false_trigger", "reasons": {"cause": ["pothole"]},
        "form": {"key": "collision", "version": 1},
    }  # fmt: skip
    events = await factory.ingest("eu", 2, event_type="collision")
    for event_id in events:
        assert (await reviewed(client, reviewer, event_id, false_trigger)).status_code == 200
    created = await subscribe(client, admin, receiver.url, kinds=["qa.disagreement"])
    tasks = (
        await client.post("/api/v1/qa/next-batch", json={"size": 5}, headers=judge.headers)
    ).json()["tasks"]
    by_event = {t["event"]["event_id"]: t["task_id"] for t in tasks}

    agreed = await client.post(
        f"/api/v1/qa/tasks/{by_event[events[0]]}/verdict",
        json={"verdict": "agree", "revision": 1}, headers=judge.headers,
    )  # fmt: skip
    corrected = await client.post(
        f"/api/v1/qa/tasks/{by_event[events[1]]}/verdict",
        json={"verdict": "correct", "revision": 1, "note": "contact visible",
              "answers": {"decision": "confirmed", "fields": {"vehicles": 2}}},
        headers=judge.headers,
    )  # fmt: skip

    assert (agreed.status_code, corrected.status_code) == (200, 200), corrected.text
    [(webhook_id, kind, body)] = await deliveries(session)
    assert (webhook_id, kind) == (created["webhook_id"], "qa.disagreement")
    data = body["data"]
    assert (data["event_id"], data["revision"], data["revision_kind"]) == (events[1], 2, "qa")
    assert (data["decision"], data["reviewer"], data["form_key"]) == (
        "confirmed", judge.username, "collision",
    )  # fmt: skip
    assert "contact visible" not in str(body)


async def test_a_parked_writeback_announces_writeback_parked(
    client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    receiver: Receiver,
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    reviewer = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    await reviewed(client, reviewer, event_id)
    made = await subscriptions(client, admin, receiver.url)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    once = settings.model_copy(update={"writeback_max_attempts": 1})
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        worker = WritebackWorker(
            database.sessionmaker, RegionalClient(http, signing_key(settings)), once
        )
        assert await worker.deliver_due() == 1

    rows = await deliveries(session)
    assert names(made, rows) == ["all", "braking", "eu", "eu-braking"]
    data = rows[0][2]["data"]
    assert rows[0][1] == "writeback.parked"
    assert (data["event_id"], data["region"], data["revision"], data["attempts"]) == (
        event_id, "eu", 1, 1,
    )  # fmt: skip
    assert "refused" not in str(data)  # the region's error stays in the centre


async def test_enqueue_is_one_statement_for_any_caller(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, receiver: Receiver
) -> None:
    """The way in for other kinds (an SLA monitor's sla.breached)."""
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    made = await subscriptions(client, admin, receiver.url)
    event_id = uuid.uuid4()

    await outbox.enqueue(
        session, WebhookKind.SLA_BREACHED, region_code="us", event_type="collision",
        data={"event_id": event_id, "region": "us", "sla": "first_review", "late_by_s": 30},
    )  # fmt: skip

    rows = await deliveries(session)
    assert names(made, rows) == ["all", "collision", "us"]
    assert rows[0][2]["type"] == "sla.breached"
    assert rows[0][2]["data"] == {
        "event_id": str(event_id), "region": "us", "sla": "first_review", "late_by_s": 30,
    }  # fmt: skip
    row = (await session.scalars(select(WebhookDelivery).limit(1))).one()
    assert row.event_id == event_id
