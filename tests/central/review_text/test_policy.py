"""What reviewers type stays where the region's policy says, proven with canaries.

Under `regional` the centre holds a comment, a note, a text answer or an
escalation note only until the revision's write-back is delivered; after that
no central table holds it, and the event's review text is read from the region.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.base import Base
from event_review.central.db.models import AuditAction, AuditEntry, Role
from event_review.central.writeback.service import WritebackWorker
from event_review.runtime.database import Database
from event_review.settings import Settings
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"
FORM: dict[str, Any] = {
    "forms": [
        {
            "key": "typed",
            "title": "Lane departures, with typed answers",
            "applies_to": {"event_types": ["lane_departure"], "regions": ["eu"]},
            "decisions": [
                {"key": "real", "label": "Real", "hotkey": "a"},
                {"key": "fault", "label": "Sensor fault", "hotkey": "f"},
            ],
            "fields": [
                {"key": "firmware", "label": "Firmware", "kind": "text", "max_length": 80},
                {"key": "cameras", "label": "Cameras", "kind": "number", "min": 1, "max": 8,
                 "integer": True},
            ],
            "qa": {"always": [{"decision": "fault"}]},
        }
    ]
}  # fmt: skip


def canary(name: str) -> str:
    return f"CANARY-{name}-{uuid.uuid4().hex[:10]}"


async def central_dump(session: AsyncSession) -> str:
    """Every row of every central table, as text."""
    parts = []
    for table in Base.metadata.sorted_tables:
        rows = await session.scalar(
            text(f"SELECT coalesce(string_agg(to_jsonb(t)::text, ' '), '') FROM {table.name} t")
        )
        parts.append(rows or "")
    return " ".join(parts)


async def regional_dump(regional_db: Database) -> str:
    async with regional_db.sessionmaker() as session:
        rows = await session.scalar(
            text(
                "SELECT string_agg(t::text, ' ') FROM ("
                "SELECT to_jsonb(e)::text AS t FROM events e UNION ALL "
                "SELECT to_jsonb(r)::text FROM review_revisions r) AS rows"
            )
        )
    return rows or ""


async def set_policy(client: httpx.AsyncClient, admin: UserHandle, policy: str) -> dict[str, Any]:
    response = await client.patch(
        "/api/v1/admin/regions/eu", json={"review_text": policy}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["review_text"] == policy
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Stack:
    """The centre on the test's transaction, region eu's API in process, and the
    write-back worker between them."""

    client: httpx.AsyncClient
    factory: Factory
    session: AsyncSession
    regional_db: Database
    worker: WritebackWorker

    async def deliver(self) -> None:
        while await self.worker.deliver_due():
            pass

    async def regional(self) -> UserHandle:
        """Region eu under the `regional` policy; returns its admin."""
        admin = await self.factory.reviewer(["eu"], Role.ADMIN)
        await self.factory.region("eu")
        await set_policy(self.client, admin, "regional")
        return admin

    async def typed(self) -> tuple[Typed, str, UserHandle]:
        typed = Typed()
        event_id, lead = await typed.make(self.client, self.factory, self.regional_db)
        return typed, event_id, lead


@pytest.fixture
def stack(
    regional_app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    regional_db: Database,
    app: FastAPI,
    database: Database,
    settings: Settings,
) -> Stack:
    del regional_app  # it gave the app its regional client
    # One row per pass: the test's sessions share one connection, which cannot run
    # the worker's concurrent deliveries.
    one_at_a_time = settings.model_copy(update={"writeback_batch_size": 1})
    worker = WritebackWorker(database.sessionmaker, app.state.regional_client, one_at_a_time)
    return Stack(client, factory, session, regional_db, worker)


class Typed:
    """One lane departure of eu's, escalated, reviewed with typed answers and corrected."""

    def __init__(self) -> None:
        self.escalation = canary("escalation")
        self.comment = canary("comment")
        self.firmware = canary("firmware")
        self.note = canary("note")

    @property
    def all(self) -> list[str]:
        return [self.escalation, self.comment, self.firmware, self.note]

    async def make(
        self, client: httpx.AsyncClient, factory: Factory, regional_db: Database
    ) -> tuple[str, UserHandle]:
        admin = await factory.reviewer(["eu"], Role.ADMIN)
        applied = await client.post("/api/v1/admin/forms", json=FORM, headers=admin.headers)
        assert applied.status_code == 200, applied.text
        team = await factory.team(f"typed-{uuid.uuid4().hex[:6]}", ["eu"])
        reviewer, lead = await factory.user(team), await factory.user(team, Role.LEAD)
        [(event_id, _)] = await factory.regional_events(regional_db, 1, event_type="lane_departure")
        await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)
        escalated = await client.post(
            f"/api/v1/events/{event_id}/escalate",
            json={"note": f"plate {self.escalation}?"},
            headers=reviewer.headers,
        )
        assert escalated.status_code == 204, escalated.text
        await client.post(NEXT, json={"size": 1, "queue": "escalated"}, headers=lead.headers)
        reviewed = await client.post(
            f"/api/v1/events/{event_id}/review",
            json={"decision": "fault", "comment": f"plate {self.comment}",
                  "fields": {"firmware": self.firmware, "cameras": 2},
                  "form": {"key": "typed", "version": 1}},
            headers=lead.headers,
        )  # fmt: skip
        assert reviewed.status_code == 200, reviewed.text
        corrected = await client.post(
            f"/api/v1/events/{event_id}/corrections",
            json={"decision": "real", "revision": 1, "note": f"saw {self.note}",
                  "fields": {"firmware": self.firmware, "cameras": 2}},
            headers=lead.headers,
        )  # fmt: skip
        assert corrected.status_code == 200, corrected.text
        return event_id, lead


