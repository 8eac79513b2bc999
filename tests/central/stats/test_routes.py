"""Reviewer statistics against figures worked out by hand."""

from __future__ import annotations

import httpx

from event_review.central.db.models import Role
from tests.central.stats.day import Day, stats
from tests.factories import Factory


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
