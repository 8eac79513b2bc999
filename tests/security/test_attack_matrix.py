"""The OWASP API Top 10 matrix, enumerated over the real routes rather than picked by hand."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from event_review.central.db.models import Role
from event_review.runtime.database import Database
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"
# Every route that takes an event id, with a body it would accept.
EVENT_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/events/{id}", None),
    ("GET", "/api/v1/events/{id}/payload", None),
    ("GET", "/api/v1/events/{id}/form", None),
    ("POST", "/api/v1/events/{id}/release", None),
    ("POST", "/api/v1/events/{id}/review", {"decision": "approve", "rating": 3}),
    ("POST", "/api/v1/events/{id}/skip", {"reason": "unclear"}),
    (
        "POST",
        "/api/v1/events/{id}/corrections",
        {"decision": "approve", "rating": 3, "revision": 1, "note": "x"},
    ),
    ("GET", "/api/v1/events/{id}/revisions", None),
    ("POST", "/api/v1/events/{id}/escalate", {"note": "x"}),
    ("GET", "/api/v1/events/{id}/review-text", None),
]


def specs(settings: Settings, database: Database) -> dict[str, dict[str, Any]]:
    return {
        name: target.build(settings, database, "eu").openapi() for name, target in SERVERS.items()
    }


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in schema:  # an optional body: `Model | None`
        [schema] = [s for s in schema["anyOf"] if s.get("type") != "null"]
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def test_the_event_routes_above_are_every_route_taking_an_event_id(
    settings: Settings, database: Database
) -> None:
    """The BOLA matrix below covers a new event route without anyone remembering to."""
    spec = SERVERS["review"].build(settings, database).openapi()
    found = {
        (method.upper(), path.replace("{event_id}", "{id}"))
        for path, item in spec["paths"].items()
        if "{event_id}" in path
        for method in item
    }
    assert found == {(method, path) for method, path, _ in EVENT_ROUTES}


def test_every_write_body_refuses_unknown_fields(settings: Settings, database: Database) -> None:
    """Mass assignment: no body model silently accepts a field it does not declare."""
    open_bodies = []
    checked = 0
    for target, spec in specs(settings, database).items():
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {})
                for media in content.values():
                    schema = resolve(spec, media["schema"])
                    checked += 1
                    if schema.get("additionalProperties") is not False:
                        open_bodies.append(f"{target}: {method.upper()} {path}")
                    for field in schema.get("properties", {}).values():
                        items = field.get("items")
                        if items and "$ref" in items:
                            nested = resolve(spec, items)
                            if nested.get("additionalProperties") is not False:
                                open_bodies.append(f"{target}: {method.upper()} {path} (items)")
    assert checked >= 8
    assert open_bodies == []


def test_no_request_parameter_names_a_url_the_centre_would_call(
    settings: Settings, database: Database
) -> None:
    """SSRF: the only URLs a caller can give are a region's API URL and a webhook
    receiver's (checked against the SSRF rules: tests/central/webhooks), and only an
    admin can."""
    found = []
    for target, spec in specs(settings, database).items():
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                names = [p["name"] for p in operation.get("parameters", [])]
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    names += list(resolve(spec, media["schema"]).get("properties", {}))
                for name in names:
                    if "url" in name.lower() or "uri" in name.lower():
                        found.append(
                            (target, method.upper(), path, name, operation.get("x-access"))
                        )
    assert found, "the admin region routes take an api_url: the check must see them"
    for target, method, path, name, rules in found:
        assert path.startswith(("/api/v1/admin/regions", "/api/v1/admin/webhooks")), (
            target, method, path, name,
        )  # fmt: skip
        assert rules == ["role:admin", "user"], (target, method, path, name)


@pytest.fixture
async def cast(client: httpx.AsyncClient, factory: Factory) -> dict[str, Any]:
    """An EU event held by one reviewer, and everyone else who might try it."""
    holder = await factory.reviewer(["eu"])
    [event_id] = await factory.ingest("eu", 1)
    [us_event_id] = await factory.ingest("us", 1)
    batch = (await client.post(NEXT, json={"size": 1}, headers=holder.headers)).json()
    assert [e["event_id"] for e in batch["events"]] == [event_id]
    return {
        "event_id": event_id,
        "us_event_id": us_event_id,
        "holder": holder,
        "eu_peer": await factory.reviewer(["eu"]),
        "us_reviewer": await factory.reviewer(["us"]),
        "us_lead": await factory.reviewer(["us"], Role.LEAD),
        "us_admin": await factory.reviewer(["us"], Role.ADMIN),
        "no_team_admin": await factory.user(None, Role.ADMIN),
    }


async def call(
    client: httpx.AsyncClient, user: UserHandle, route: tuple[str, str, Any], event_id: str
) -> httpx.Response:
    method, path, body = route
    return await client.request(
        method, path.replace("{id}", event_id), json=body, headers=user.headers
    )


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("who", ["us_reviewer", "us_lead", "us_admin", "no_team_admin"])
async def test_other_regions_cannot_tell_an_event_exists(
    client: httpx.AsyncClient, cast: dict[str, Any], route: tuple[str, str, Any], who: str
) -> None:
    """BOLA: outside your regions an event id answers exactly like an unknown id."""
    user = cast[who]
    existing = await call(client, user, route, cast["event_id"])
    unknown = await call(client, user, route, str(uuid.uuid4()))

    assert existing.status_code == unknown.status_code == 404
    assert existing.json()["error"]["code"] == unknown.json()["error"]["code"] == "event_not_found"


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
async def test_a_reviewer_who_does_not_hold_the_event_is_refused(
    client: httpx.AsyncClient, cast: dict[str, Any], route: tuple[str, str, Any]
) -> None:
    response = await call(client, cast["eu_peer"], route, cast["event_id"])
    # Reads look like absence; writes may say why (another reviewer holds it).
    assert response.status_code in (403, 404)
    assert response.json()["error"]["code"] in ("event_not_found", "not_holder")


@pytest.mark.parametrize("route", EVENT_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
async def test_guessing_ids_of_another_region_finds_nothing(
    client: httpx.AsyncClient, cast: dict[str, Any], route: tuple[str, str, Any]
) -> None:
    response = await call(client, cast["holder"], route, cast["us_event_id"])
    assert (response.status_code, response.json()["error"]["code"]) == (404, "event_not_found")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/login", {"username": "u" * 100_000, "password": "p"}),
        ("/api/v1/auth/login", {"username": "u", "password": "p" * 60_000}),
        ("/api/v1/assignments/next-batch", {"size": 10**12}),
    ],
)
async def test_huge_values_are_refused(
    client: httpx.AsyncClient, factory: Factory, path: str, body: dict[str, Any]
) -> None:
    user = await factory.reviewer(["eu"])
    response = await client.post(path, json=body, headers=user.headers)
    assert response.status_code in (413, 422)
