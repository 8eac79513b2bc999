"""The write-back worker against a real regional API, on committed central data."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text, update

from event_review.central.db.models import (
    AuditEntry,
    Event,
    RetentionPolicy,
    Role,
    WritebackOutbox,
)
from event_review.central.regional_client import RegionalClient
from event_review.central.regions import service as regions
from event_review.central.writeback.service import WritebackWorker
from event_review.regional.api.routes import router as v1_router
from event_review.regional.simulator.payloads import EVENT_TYPES
from event_review.regional.store.models import RegionalEvent, ReviewRequest, ReviewRevisionRecord
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from event_review.targets.servers import regional_app
from tests.factories import TEST, Factory, UserHandle


@dataclass
class Stack:
    central: Database
    regional: Database
    client: httpx.AsyncClient
    factory: Factory
    regional_app: FastAPI
    settings: Settings

    def worker(self, transport: httpx.AsyncBaseTransport | None = None) -> WritebackWorker:
        http = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=self.regional_app))
        return WritebackWorker(
            self.central.sessionmaker,
            RegionalClient(http, signing_key(self.settings)),
            self.settings,
        )


@pytest.fixture
async def stack(
    fresh_db: ServerLocation, regional_db: Database, settings: Settings
) -> AsyncIterator[Stack]:
    settings = settings.model_copy(
        update={"writeback_backoff_seconds": 0.0001, "writeback_max_attempts": 3}
    )
    central = Database.connect(fresh_db, application_name="test-writeback")
    app = SERVERS["all"].build(settings, central)
    regional_app = SERVERS["regional-api"].build(settings, regional_db, "eu")
    async with (
        central.sessionmaker() as session,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield Stack(
            central, regional_db, client, Factory(session, client, settings), regional_app, settings
        )
    await central.dispose()


async def reviewed(stack: Stack, count: int) -> tuple[UserHandle, list[tuple[str, Any]]]:
    events = await stack.factory.regional_events(stack.regional, count, seed=random.randint(0, 9))
    reviewer = await stack.factory.reviewer(["eu"])
    await stack.client.post(
        "/api/v1/assignments/next-batch", json={"size": count}, headers=reviewer.headers
    )
    for event_id, _ in events:
        response = await stack.client.post(
            f"/api/v1/events/{event_id}/review",
            json={"decision": "approve", "rating": 5, "comment": "fine"},
            headers=reviewer.headers,
        )
        assert response.status_code == 200, response.text
    return reviewer, events


def v1_regional_api(stack: Stack) -> FastAPI:
    """The regional API as the release before revisions served it: the v1 routes only."""
    return regional_app(
        stack.settings, stack.regional, name="regional-api", routers=(v1_router,), region="eu"
    )


async def statuses(stack: Stack) -> dict[str, int]:
    async with stack.central.sessionmaker() as session:
        rows = await session.execute(select(Event.status, func.count()).group_by(Event.status))
        return {row[0]: row[1] for row in rows}


async def test_delivers_and_completes(stack: Stack) -> None:
    reviewer, events = await reviewed(stack, 3)

    assert await stack.worker().deliver_due() == 3

    assert await statuses(stack) == {"completed": 3}
    async with stack.regional.sessionmaker() as session:
        for _, document in events:
            row = await session.get(RegionalEvent, document["external_event_id"])
            assert row is not None
            assert (row.review_decision, row.review_rating, row.review_comment) == (
                "approve",
                5,
                "fine",
            )
            assert row.reviewed_by == reviewer.username
            assert (row.review_revision, row.review_form) == (1, "default@1")
        assert await session.scalar(select(func.count()).select_from(ReviewRevisionRecord)) == 3
    async with stack.central.sessionmaker() as session:
        outbox = (await session.scalars(select(WritebackOutbox))).all()
        assert {(o.status, o.attempts) for o in outbox} == {("delivered", 1)}
        completed = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "event.completed")
        )
        assert completed == 3
    assert await stack.worker().deliver_due() == 0


async def test_region_down_backs_off_then_parks_then_an_admin_retries(stack: Stack) -> None:
    await reviewed(stack, 1)
    refused = 0

    def down(request: httpx.Request) -> httpx.Response:
        nonlocal refused
        refused += 1
        raise httpx.ConnectError("connection refused", request=request)

    worker = stack.worker(httpx.MockTransport(down))
    for attempt in range(1, 4):
        async with stack.central.sessionmaker() as session:
            # Make the row due now instead of waiting out the (tiny) backoff.
            await session.execute(update(WritebackOutbox).values(next_attempt_at=func.now()))
            await session.commit()
        assert await worker.deliver_due() == 1
        async with stack.central.sessionmaker() as session:
            row = (await session.scalars(select(WritebackOutbox))).one()
            assert row.attempts == attempt
            assert "ConnectError" in (row.last_error or "")
    assert row.status == "failed"
    assert refused == 3
    assert await statuses(stack) == {"submitted": 1}

    admin_user = await stack.factory.reviewer(["eu"], Role.ADMIN)
    failed = await stack.client.get(
        "/api/v1/admin/writebacks", params={"status": "failed"}, headers=admin_user.headers
    )
    assert [i["outbox_id"] for i in failed.json()["items"]] == [row.outbox_id]
    retried = await stack.client.post(
        f"/api/v1/admin/writebacks/{row.outbox_id}/retry", headers=admin_user.headers
    )
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)

    assert await stack.worker().deliver_due() == 1
    assert await statuses(stack) == {"completed": 1}


async def test_a_lost_answer_is_retried_without_a_second_record(stack: Stack) -> None:
    await reviewed(stack, 1)
    regional = httpx.ASGITransport(app=stack.regional_app)

    class LosesFirstAnswer(httpx.AsyncBaseTransport):
        """The region records the review, but the answer never arrives."""

        calls = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await regional.handle_async_request(request)
            LosesFirstAnswer.calls += 1
            if LosesFirstAnswer.calls == 1:
                raise httpx.ReadError("connection reset", request=request)
            return response

    worker = stack.worker(LosesFirstAnswer())
    await worker.deliver_due()
    async with stack.central.sessionmaker() as session:
        await session.execute(update(WritebackOutbox).values(next_attempt_at=func.now()))
        await session.commit()
    await worker.deliver_due()

    assert LosesFirstAnswer.calls == 2
    assert await statuses(stack) == {"completed": 1}
    async with stack.regional.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ReviewRevisionRecord)) == 1


async def test_refusals_that_cannot_heal_park_at_once(stack: Stack) -> None:
    await reviewed(stack, 1)
    worker = stack.worker(httpx.MockTransport(lambda _: httpx.Response(409, text="conflict")))

    await worker.deliver_due()

    async with stack.central.sessionmaker() as session:
        row = (await session.scalars(select(WritebackOutbox))).one()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "409" in (row.last_error or "")


async def test_delete_on_complete_removes_the_central_row_but_keeps_the_trail(
    stack: Stack,
) -> None:
    _, events = await reviewed(stack, 2)
    async with stack.central.sessionmaker() as session:
        await regions.set_retention(
            session, "eu", RetentionPolicy.DELETE_ON_COMPLETE, None, actor=TEST
        )
        await session.commit()

    await stack.worker().deliver_due()

    assert await statuses(stack) == {}
    async with stack.central.sessionmaker() as session:
        trail = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.event_id).where(
                    AuditEntry.event_id == uuid.UUID(events[0][0])
                )
            )
        ).all()
    actions = [action for action, _ in trail]
    assert {"event.reviewed", "event.completed", "event.purged"} <= set(actions)


async def test_a_region_that_serves_only_v1_gets_default_reviews_by_v1(stack: Stack) -> None:
    """A rolling upgrade, centre first: the region does not know v2 yet."""
    reviewer, events = await reviewed(stack, 2)
    v1_region = v1_regional_api(stack)

    assert await stack.worker(httpx.ASGITransport(app=v1_region)).deliver_due() == 2

    assert await statuses(stack) == {"completed": 2}
    async with stack.regional.sessionmaker() as session:
        # Through the v1 route: one idempotency record each, and revision 1 in the history.
        assert await session.scalar(select(func.count()).select_from(ReviewRequest)) == 2
        row = await session.get(RegionalEvent, events[0][1]["external_event_id"])
        assert row is not None
        assert (row.review_decision, row.review_revision, row.reviewed_by) == (
            "approve", 1, reviewer.username,
        )  # fmt: skip


async def test_a_revision_v1_cannot_hold_waits_until_the_region_is_upgraded(stack: Stack) -> None:
    admin = await stack.factory.reviewer(["eu"], Role.ADMIN)
    form = {
        "key": "triage",
        "title": "Triage",
        "applies_to": {"event_types": sorted(EVENT_TYPES)},
        "decisions": [{"key": "keep", "label": "Keep", "hotkey": "a"}],
    }
    applied = await stack.client.post(
        "/api/v1/admin/forms", json={"forms": [form]}, headers=admin.headers
    )
    assert applied.status_code == 200, applied.text
    [(event_id, document)] = await stack.factory.regional_events(stack.regional, 1, seed=3)
    reviewer = await stack.factory.reviewer(["eu"])
    await stack.client.post("/api/v1/assignments/next-batch", headers=reviewer.headers)
    reviewed = await stack.client.post(
        f"/api/v1/events/{event_id}/review", json={"decision": "keep"}, headers=reviewer.headers
    )
    assert reviewed.status_code == 200, reviewed.text

    await stack.worker(httpx.ASGITransport(app=v1_regional_api(stack))).deliver_due()

    async with stack.central.sessionmaker() as session:
        row = (await session.scalars(select(WritebackOutbox))).one()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "serves only the v1 update contract" in (row.last_error or "")
    assert await statuses(stack) == {"submitted": 1}

    async with stack.central.sessionmaker() as session:
        await session.execute(update(WritebackOutbox).values(next_attempt_at=func.now()))
        await session.commit()
    assert await stack.worker().deliver_due() == 1  # the region, upgraded
    assert await statuses(stack) == {"completed": 1}
    async with stack.regional.sessionmaker() as session:
        regional = await session.get(RegionalEvent, document["external_event_id"])
        assert regional is not None
        assert (regional.review_decision, regional.review_form) == ("keep", "triage@1")


async def test_a_correction_reaches_the_region_and_completes_the_event_only_when_all_have(
    stack: Stack,
) -> None:
    reviewer, events = await reviewed(stack, 1)
    [(event_id, document)] = events
    first = await stack.worker().deliver_due()
    assert first == 1
    corrected = await stack.client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={"decision": "reject", "rating": 1, "revision": 1},
        headers=reviewer.headers,
    )
    assert corrected.status_code == 200, corrected.text
    assert await statuses(stack) == {"submitted": 1}
    again = await stack.client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={"decision": "approve", "rating": 3, "revision": 2},
        headers=reviewer.headers,
    )
    assert again.status_code == 200, again.text

    # Revision 3 goes out first; then revision 2 arrives late. The region keeps 3.
    async with stack.central.sessionmaker() as session:
        await session.execute(
            update(WritebackOutbox)
            .where(WritebackOutbox.outcome["revision"].as_integer() == 2)
            .values(next_attempt_at=func.now() + text("interval '1 hour'"))
        )
        await session.commit()
    assert await stack.worker().deliver_due() == 1
    assert await statuses(stack) == {"submitted": 1}  # revision 2 is still on its way
    async with stack.central.sessionmaker() as session:
        await session.execute(update(WritebackOutbox).values(next_attempt_at=func.now()))
        await session.commit()
    assert await stack.worker().deliver_due() == 1

    assert await statuses(stack) == {"completed": 1}
    async with stack.regional.sessionmaker() as session:
        row = await session.get(RegionalEvent, document["external_event_id"])
        assert row is not None
        assert (row.review_revision, row.review_decision, row.review_rating) == (3, "approve", 3)
        kept = await session.scalar(
            select(func.count())
            .select_from(ReviewRevisionRecord)
            .where(ReviewRevisionRecord.external_event_id == document["external_event_id"])
        )
        assert kept == 3
