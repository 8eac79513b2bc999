"""Many reviewers claiming at once, on separate connections, against committed data."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from event_review.central.assignment import service as assignment
from event_review.central.assignment.repository import CLAIM_SQL
from event_review.central.db.models import (
    AuditEntry,
    Event,
    Queue,
    ReviewDecision,
    Role,
    WritebackOutbox,
)
from event_review.central.identity.principal import Principal
from event_review.central.qa import repository as qa_repository
from event_review.central.qa import service as qa
from event_review.central.regions import service as regions
from event_review.central.reviews import service as reviews
from event_review.central.reviews.schemas import ReviewRequest
from event_review.central.teams import service as teams_service
from event_review.central.users import repository as users_repository
from event_review.runtime.database import Database
from event_review.runtime.errors import ApiError
from event_review.runtime.postgres import ServerLocation
from tests.factories import TEST

REGIONS = ["us", "ca", "apac", "eu"]
TEAMS = {"us-team": ["us"], "eu-team": ["eu"], "global": REGIONS}
REVIEWERS = 50
EVENTS = 5_000
LEASE = assignment.Leases(length=timedelta(minutes=15), max_hold=timedelta(hours=1))


@pytest.fixture
async def loaded(fresh_db: ServerLocation) -> AsyncIterator[tuple[Database, list[Principal]]]:
    database = Database.connect(fresh_db, application_name="test-claims", pool_size=REVIEWERS)
    principals: list[Principal] = []
    async with database.sessionmaker() as session:
        for code in REGIONS:
            await regions.add_region(session, code, f"http://127.0.0.1:9/{code}", actor=TEST)
        teams = {
            name: await teams_service.add_team(session, name, codes, actor=TEST)
            for name, codes in TEAMS.items()
        }
        names = list(TEAMS)
        for n in range(REVIEWERS):
            team = teams[names[n % len(names)]]
            user = await users_repository.add_user(
                session, f"reviewer{n}", "not-a-login", Role.REVIEWER, team.team_id
            )
            principals.append(
                Principal(
                    user_id=user.user_id,
                    username=user.username,
                    role=Role.REVIEWER,
                    team_id=team.team_id,
                    team_name=team.name,
                    region_codes=frozenset(team.regions),
                    session_id=uuid.uuid4(),
                    session_expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
        rng = random.Random(7)
        await session.execute(
            text(
                """
                INSERT INTO events (external_event_id, region_code, event_type, occurred_at,
                                    priority)
                SELECT 'ext-' || n, (CAST(:regions AS text[]))[1 + n % 4], 'lane_departure',
                       now(), (CAST(:priorities AS int[]))[n]
                FROM generate_series(1, :count) AS n
                """
            ),
            {
                "regions": REGIONS,
                "priorities": [rng.randint(0, 100) for _ in range(EVENTS)],
                "count": EVENTS,
            },
        )
        await session.commit()
    yield database, principals
    await database.dispose()


async def test_fifty_reviewers_drain_the_queue_without_double_assignment(
    loaded: tuple[Database, list[Principal]],
) -> None:
    database, principals = loaded
    claimed: dict[uuid.UUID, list[uuid.UUID]] = {p.user_id: [] for p in principals}
    unordered_batches: list[list[int]] = []

    async def reviewer(principal: Principal) -> None:
        while True:
            async with database.sessionmaker() as session:
                batch = await assignment.next_batch(session, principal, 10, LEASE)
                await session.commit()
            if not batch.events:
                return
            priorities = [e.priority for e in batch.events]
            if priorities != sorted(priorities, reverse=True):
                unordered_batches.append(priorities)
            async with database.sessionmaker() as session:
                for event in batch.events:
                    assert event.region_code in principal.region_codes
                    claimed[principal.user_id].append(event.event_id)
                    review = ReviewRequest(decision=ReviewDecision.APPROVE, rating=4)
                    await reviews.submit(session, principal, event.event_id, review)
                await session.commit()

    await asyncio.gather(*(reviewer(p) for p in principals))

    everything = [event_id for ids in claimed.values() for event_id in ids]
    assert len(everything) == EVENTS
    assert len(set(everything)) == EVENTS, "an event was handed out twice"
    assert unordered_batches == []
    async with database.sessionmaker() as session:
        by_status = dict(
            (await session.execute(select(Event.status, func.count()).group_by(Event.status))).all()
        )
        assert by_status == {"submitted": EVENTS}
        assignments = Counter(
            (
                await session.scalars(
                    select(AuditEntry.event_id).where(AuditEntry.action == "event.assigned")
                )
            ).all()
        )
        assert len(assignments) == EVENTS
        assert set(assignments.values()) == {1}
        # Every event was reviewed by someone whose team covers its region.
        by_user = {p.user_id: p for p in principals}
        rows = (await session.execute(select(Event.region_code, Event.review_user_id))).all()
        for region_code, review_user_id in rows:
            assert review_user_id is not None
            assert region_code in by_user[review_user_id].region_codes
    # Single-region teams only ever saw their region; all teams got work.
    assert all(claimed[p.user_id] for p in principals[: len(TEAMS)])


async def test_sequential_claims_follow_priority_across_regions(
    loaded: tuple[Database, list[Principal]],
) -> None:
    database, principals = loaded
    global_reviewer = next(p for p in principals if p.team_name == "global")
    seen: list[int] = []
    for _ in range(5):
        async with database.sessionmaker() as session:
            batch = await assignment.next_batch(session, global_reviewer, 20, LEASE)
            for event in batch.events:
                await reviews.submit(
                    session,
                    global_reviewer,
                    event.event_id,
                    ReviewRequest(decision=ReviewDecision.REJECT, rating=1),
                )
            await session.commit()
        seen.extend(e.priority for e in batch.events)

    assert len(seen) == 100
    assert seen == sorted(seen, reverse=True)
    async with database.sessionmaker() as session:
        best_left = await session.scalar(
            select(func.max(Event.priority)).where(Event.status == "pending")
        )
    assert best_left is not None
    assert best_left <= seen[-1]


async def test_claim_walks_the_pending_index_per_region(
    loaded: tuple[Database, list[Principal]],
) -> None:
    """The claim must not sort all pending rows: each region is one ordered index scan."""
    database, principals = loaded
    global_reviewer = next(p for p in principals if p.team_name == "global")
    async with database.sessionmaker() as session:
        await session.execute(text("ANALYZE events"))
        plan = "\n".join(
            row[0]
            for row in await session.execute(
                text(f"EXPLAIN {CLAIM_SQL.text}"),
                {
                    "regions": sorted(global_reviewer.region_codes),
                    "size": 10,
                    "user_id": global_reviewer.user_id,
                    "lease": LEASE.length,
                    "actor": global_reviewer.username,
                },
            )
        )
        await session.rollback()
    assert "ix_events_pending_claim" in plan, plan
    assert "Seq Scan on events" not in plan, plan


async def test_concurrent_submissions_of_one_review_store_it_once(
    loaded: tuple[Database, list[Principal]],
) -> None:
    """Double clicks and retries racing on separate connections: one wins, the rest conflict."""
    database, principals = loaded
    holder = principals[0]
    async with database.sessionmaker() as session:
        batch = await assignment.next_batch(session, holder, 1, LEASE)
        await session.commit()
    event_id = batch.events[0].event_id

    async def submit(rating: int) -> str:
        async with database.sessionmaker() as session:
            try:
                review = ReviewRequest(decision=ReviewDecision.REJECT, rating=rating)
                await reviews.submit(session, holder, event_id, review)
            except ApiError as exc:
                await session.rollback()
                return exc.code
            await session.commit()
            return "stored"

    outcomes = await asyncio.gather(*(submit(rating) for rating in (1, 2, 3, 4, 5, 1, 2, 3)))

    assert sorted(outcomes) == ["already_reviewed"] * 7 + ["stored"]
    async with database.sessionmaker() as session:
        outbox = (
            await session.scalars(
                select(WritebackOutbox.outcome).where(WritebackOutbox.event_id == event_id)
            )
        ).all()
        audits = await session.scalar(
            select(func.count()).where(
                AuditEntry.event_id == event_id, AuditEntry.action == "event.reviewed"
            )
        )
        event = await session.get(Event, event_id)
    assert len(outbox) == 1
    assert audits == 1
    assert event is not None
    assert event.status == "submitted"
    # The outbox carries the winner's review, the one stored on the event.
    assert outbox[0]["rating"] == event.review_rating


async def test_leads_racing_for_escalations_never_hold_one_twice(
    loaded: tuple[Database, list[Principal]],
) -> None:
    """A fifth of the queue escalated; twenty leads drain the escalations at once."""
    database, principals = loaded
    async with database.sessionmaker() as session:
        await session.execute(text("UPDATE events SET queue = 'escalated' WHERE random() < 0.2"))
        escalated = await session.scalar(
            select(func.count()).select_from(Event).where(Event.queue == "escalated")
        )
        await session.commit()
    leads = [replace(p, role=Role.LEAD) for p in principals[:20]]
    held: list[uuid.UUID] = []

    async def lead(principal: Principal) -> None:
        while True:
            async with database.sessionmaker() as session:
                batch = await assignment.next_batch(session, principal, 10, LEASE, Queue.ESCALATED)
                for event in batch.events:
                    await reviews.submit(
                        session,
                        principal,
                        event.event_id,
                        ReviewRequest(decision=ReviewDecision.APPROVE, rating=3),
                    )
                await session.commit()
            if not batch.events:
                return
            held.extend(e.event_id for e in batch.events)

    await asyncio.gather(*(lead(p) for p in leads))

    assert escalated
    assert len(held) == len(set(held)), "an escalation was handed out twice"
    async with database.sessionmaker() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.queue == "escalated", Event.status != "submitted")
        )
        stranded = await session.scalar(
            select(func.count()).select_from(Event).where(Event.queue == "escalated")
        )
    # Leads of single-region teams leave other regions' escalations to others.
    reachable = set().union(*(p.region_codes for p in leads))
    assert reachable == set(REGIONS)
    assert left == 0
    assert stranded == len(held)


async def test_qa_reviewers_racing_for_tasks_never_hold_one_twice(
    loaded: tuple[Database, list[Principal]],
) -> None:
    """Every event sampled for QA, twenty QA reviewers claiming at once; each task's
    review was written by one of them, who must never be handed it."""
    database, principals = loaded
    judges = [replace(p, role=Role.QA) for p in principals[:20]]
    async with database.sessionmaker() as session:
        await session.execute(
            text(
                """
                INSERT INTO qa_tasks (event_id, region_code, priority, revision, reviewer_id,
                                      form_key)
                SELECT event_id, region_code, priority, 1,
                       (CAST(:authors AS uuid[]))[1 + abs(hashtext(event_id::text)) % 20],
                       'default'
                FROM events
                """
            ),
            {"authors": [p.user_id for p in judges]},
        )
        authors: dict[int, uuid.UUID] = dict(
            (await session.execute(text("SELECT task_id, reviewer_id FROM qa_tasks"))).all()
        )
        await session.commit()
    held: list[tuple[int, uuid.UUID]] = []

    async def judge(principal: Principal) -> None:
        while True:
            async with database.sessionmaker() as session:
                batch = await qa.next_batch(session, principal, 10, LEASE.length)
                for task in batch.tasks:
                    await qa_repository.finish(
                        session, task.task_id, "agree", 1, principal.actor, {}, {}
                    )
                await session.commit()
            if not batch.tasks:
                return
            held.extend((t.task_id, principal.user_id) for t in batch.tasks)

    await asyncio.gather(*(judge(p) for p in judges))

    tasks = [task_id for task_id, _ in held]
    assert len(tasks) == len(set(tasks)), "a QA task was handed out twice"
    assert [t for t, who in held if authors[t] == who] == [], "a reviewer judged their own"
    async with database.sessionmaker() as session:
        left = await session.scalar(text("SELECT count(*) FROM qa_tasks WHERE status <> 'done'"))
    # A task stays only where every judge covering its region wrote it.
    assert left == len(authors) - len(held)
    assert len(held) > 0.9 * len(authors)
