"""QA through the API: sampled reviews, judged by someone else, agreed with or corrected."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import (
    AuditAction,
    AuditEntry,
    QaTask,
    ReviewRevisionRow,
    Role,
    WritebackOutbox,
)
from event_review.central.qa.repository import CLAIM_SQL
from event_review.central.requeue.service import requeue_stale
from event_review.runtime.database import Database
from tests.central.forms.test_definition import example
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"
QA_NEXT = "/api/v1/qa/next-batch"
FALSE_TRIGGER = {
    "decision": "false_trigger",
    "reasons": {"cause": ["pothole"]},
    "form": {"key": "collision", "version": 1},
}


async def reviewed(
    client: httpx.AsyncClient,
    factory: Factory,
    team: str,
    body: dict[str, Any] = FALSE_TRIGGER,
    event_type: str = "collision",
) -> tuple[UserHandle, str]:
    """A reviewer of `team` reviews one new event of `event_type` with `body`."""
    reviewer = await factory.user(team)
    [event_id] = await factory.ingest("eu", 1, event_type=event_type)
    batch = (await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)).json()
    assert [e["event_id"] for e in batch["events"]] == [event_id]
    response = await client.post(
        f"/api/v1/events/{event_id}/review", json=body, headers=reviewer.headers
    )
    assert response.status_code == 200, response.text
    return reviewer, event_id


async def qa_team(client: httpx.AsyncClient, factory: Factory, name: str) -> str:
    """A team of eu with the example forms applied (collision: false triggers always go
    to QA)."""
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    applied = await client.post("/api/v1/admin/forms", json=example(), headers=admin.headers)
    assert applied.status_code == 200, applied.text
    return await factory.team(name, ["eu"])


async def qa_claim(client: httpx.AsyncClient, who: UserHandle) -> list[dict[str, Any]]:
    response = await client.post(QA_NEXT, json={"size": 5}, headers=who.headers)
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()["tasks"]
    return tasks


async def verdict(
    client: httpx.AsyncClient, who: UserHandle, task_id: int, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/qa/tasks/{task_id}/verdict", json={"revision": 1, **body}, headers=who.headers
    )


async def test_a_sampled_review_goes_to_qa_for_anyone_but_its_reviewer(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await qa_team(client, factory, "qa-sampled")
    reviewer, event_id = await reviewed(client, factory, team)
    # The reviewer is a QA reviewer too, elsewhere in the day: still not their own.
    await session.execute(
        text("UPDATE users SET role = 'qa' WHERE username = :u"), {"u": reviewer.username}
    )
    await session.commit()
    judge = await factory.user(team, Role.QA)
    outsider = await factory.reviewer(["us"], Role.QA)

    assert await qa_claim(client, reviewer) == []
    assert await qa_claim(client, outsider) == []
    before = await client.get(f"/api/v1/events/{event_id}", headers=judge.headers)
    [task] = await qa_claim(client, judge)
    after = await client.get(f"/api/v1/events/{event_id}", headers=judge.headers)

    assert before.status_code == 404  # a QA reviewer sees what they judge, not more
    assert after.status_code == 200, after.text
    assert (task["event"]["event_id"], task["revision"], task["form_key"]) == (
        event_id, 1, "collision",
    )  # fmt: skip
    assert task["event"]["review_decision"] == "false_trigger"
    assert (await client.get("/api/v1/qa/tasks", headers=judge.headers)).json()["tasks"] == [task]
    assigned = await session.scalar(
        select(func.count()).where(
            AuditEntry.action == AuditAction.QA_ASSIGNED, AuditEntry.event_id == uuid.UUID(event_id)
        )
    )
    assert assigned == 1


async def test_a_form_that_samples_nothing_makes_no_qa_tasks(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await qa_team(client, factory, "qa-none")
    await reviewed(client, factory, team, {"decision": "approve", "rating": 3}, "harsh_braking")

    assert await session.scalar(select(func.count()).select_from(QaTask)) == 0


async def test_reviewers_do_not_judge(client: httpx.AsyncClient, factory: Factory) -> None:
    reviewer = await factory.reviewer(["eu"])
    for call in (
        client.post(QA_NEXT, json={}, headers=reviewer.headers),
        client.get("/api/v1/qa/tasks", headers=reviewer.headers),
        verdict(client, reviewer, 1, verdict="agree"),
    ):
        response = await call
        assert (response.status_code, response.json()["error"]["code"]) == (
            403, "role_required",
        )  # fmt: skip


async def test_agreeing_finishes_the_task_and_leaves_the_review_as_it_was(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await qa_team(client, factory, "qa-agree")
    _, event_id = await reviewed(client, factory, team)
    judge = await factory.user(team, Role.LEAD)
    [task] = await qa_claim(client, judge)

    with_note = await verdict(client, judge, task["task_id"], verdict="agree", note="fine")
    response = await verdict(client, judge, task["task_id"], verdict="agree")

    assert with_note.status_code == 422  # refused, not dropped: agreeing keeps no note
    assert response.status_code == 200, response.text
    assert response.json()["event"]["review_revision"] == 1
    done = await session.get(QaTask, task["task_id"], populate_existing=True)
    assert done is not None
    assert (done.status, done.verdict, done.verdict_by) == ("done", "agree", judge.username)
    assert done.qa_answers == done.reviewed_answers
    assert done.reviewed_answers is not None
    assert done.reviewed_answers["reasons"] == {"cause": ["pothole"]}
    outbox = await session.scalar(
        select(func.count()).where(WritebackOutbox.event_id == uuid.UUID(event_id))
    )
    assert outbox == 1  # only the review itself
    assert await qa_claim(client, judge) == []
    again = await verdict(client, judge, task["task_id"], verdict="agree")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_holder")


async def test_a_correction_is_the_reviews_next_revision_written_back(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    team = await qa_team(client, factory, "qa-correct")
    _, event_id = await reviewed(client, factory, team)
    judge = await factory.user(team, Role.QA)
    [task] = await qa_claim(client, judge)
    answers = {"decision": "confirmed", "fields": {"vehicles": 2}}

    missing = await verdict(client, judge, task["task_id"], verdict="correct")
    wrong = await verdict(
        client, judge, task["task_id"], verdict="correct", answers={"decision": "approve"}
    )
    response = await verdict(
        client, judge, task["task_id"], verdict="correct", answers=answers, note="contact at 0:04"
    )

    assert (missing.status_code, missing.json()["error"]["details"][0]["loc"]) == (
        422, ["body", "answers"],
    )  # fmt: skip
    assert wrong.status_code == 422, wrong.text
    assert response.status_code == 200, response.text
    event = response.json()["event"]
    assert (event["review_decision"], event["review_revision"]) == ("confirmed", 2)
    revisions = (
        await session.scalars(
            select(ReviewRevisionRow)
            .where(ReviewRevisionRow.event_id == uuid.UUID(event_id))
            .order_by(ReviewRevisionRow.revision)
        )
    ).all()
    assert [(r.revision, r.kind, r.reviewer) for r in revisions][1] == (2, "qa", judge.username)
    kinds = (
        await session.scalars(
            select(WritebackOutbox.outcome["kind"].astext)
            .where(WritebackOutbox.event_id == uuid.UUID(event_id))
            .order_by(WritebackOutbox.outbox_id)
        )
    ).all()
    assert kinds == ["review", "qa"]
    lead = await factory.user(team, Role.LEAD)
    listed = await client.get(f"/api/v1/events/{event_id}/revisions", headers=lead.headers)
    assert [r["kind"] for r in listed.json()] == ["review", "qa"]
    done = await session.get(QaTask, task["task_id"], populate_existing=True)
    assert done is not None
    assert done.qa_answers is not None
    assert (done.verdict, done.qa_answers["decision"]) == ("correct", "confirmed")


async def test_a_review_corrected_since_it_was_opened_is_judged_afresh(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    team = await qa_team(client, factory, "qa-stale")
    reviewer, event_id = await reviewed(client, factory, team)
    judge = await factory.user(team, Role.QA)
    [task] = await qa_claim(client, judge)
    corrected = await client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={**FALSE_TRIGGER, "reasons": {"cause": ["duplicate"]}, "revision": 1},
        headers=reviewer.headers,
    )
    assert corrected.status_code == 200, corrected.text

    stale = await verdict(client, judge, task["task_id"], verdict="agree")
    [held] = (await client.get("/api/v1/qa/tasks", headers=judge.headers)).json()["tasks"]
    fresh = await verdict(client, judge, task["task_id"], verdict="agree", revision=2)

    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "revision_changed")
    assert held["revision"] == 2
    assert fresh.status_code == 200, fresh.text


async def test_a_lead_does_not_judge_a_revision_they_wrote(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    team = await qa_team(client, factory, "qa-own-correction")
    _, event_id = await reviewed(client, factory, team)
    lead = await factory.user(team, Role.LEAD)
    corrected = await client.post(
        f"/api/v1/events/{event_id}/corrections",
        json={"decision": "confirmed", "revision": 1, "note": "contact visible"},
        headers=lead.headers,
    )
    assert corrected.status_code == 200, corrected.text
    [task] = await qa_claim(client, lead)

    response = await verdict(client, lead, task["task_id"], verdict="agree", revision=2)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "own_review")


async def test_a_released_or_expired_task_goes_back_to_the_queue(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, database: Database
) -> None:
    team = await qa_team(client, factory, "qa-release")
    _, event_id = await reviewed(client, factory, team)
    first, second = await factory.user(team, Role.QA), await factory.user(team, Role.QA)
    [task] = await qa_claim(client, first)
    assert await qa_claim(client, second) == []

    not_holder = await client.post(
        f"/api/v1/qa/tasks/{task['task_id']}/release", headers=second.headers
    )
    released = await client.post(
        f"/api/v1/qa/tasks/{task['task_id']}/release", headers=first.headers
    )
    assert (not_holder.status_code, not_holder.json()["error"]["code"]) == (409, "not_holder")
    assert released.status_code == 204
    [again] = await qa_claim(client, second)
    assert again["task_id"] == task["task_id"]

    await session.execute(
        update(QaTask)
        .where(QaTask.task_id == task["task_id"])
        .values(lease_expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()
    expired = await verdict(client, second, task["task_id"], verdict="agree")
    assert (expired.status_code, expired.json()["error"]["code"]) == (409, "lease_expired")
    await requeue_stale(database.sessionmaker, chunk=100, workers=1)
    requeued = await session.get(QaTask, task["task_id"], populate_existing=True)
    assert requeued is not None
    assert (requeued.status, requeued.assigned_user_id) == ("pending", None)
    actions = (
        await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.event_id == uuid.UUID(event_id), AuditEntry.action.like("qa.%"))
            .order_by(AuditEntry.audit_id)
        )
    ).all()
    assert actions == ["qa.assigned", "qa.released", "qa.assigned", "qa.requeued"]


@pytest.mark.usefixtures("regional_app")
async def test_the_qa_holder_reads_the_payload(
    client: httpx.AsyncClient, factory: Factory, regional_db: Database, session: AsyncSession
) -> None:
    team = await factory.team("qa-payload", ["eu"])
    reviewer = await factory.user(team)
    [(event_id, document)] = await factory.regional_events(regional_db, 1)
    await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)
    response = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "approve", "rating": 4},
        headers=reviewer.headers,
    )
    assert response.status_code == 200, response.text
    session.add(
        QaTask(
            event_id=uuid.UUID(event_id), region_code="eu", revision=1,
            reviewer_id=reviewer.user_id, form_key="default",
        )
    )  # fmt: skip
    await session.commit()
    judge = await factory.user(team, Role.QA)
    url = f"/api/v1/events/{event_id}/payload"

    before = await client.get(url, headers=judge.headers)
    await qa_claim(client, judge)
    after = await client.get(url, headers=judge.headers)

    assert before.status_code == 404
    assert after.status_code == 200, after.text
    assert after.json() == document


async def test_agreement_counts_what_qa_judged(client: httpx.AsyncClient, factory: Factory) -> None:
    team = await qa_team(client, factory, "qa-agreement")
    for _ in range(2):
        await reviewed(client, factory, team)
    judge = await factory.user(team, Role.QA)
    first, second = await qa_claim(client, judge)
    await verdict(client, judge, first["task_id"], verdict="agree")
    await verdict(
        client, judge, second["task_id"], verdict="correct", answers={"decision": "confirmed"}
    )
    lead = await factory.user(team, Role.LEAD)

    response = await client.get("/api/v1/qa/agreement?form=collision", headers=lead.headers)
    as_qa = await client.get("/api/v1/qa/agreement?form=collision", headers=judge.headers)
    unknown = await client.get("/api/v1/qa/agreement?form=nope", headers=lead.headers)

    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["judged"] == 2
    # Two reviewers, one review each: one agreed with, one corrected.
    assert sorted((r["judged"], r["agreed"], r["share"]) for r in figures["reviewers"]) == [
        (1, 0, 0.0), (1, 1, 1.0),
    ]  # fmt: skip
    decision = next(f for f in figures["fields"] if f["field"] == "decision")
    assert (decision["compared"], decision["share"]) == (2, 0.5)
    assert as_qa.status_code == 403
    assert unknown.status_code == 404


async def test_qa_tasks_are_claimed_on_their_index(session: AsyncSession) -> None:
    plan = "\n".join(
        row[0]
        for row in await session.execute(
            text(f"EXPLAIN {CLAIM_SQL.text}"),
            {"regions": ["eu", "us"], "size": 10, "user_id": uuid.uuid4(),
             "lease": timedelta(minutes=15), "actor": "x"},
        )
    )  # fmt: skip
    # Each region's slice in index order (the UPDATE's join may scan a table this small).
    assert "Index Scan using ix_qa_tasks_pending_claim on qa_tasks t " in plan, plan
