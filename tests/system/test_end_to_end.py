"""The platform end to end, as separate processes talking HTTP.

Two regions (eu, us), each with its own database, regional API and forwarder;
the central `serve all` and the `writeback` worker; `simulate` writes 20
events into each region (see tests/fixtures/platform.py). A reviewer of an
EU-only team claims, reads payloads through the centre, reviews, and the
outcome lands in the EU database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.fixtures.platform import Platform

pytest_plugins = ("tests.fixtures.platform",)

SUMMARY_FIELDS = {"severity", "vehicle_class", "speed_band"}
BATCH_SIZE = 8


@dataclass
class Team:
    reviewer: dict[str, str]  # bearer headers of e2e-eve, EU reviewer
    other_reviewer: dict[str, str]  # e2e-emil, EU reviewer holding nothing
    lead: dict[str, str]  # e2e-lena, lead of the EU team
    batch: list[dict[str, Any]]  # what e2e-eve claimed


@pytest.fixture(scope="module")
async def team(platform: Platform) -> Team:
    await platform.add_events("eu", BATCH_SIZE)
    platform.add_users(
        ("e2e-eve", "reviewer", "team-eu"),
        ("e2e-emil", "reviewer", "team-eu"),
        ("e2e-lena", "lead", "team-eu"),
    )
    reviewer = platform.login("e2e-eve")
    return Team(
        reviewer=reviewer,
        other_reviewer=platform.login("e2e-emil"),
        lead=platform.login("e2e-lena"),
        batch=platform.claim(reviewer, BATCH_SIZE),
    )


async def test_every_simulated_event_reaches_the_centre_as_metadata(platform: Platform) -> None:
    per_region = platform.events_per_region
    assert platform.initial_pending == {"eu": per_region, "us": per_region}
    for code in ("eu", "us"):
        regional = {
            r["external_event_id"]: json.loads(r["payload"])
            for r in await platform.regional_query(
                code, "SELECT external_event_id, payload::text AS payload FROM events"
            )
        }
        central = await platform.central_query(
            "SELECT external_event_id, event_type, device_id, priority, summary::text AS summary "
            "FROM events WHERE region_code = $1",
            code,
        )
        assert len(regional) >= per_region  # other modules add the events they claim
        assert sorted(r["external_event_id"] for r in central) == sorted(regional)
        # Metadata only: the summary holds exactly the allow-listed fields, copied over.
        for row in central:
            payload = regional[row["external_event_id"]]
            assert (row["event_type"], row["device_id"], row["priority"]) == (
                payload["event_type"],
                payload["device_id"],
                payload["priority"],
            )
            assert json.loads(row["summary"]) == {k: payload[k] for k in SUMMARY_FIELDS}
        queued = await platform.regional_query(code, "SELECT count(*) AS n FROM forward_queue")
        assert queued[0]["n"] == 0


def test_reviewer_of_an_eu_only_team_claims_only_eu_events(platform: Platform, team: Team) -> None:
    assert len(team.batch) == BATCH_SIZE
    assert {e["region_code"] for e in team.batch} == {"eu"}
    assert {e["status"] for e in team.batch} == {"assigned"}
    assert all(e["external_event_id"].startswith("eu-") for e in team.batch)
    with platform.http() as http:
        held = http.get("/api/v1/assignments", headers=team.reviewer)
    assert held.status_code == 200, held.text
    assert sorted(e["event_id"] for e in held.json()["events"]) == sorted(
        e["event_id"] for e in team.batch
    )


async def test_payload_through_the_centre_then_review_written_back_to_the_region(
    platform: Platform, team: Team
) -> None:
    event = team.batch[0]
    event_id, external_id = event["event_id"], event["external_event_id"]
    with platform.http() as http:
        response = http.get(f"/api/v1/events/{event_id}/payload", headers=team.reviewer)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-data-region"] == "eu"
    assert response.headers["content-type"].startswith("application/json")
    regional = await platform.regional_payload("eu", external_id)
    assert response.json() == regional
    assert response.json()["compliance_canary"].startswith("canary-")

    comment = "driver reacted late; footage clear"
    reviewed = platform.review(
        event_id, team.reviewer, {"decision": "reject", "rating": 2, "comment": comment}
    )
    assert (reviewed["review_decision"], reviewed["review_rating"]) == ("reject", 2)

    await platform.wait_completed([event_id])
    with platform.http() as http:
        shown = http.get(f"/api/v1/events/{event_id}", headers=team.reviewer)
        after = http.get(f"/api/v1/events/{event_id}/payload", headers=team.reviewer)
    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "completed"
    assert shown.json()["completed_at"] is not None
    # Reviewed, the event is no longer held: its payload is not the reviewer's to read.
    assert after.status_code == 404, after.text

    rows = await platform.regional_query(
        "eu",
        "SELECT review_decision, review_rating, review_comment, reviewed_by, reviewed_at "
        "FROM events WHERE external_event_id = $1",
        external_id,
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row["review_decision"], row["review_rating"], row["review_comment"]) == (
        "reject",
        2,
        comment,
    )
    assert row["reviewed_by"] == "e2e-eve"
    assert row["reviewed_at"] is not None
    revisions = await platform.regional_query(
        "eu",
        "SELECT revision, kind, document FROM review_revisions WHERE external_event_id = $1",
        external_id,
    )
    outbox = await platform.central_query(
        "SELECT idempotency_key::text AS key, status, attempts FROM writeback_outbox "
        "WHERE event_id = $1::uuid",
        event_id,
    )
    assert [(r["revision"], r["kind"]) for r in revisions] == [(1, "review")]
    assert json.loads(revisions[0]["document"])["reviewer"] == "e2e-eve"
    assert len(outbox) == 1
    assert outbox[0]["status"] == "delivered"
    # The rest of the batch is still only held: nothing of it reached the region.
    others = await platform.regional_query(
        "eu",
        "SELECT count(*) AS n FROM events "
        "WHERE external_event_id = ANY($1::text[]) AND review_decision IS NULL",
        [e["external_event_id"] for e in team.batch[1:]],
    )
    assert others[0]["n"] == BATCH_SIZE - 1


async def test_payload_is_404_to_anyone_not_holding_the_event(
    platform: Platform, team: Team
) -> None:
    held_by_eve = team.batch[1]["event_id"]
    us_event = (await platform.event_ids("us"))[0]
    eu_pending = (await platform.event_ids("eu", status="pending"))[0]
    attempts = {
        "EU event another EU reviewer holds": (team.other_reviewer, held_by_eve),
        "pending EU event nobody holds": (team.other_reviewer, eu_pending),
        "US event id guessed by an EU reviewer": (team.other_reviewer, us_event),
        "US event id guessed by the EU holder": (team.reviewer, us_event),
        "US event id asked by the EU lead": (team.lead, us_event),
        "random UUID": (team.other_reviewer, uuid.uuid4()),
    }
    with platform.http() as http:
        for what, (headers, event_id) in attempts.items():
            response = http.get(f"/api/v1/events/{event_id}/payload", headers=headers)
            assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
            assert response.json()["error"]["code"] == "event_not_found", what
            assert "compliance_canary" not in response.text, what
        anonymous = http.get(f"/api/v1/events/{held_by_eve}/payload")
    assert anonymous.status_code == 401, anonymous.text


async def test_lead_of_the_eu_team_reads_an_eu_payload_without_holding_it(
    platform: Platform, team: Team
) -> None:
    event = team.batch[2]  # held by e2e-eve, not by the lead
    with platform.http() as http:
        response = http.get(f"/api/v1/events/{event['event_id']}/payload", headers=team.lead)
        claimed = http.get("/api/v1/assignments", headers=team.lead)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == await platform.regional_payload("eu", event["external_event_id"])
    assert claimed.json()["events"] == []
    statuses = await platform.statuses([event["event_id"]])
    assert statuses == {event["event_id"]: "assigned"}  # reading did not take it from eve
