"""Forms through the API: applied, versioned, chosen per event, and reviews checked by them."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import ReviewRevisionRow, Role, WritebackOutbox
from tests.central.forms.test_definition import example
from tests.factories import Factory, UserHandle

FORMS = "/api/v1/admin/forms"
NEXT = "/api/v1/assignments/next-batch"


async def _apply(
    client: httpx.AsyncClient, admin: UserHandle, document: dict[str, Any]
) -> httpx.Response:
    return await client.post(FORMS, json=document, headers=admin.headers)


async def _claimed(
    client: httpx.AsyncClient, factory: Factory, event_type: str, region: str = "eu"
) -> tuple[UserHandle, str]:
    reviewer = await factory.reviewer([region])
    [event_id] = await factory.ingest(region, 1, event_type=event_type)
    batch = (await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)).json()
    assert [e["event_id"] for e in batch["events"]] == [event_id]
    return reviewer, event_id


async def test_applying_makes_versions_only_when_a_form_changed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    document = example()

    first = await _apply(client, admin, document)
    again = await _apply(client, admin, document)
    document["forms"][0]["title"] = "Collision review, second edition"
    changed = await _apply(client, admin, document)

    assert first.status_code == 200, first.text
    assert first.json()["forms"] == [
        {"key": "collision", "version": 1, "changed": True},
        {"key": "sensor_fault", "version": 1, "changed": True},
    ]
    assert [f["changed"] for f in again.json()["forms"]] == [False, False]
    assert changed.json()["forms"][0] == {"key": "collision", "version": 2, "changed": True}
    versions = await client.get("/api/v1/forms/collision/versions", headers=admin.headers)
    assert [v["version"] for v in versions.json()] == [2, 1]
    old = await client.get("/api/v1/forms/collision/versions/1", headers=admin.headers)
    assert old.json()["title"] == "Collision review"
    listed = await client.get("/api/v1/forms", headers=admin.headers)
    assert {(f["key"], f["version"]) for f in listed.json()} == {
        ("collision", 2), ("default", 1), ("sensor_fault", 1),
    }  # fmt: skip


async def test_a_form_is_served_with_its_markdown_rendered_safely(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    document = example()
    document["forms"][0]["guidelines"] = "**Look** <script>alert(1)</script>"
    await _apply(client, admin, document)

    form = (await client.get("/api/v1/forms/collision", headers=admin.headers)).json()

    assert form["html"]["guidelines"] == (
        "<p><strong>Look</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert form["html"]["decisions.unclear"].startswith("<p>Say what is missing")
    assert form["definition"]["decisions"][0]["hotkey"] == "a"


async def test_only_admins_apply_forms(client: httpx.AsyncClient, factory: Factory) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)
    response = await _apply(client, lead, example())
    assert (response.status_code, response.json()["error"]["code"]) == (403, "role_required")
    preview = await client.post(
        f"{FORMS}/preview", json=example()["forms"][0], headers=lead.headers
    )
    assert preview.status_code == 403


async def test_a_form_that_would_share_events_with_one_in_place_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await _apply(client, admin, example())
    rival = copy.deepcopy(example()["forms"][0])
    rival["key"] = "crash_v2"

    response = await _apply(client, admin, {"forms": [rival]})

    assert (response.status_code, response.json()["error"]["code"]) == (422, "form_conflict")
    assert (
        "'collision' and 'crash_v2' both apply to 'collision'"
        in (response.json()["error"]["message"])
    )


async def test_a_bad_form_file_is_a_422_naming_the_place(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    document = example()
    document["forms"][0]["decisions"][0]["hotkey"] = "jj"

    response = await _apply(client, admin, document)

    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["loc"] == ["body", "forms", 0, "decisions", 0, "hotkey"]


async def test_the_preview_renders_without_storing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)

    preview = await client.post(
        f"{FORMS}/preview", json=example()["forms"][0], headers=admin.headers
    )

    assert preview.status_code == 200, preview.text
    assert "<table>" in preview.json()["html"]["guidelines"]
    missing = await client.get("/api/v1/forms/collision", headers=admin.headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "form_not_found")


async def test_the_most_specific_form_applies_to_an_event(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)
    await _apply(client, admin, example())
    cases = {
        ("collision", "eu"): "collision",  # by type, every region
        ("lane_departure", "eu"): "sensor_fault",  # by type in its region
        ("lane_departure", "us"): "default",  # its region is not us
        ("harsh_braking", "eu"): "default",
    }
    for (event_type, region), expected in cases.items():
        [event_id] = await factory.ingest(region, 1, event_type=event_type)
        form = await client.get(f"/api/v1/events/{event_id}/form", headers=admin.headers)
        assert form.status_code == 200, form.text
        assert form.json()["key"] == expected, (event_type, region)


async def test_a_review_in_a_custom_form_is_stored_and_written_back_whole(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await _apply(client, admin, example())
    reviewer, event_id = await _claimed(client, factory, "collision")
    body = {
        "decision": "false_trigger",
        "reasons": {"cause": ["pothole"]},
        "fields": {"vehicles": 1, "injuries_visible": False, "severity": "minor"},
        "rating": 4,
        "form": {"key": "collision", "version": 1},
    }

    response = await client.post(
        f"/api/v1/events/{event_id}/review", json=body, headers=reviewer.headers
    )

    assert response.status_code == 200, response.text
    event = response.json()
    assert (event["review_decision"], event["review_form_key"], event["review_revision"]) == (
        "false_trigger", "collision", 1,
    )  # fmt: skip
    assert event["review_answers"] == {"reasons": body["reasons"], "fields": body["fields"]}
    [revision] = (
        await session.scalars(
            select(ReviewRevisionRow).where(ReviewRevisionRow.event_id == uuid.UUID(event_id))
        )
    ).all()
    assert (revision.kind, revision.form_key, revision.form_version) == ("review", "collision", 1)
    [outbox] = (
        await session.scalars(
            select(WritebackOutbox).where(WritebackOutbox.event_id == uuid.UUID(event_id))
        )
    ).all()
    assert {k: outbox.outcome[k] for k in ("revision", "kind", "form_key", "decision")} == {
        "revision": 1, "kind": "review", "form_key": "collision", "decision": "false_trigger",
    }  # fmt: skip
    assert outbox.outcome["reasons"] == {"cause": ["pothole"]}


@pytest.mark.parametrize(
    ("body", "places"),
    [
        ({"decision": "approve", "rating": 3}, ["decision"]),
        ({"decision": "false_trigger"}, ["reasons.cause"]),
        ({"decision": "confirmed", "fields": {"vehicles": 0}}, ["fields.vehicles"]),
        ({"decision": "confirmed", "fields": {"speed": 1}}, ["fields.speed"]),
        ({"decision": "confirmed", "rating": 7}, ["rating"]),
        ({"decision": "unclear"}, ["comment"]),
    ],
)
async def test_answers_that_do_not_fit_the_form_are_a_422_naming_each_place(
    client: httpx.AsyncClient, factory: Factory, body: dict[str, Any], places: list[str]
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await _apply(client, admin, example())
    reviewer, event_id = await _claimed(client, factory, "collision")

    response = await client.post(
        f"/api/v1/events/{event_id}/review", json=body, headers=reviewer.headers
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [".".join(str(p) for p in d["loc"][1:]) for d in error["details"]] == places
    held = (await client.get("/api/v1/assignments", headers=reviewer.headers)).json()
    assert [e["event_id"] for e in held["events"]] == [event_id]  # still held, nothing stored


async def test_the_version_a_reviewer_had_open_stays_acceptable(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    document = example()
    await _apply(client, admin, document)
    reviewer, event_id = await _claimed(client, factory, "collision")
    document["forms"][0]["decisions"][0]["label"] = "Collision, confirmed"
    await _apply(client, admin, document)  # version 2 while the reviewer has 1 open

    response = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "confirmed", "form": {"key": "collision", "version": 1}},
        headers=reviewer.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["review_form_version"] == 1


async def test_a_form_that_does_not_apply_to_the_event_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    await _apply(client, admin, example())
    reviewer, event_id = await _claimed(client, factory, "harsh_braking")

    response = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "confirmed", "form": {"key": "collision", "version": 1}},
        headers=reviewer.headers,
    )

    assert (response.status_code, response.json()["error"]["code"]) == (
        422, "form_not_applicable",
    )  # fmt: skip


async def test_the_original_review_body_still_works(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    reviewer, event_id = await _claimed(client, factory, "harsh_braking")

    response = await client.post(
        f"/api/v1/events/{event_id}/review",
        json={"decision": "approve", "rating": 4, "comment": "fine"},
        headers=reviewer.headers,
    )

    assert response.status_code == 200, response.text
    assert (response.json()["review_form_key"], response.json()["review_form_version"]) == (
        "default", 1,
    )  # fmt: skip
