"""Corrections: a review's next revision, by its reviewer within a window, or by a lead."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditAction,
    AuditEntry,
    ReviewRevisionRow,
    Role,
    WritebackOutbox,
)
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.factories import Factory, UserHandle
from tests.fixtures.databases import fetch

NEXT = "/api/v1/assignments/next-batch"


async def reviewed(
    client: httpx.AsyncClient, factory: Factory, team: str | None = None
) -> tuple[UserHandle, str]:
    reviewer = await (factory.user(team) if team else factory.reviewer(["eu"]))
    [event_id] = await factory.ingest("eu", 1)
    await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)
    response = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "approve", "rating": 4, "comment": "looks real"},
        headers=reviewer.headers,
    )
    assert response.status_code == 200, response.text
    return reviewer, event_id


async def correct(
    client: httpx.AsyncClient, who: UserHandle, event_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={"decision": "reject", "rating": 2, "revision": 1, **body},
        headers=who.headers,
    )


async def test_a_reviewer_corrects_their_review_and_it_is_written_back_as_revision_2(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    reviewer, event_id = await reviewed(client, factory)

    response = await correct(client, reviewer, event_id, comment="on second look, a glitch")

    assert response.status_code == 200, response.text
    event = response.json()
    assert (event["review_decision"], event["review_rating"], event["review_revision"]) == (
        "reject", 2, 2,
    )  # fmt: skip
    assert event["status"] == "submitted"
    revisions = (
        await client.get(f"/api/v1/events/{event_id}/revisions", headers=reviewer.headers)
    ).json()
    assert [(r["revision"], r["kind"], r["decision"]) for r in revisions] == [
        (1, "review", "approve"), (2, "correction", "reject"),
    ]  # fmt: skip
    outbox = (
        await session.scalars(
            select(WritebackOutbox)
            .where(WritebackOutbox.event_id == uuid.UUID(event_id))
            .order_by(WritebackOutbox.outbox_id)
        )
    ).all()
    assert [(o.outcome["revision"], o.outcome["kind"]) for o in outbox] == [
        (1, "review"), (2, "correction"),
    ]  # fmt: skip
    audited = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.EVENT_CORRECTED,
            AuditEntry.event_id == uuid.UUID(event_id),
        )
    )
    assert audited is not None
    assert audited.details["revision"] == 2
    assert "comment" not in audited.details  # free text stays out of the audit trail


async def test_after_the_window_a_reviewer_may_not_correct(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"correction_window_minutes": 0})
    reviewer, event_id = await reviewed(client, factory)

    response = await correct(client, reviewer, event_id)

    assert (response.status_code, response.json()["error"]["code"]) == (
        403, "correction_not_allowed",
    )  # fmt: skip
    assert "0 min after it was made" in response.json()["error"]["message"]


async def test_a_lead_of_the_region_corrects_with_a_reason_and_the_reviewer_then_may_not(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await factory.team("corrections-eu", ["eu"])
    reviewer, event_id = await reviewed(client, factory, team)
    lead = await factory.user(team, Role.LEAD)

    without = await correct(client, lead, event_id)
    with_note = await correct(client, lead, event_id, note="pothole, not a collision")
    reviewer_again = await correct(client, reviewer, event_id, revision=2, decision="approve")

    assert without.status_code == 422
    assert [d["loc"] for d in without.json()["error"]["details"]] == [["body", "note"]]
    assert with_note.status_code == 200, with_note.text
    assert with_note.json()["review_revision"] == 2
    [_, second] = (
        await session.scalars(
            select(ReviewRevisionRow)
            .where(ReviewRevisionRow.event_id == uuid.UUID(event_id))
            .order_by(ReviewRevisionRow.revision)
        )
    ).all()
    assert (second.reviewer, second.note, second.user_id) == (
        lead.username, "pothole, not a collision", lead.user_id,
    )  # fmt: skip
    # The lead's revision is the latest: the reviewer's own window no longer covers it.
    assert reviewer_again.status_code == 403


async def test_no_one_else_may_correct(client: httpx.AsyncClient, factory: Factory) -> None:
    team = await factory.team("corrections-peers", ["eu"])
    _, event_id = await reviewed(client, factory, team)
    peer = await factory.user(team)
    other_lead = await factory.reviewer(["us"], Role.LEAD)

    by_peer = await correct(client, peer, event_id)
    by_other_region = await correct(client, other_lead, event_id, note="x")

    # Neither may even see the event: the answer is the same as for no event at all.
    assert (by_peer.status_code, by_peer.json()["error"]["code"]) == (404, "event_not_found")
    assert by_other_region.status_code == 404


async def test_a_stale_or_missing_revision_is_a_conflict(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    team = await factory.team("corrections-race", ["eu"])
    reviewer, event_id = await reviewed(client, factory, team)
    lead = await factory.user(team, Role.LEAD)
    assert (await correct(client, reviewer, event_id)).status_code == 200

    stale = await correct(client, lead, event_id, note="I saw revision 1")

    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "revision_changed")
    assert "revision 2" in stale.json()["error"]["message"]
    [pending] = await factory.ingest("eu", 1)
    not_reviewed = await correct(client, lead, pending, note="too early")
    assert (not_reviewed.status_code, not_reviewed.json()["error"]["code"]) == (
        409, "not_reviewed",
    )  # fmt: skip


async def test_a_correction_is_checked_against_the_form(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer, event_id = await reviewed(client, factory)

    response = await correct(client, reviewer, event_id, decision="maybe", rating=9)

    assert response.status_code == 422
    places = [d["loc"][1:] for d in response.json()["error"]["details"]]
    assert places == [["decision"], ["rating"]]


async def test_two_racing_corrections_of_one_revision_store_one(
    fresh_db: ServerLocation, settings: Settings
) -> None:
    """Two leads correct revision 1 at once, on their own connections: one wins, one is told."""
    database = Database.connect(fresh_db, application_name="test-corrections")
    app = SERVERS["all"].build(settings, database)
    try:
        async with (
            database.sessionmaker() as session,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            factory = Factory(session, c, settings)
            team = await factory.team("corrections-racing", ["eu"])
            _, event_id = await reviewed(c, factory, team)
            leads = [await factory.user(team, Role.LEAD) for _ in range(4)]
            await session.commit()

            answers = await asyncio.gather(
                *(correct(c, lead, event_id, note=f"lead {n}") for n, lead in enumerate(leads))
            )

        codes = sorted(r.status_code for r in answers)
        assert codes == [200, 409, 409, 409], [r.text for r in answers]
        rows = await fetch(
            fresh_db, "SELECT revision FROM review_revisions WHERE event_id = $1", event_id
        )
        assert sorted(r["revision"] for r in rows) == [1, 2]
    finally:
        await database.dispose()