async def test_a_regional_policy_leaves_no_typed_text_centrally_once_delivered(
    stack: Stack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    await stack.regional()
    typed, event_id, lead = await stack.typed()
    # Until delivered, the centre holds it: the dump sees what it is meant to catch.
    before = await central_dump(stack.session)
    assert all(c in before for c in typed.all)

    await stack.deliver()

    after = await central_dump(stack.session)
    assert [c for c in typed.all if c in after] == []
    # The region has all of it but the escalation note, a question to the lead.
    held = await regional_dump(stack.regional_db)
    assert [c for c in typed.all if c in held] == typed.all[1:]
    logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert [c for c in typed.all if c in logged] == []
    # Shown on demand, read from the region and not kept.
    response = await stack.client.get(
        f"/api/v1/events/{event_id}/review-text", headers=lead.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "policy": "regional",
        "revisions": [
            {"revision": 1, "source": "region", "comment": f"plate {typed.comment}",
             "note": None, "fields": {"firmware": typed.firmware}},
            {"revision": 2, "source": "region", "comment": None, "note": f"saw {typed.note}",
             "fields": {"firmware": typed.firmware}},
        ],
    }  # fmt: skip
    assert [c for c in typed.all if c in await central_dump(stack.session)] == []
    viewed = await stack.session.scalar(
        select(func.count()).where(
            AuditEntry.action == AuditAction.EVENT_TEXT_VIEWED,
            AuditEntry.event_id == uuid.UUID(event_id),
        )
    )
    assert viewed == 1
    revisions = await stack.client.get(f"/api/v1/events/{event_id}/revisions", headers=lead.headers)
    assert [(r["comment"], r["note"], r["answers"]["fields"]) for r in revisions.json()] == [
        (None, None, {"cameras": 2}), (None, None, {"cameras": 2}),
    ]  # fmt: skip
    assert all(r["text_cleared_at"] for r in revisions.json())


async def test_qa_of_a_regional_review_keeps_no_typed_text(stack: Stack) -> None:
    await stack.regional()
    typed, _, _ = await stack.typed()
    judge = await stack.factory.reviewer(["eu"], Role.QA)
    claimed = await stack.client.post("/api/v1/qa/next-batch", json={}, headers=judge.headers)
    [task] = claimed.json()["tasks"]
    judged = await stack.client.post(
        f"/api/v1/qa/tasks/{task['task_id']}/verdict",
        json={"verdict": "agree", "revision": 2},
        headers=judge.headers,
    )
    assert judged.status_code == 200, judged.text

    await stack.deliver()

    assert [c for c in typed.all if c in await central_dump(stack.session)] == []


async def test_a_central_policy_keeps_the_text_and_asks_no_region(stack: Stack) -> None:
    typed, event_id, lead = await stack.typed()
    await stack.deliver()

    response = await stack.client.get(
        f"/api/v1/events/{event_id}/review-text", headers=lead.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["policy"] == "central"
    assert [(r["source"], r["comment"]) for r in body["revisions"]] == [
        ("central", f"plate {typed.comment}"), ("central", None),
    ]  # fmt: skip
    assert typed.comment in await central_dump(stack.session)
    viewed = await stack.session.scalar(
        select(func.count()).where(AuditEntry.action == AuditAction.EVENT_TEXT_VIEWED)
    )
    assert viewed == 0


async def test_turning_regional_clears_what_was_delivered_and_holds_the_rest_until_delivered(
    stack: Stack,
) -> None:
    typed, event_id, lead = await stack.typed()
    await stack.deliver()
    later = canary("later")
    corrected = await stack.client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={"decision": "fault", "revision": 2, "comment": later, "note": "again"},
        headers=lead.headers,
    )
    assert corrected.status_code == 200, corrected.text

    await stack.regional()

    dump = await central_dump(stack.session)
    assert [c for c in typed.all if c in dump] == []
    assert later in dump  # revision 3 is not delivered yet: held until it is
    audited = await stack.session.scalar(
        select(AuditEntry.details)
        .where(AuditEntry.action == AuditAction.REGION_UPDATED)
        .order_by(AuditEntry.audit_id.desc())
        .limit(1)
    )
    assert audited == {"code": "eu", "review_text": "regional", "text_cleared_revisions": 2}
    await stack.deliver()
    assert later not in await central_dump(stack.session)


async def test_text_the_region_no_longer_has_is_said_to_be_unavailable(stack: Stack) -> None:
    await stack.regional()
    _, event_id, lead = await stack.typed()
    await stack.deliver()
    async with stack.regional_db.sessionmaker() as regional, regional.begin():
        await regional.execute(text("DELETE FROM review_revisions WHERE revision = 1"))

    response = await stack.client.get(
        f"/api/v1/events/{event_id}/review-text", headers=lead.headers
    )

    assert response.status_code == 200, response.text
    assert [(r["source"], r["comment"]) for r in response.json()["revisions"]] == [
        ("unavailable", None), ("region", None),
    ]  # fmt: skip


async def test_review_text_is_for_those_who_may_see_the_event(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    [event_id] = await factory.ingest("eu", 1)
    outsider = await factory.reviewer(["us"])

    response = await client.get(f"/api/v1/events/{event_id}/review-text", headers=outsider.headers)

    assert response.status_code == 404
