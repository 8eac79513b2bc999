"""Search and history through the API, each filter checked against the rows themselves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Event, Role
from event_review.central.search.filters import EventFilters, SortBy
from event_review.central.search.repository import search_statement
from tests.central.forms.test_definition import example
from tests.factories import Factory, UserHandle

SEARCH = "/api/v1/search/events"
NEXT = "/api/v1/assignments/next-batch"


async def review_all(client: httpx.AsyncClient, who: UserHandle, body: dict[str, Any]) -> list[str]:
    batch = (await client.post(NEXT, json={"size": 100}, headers=who.headers)).json()
    for event in batch["events"]:
        response = await client.post(
            f"/api/v1/events/{event['event_id']}/review", json=body, headers=who.headers
        )
        assert response.status_code == 200, response.text
    return [e["event_id"] for e in batch["events"]]


class World:
    """Events of eu and us: some collisions reviewed with reasons by ana, some harsh
    brakings reviewed by ben, the rest pending; and who may look."""

    async def build(self, client: httpx.AsyncClient, factory: Factory) -> None:
        self.admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
        applied = await client.post(
            "/api/v1/admin/forms", json=example(), headers=self.admin.headers
        )
        assert applied.status_code == 200, applied.text
        eu_team = await factory.team("search-eu", ["eu"])
        self.lead = await factory.user(eu_team, Role.LEAD)
        self.ana = await factory.user(eu_team)
        self.ben = await factory.user(eu_team)
        await factory.ingest("eu", 4, event_type="collision", device_id="dev-a")
        self.by_ana = await review_all(
            client, self.ana,
            {"decision": "false_trigger", "reasons": {"cause": ["pothole"]},
             "form": {"key": "collision", "version": 1}},
        )  # fmt: skip
        await factory.ingest("eu", 3, event_type="harsh_braking", device_id="dev-b")
        self.by_ben = await review_all(client, self.ben, {"decision": "reject", "rating": 2})
        await factory.ingest("eu", 5, event_type="harsh_braking", device_id="dev-a")
        await factory.ingest("us", 3, event_type="collision", device_id="dev-a")


@pytest.fixture
async def world(client: httpx.AsyncClient, factory: Factory) -> World:
    built = World()
    await built.build(client, factory)
    return built


async def search(client: httpx.AsyncClient, who: UserHandle, **params: Any) -> httpx.Response:
    return await client.get(SEARCH, params=params, headers=who.headers)


async def everything(session: AsyncSession) -> list[Event]:
    return list(
        (
            await session.scalars(
                select(Event)
                .order_by(Event.created_at.desc(), Event.event_id.desc())
                .execution_options(populate_existing=True)
            )
        ).all()
    )


def reasons_of(event: Event) -> dict[str, list[str]]:
    return dict((event.review_answers or {}).get("reasons", {}))


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({}, lambda _: True),
        ({"region": "us"}, lambda e: e.region_code == "us"),
        ({"status": ["pending", "assigned"]}, lambda e: e.status in ("pending", "assigned")),
        ({"status": "submitted"}, lambda e: e.status == "submitted"),
        ({"event_type": "harsh_braking"}, lambda e: e.event_type == "harsh_braking"),
        ({"device_id": "dev-b"}, lambda e: e.device_id == "dev-b"),
        ({"decision": "reject"}, lambda e: e.review_decision == "reject"),
        ({"reason": "cause:pothole"}, lambda e: "pothole" in reasons_of(e).get("cause", [])),
        ({"reason": "cause:duplicate"}, lambda _: False),
        ({"reviewer": "__ana__"}, "reviewed by ana"),
        ({"event_type": "collision", "device_id": "dev-a", "region": "eu"},
         lambda e: (e.event_type, e.device_id, e.region_code) == ("collision", "dev-a", "eu")),
    ],
)  # fmt: skip
async def test_each_filter_finds_exactly_its_events(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    params: dict[str, Any],
    keep: Any,
) -> None:
    if params.get("reviewer") == "__ana__":
        params = {**params, "reviewer": world.ana.username}

    response = await search(client, world.admin, limit=200, **params)

    assert response.status_code == 200, response.text
    if keep == "reviewed by ana":
        keep = lambda e: str(e.event_id) in world.by_ana  # noqa: E731
    expected = [str(e.event_id) for e in await everything(session) if keep(e)]
    assert [e["event_id"] for e in response.json()["items"]] == expected
    assert response.json()["next_cursor"] is None


async def test_time_windows_are_half_open(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    rows = await everything(session)
    middle = rows[len(rows) // 2]

    def review_key(event: Event) -> tuple[datetime, uuid.UUID]:
        assert event.reviewed_at is not None
        return event.reviewed_at, event.event_id

    reviewed = sorted((e for e in rows if e.reviewed_at is not None), key=review_key)
    second = review_key(reviewed[1])[0]
    cases = [
        ({"ingested_from": middle.created_at.isoformat()},
         [e for e in rows if e.created_at >= middle.created_at]),
        ({"ingested_until": middle.created_at.isoformat()},
         [e for e in rows if e.created_at < middle.created_at]),
        ({"occurred_from": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()},
         [e for e in rows if e.occurred_at >= datetime.now(UTC) - timedelta(minutes=5)]),
        ({"reviewed_from": second.isoformat(), "sort": "reviewed"},
         sorted(reviewed[1:], key=review_key, reverse=True)),
    ]  # fmt: skip
    for params, expected in cases:
        response = await search(client, world.admin, limit=200, **params)
        assert response.status_code == 200, response.text
        got = [e["event_id"] for e in response.json()["items"]]
        assert got == [str(e.event_id) for e in expected], params


async def test_pages_follow_each_other_without_gaps_or_repeats_while_events_arrive(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, world: World
) -> None:
    before = [str(e.event_id) for e in await everything(session)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        response = await search(client, world.admin, **params)
        assert response.status_code == 200, response.text
        seen += [e["event_id"] for e in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        pages += 1
        # New events arrive between pages: newer than the cursor, so never on a later page.
        await factory.ingest("eu", 2)
        if cursor is None:
            break

    assert seen == before
    assert pages == -(-len(before) // 4)


async def test_a_lead_searches_the_teams_regions_only(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await search(client, world.lead, limit=200)
    other = await search(client, world.lead, region="us")
    unknown = await search(client, world.admin, region="zz")
    reviewer = await search(client, world.ana)

    assert {e["region_code"] for e in response.json()["items"]} == {"eu"}
    assert len(response.json()["items"]) == 12
    assert (other.status_code, other.json()["error"]["code"]) == (403, "region_not_in_team")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_region")
    assert (reviewer.status_code, reviewer.json()["error"]["code"]) == (403, "role_required")


async def test_a_backwards_range_or_an_unknown_reviewer_is_said_so(
    client: httpx.AsyncClient, world: World
) -> None:
    backwards = await search(
        client, world.admin, reviewed_from="2026-02-01T00:00:00Z",
        reviewed_until="2026-01-01T00:00:00Z",
    )  # fmt: skip
    unknown = await search(client, world.admin, reviewer="nobody-of-that-name")

    assert backwards.status_code == 422
    assert backwards.json()["error"]["details"][0]["loc"] == ["query", "reviewed_until"]
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_reviewer")


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "W10", "WyJ4IiwieSJd", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiMSJd"]
)
async def test_a_cursor_that_no_page_returned_is_a_422(
    client: httpx.AsyncClient, world: World, cursor: str
) -> None:
    response = await search(client, world.admin, cursor=cursor)

    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_cursor")


async def test_a_reviewer_sees_their_own_history_newest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = await client.get("/api/v1/me/history", params={"limit": 3}, headers=world.ana.headers)
    rest = await client.get(
        "/api/v1/me/history",
        params={"limit": 3, "cursor": mine.json()["next_cursor"]},
        headers=world.ana.headers,
    )
    bens = await client.get("/api/v1/me/history", headers=world.ben.headers)

    assert mine.status_code == 200, mine.text
    items = mine.json()["items"] + rest.json()["items"]
    assert {i["actor"] for i in items} == {world.ana.username}
    assert {i["action"] for i in items} == {"event.reviewed"}
    assert [i["event_id"] for i in items] == list(reversed(world.by_ana))
    assert rest.json()["next_cursor"] is None
    assert [i["event_id"] for i in bens.json()["items"]] == list(reversed(world.by_ben))


@pytest.mark.parametrize(
    ("filters", "sort", "index"),
    [
        (EventFilters(), SortBy.INGESTED, "ix_events_search_ingested"),
        (EventFilters(device_id="dev-a"), SortBy.INGESTED, "ix_events_search_device"),
        (EventFilters(), SortBy.REVIEWED, "ix_events_search_reviewed"),
    ],
)
async def test_each_region_is_walked_in_index_order(
    session: AsyncSession, factory: Factory, filters: EventFilters, sort: SortBy, index: str
) -> None:
    # Real statistics, not whatever an empty test table has when autovacuum last
    # looked: with none, every index costs about the same and the choice drifts.
    for code in ("eu", "us"):
        await factory.region(code)
    await session.execute(
        text(
            "INSERT INTO events (external_event_id, region_code, event_type, occurred_at, "
            "device_id, status, reviewed_at) "
            "SELECT 'plan-' || i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, 'collision', "
            "now(), 'dev-' || (i % 200), 'completed', now() - make_interval(secs => i) "
            "FROM generate_series(1, 20000) AS i"
        )
    )
    await session.execute(text("ANALYZE events"))
    statement = search_statement(["eu", "us"], filters, sort, None, 50)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    sql = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}")))
    assert index in plan, plan
