"""Hostile values in every string, number and boolean of every operation, central and regional.

The operations and the places to put a value come from the OpenAPI documents
(tests/security/openapi_requests.py), so a route added tomorrow is covered
without touching this file. For each operation, first a request the schema
accepts is sent and must not be refused by validation; then one place at a
time gets a character PostgreSQL cannot store (NUL, a lone surrogate) or
another control character, or a number or boolean of the wrong JSON type,
and the answer must be a 422 in the house error shape that names that place,
with a request id and the security headers. Never a 500.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from event_review.central.auth.oidc import OidcClient
from event_review.central.db.models import Role
from event_review.central.regional_client import RegionalClient
from event_review.contracts import signing
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.settings import Environment, Settings
from event_review.targets.registry import SERVERS
from tests.factories import Factory
from tests.security.openapi_requests import Operation, Request, Slot, operations, slots

REGION = "eu"
# Characters no string of this API may hold, each in the middle of a valid value.
CONTROL = {
    "NUL": "\x00",
    "SOH": "\x01",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "NEL": "\x85",  # a C1 control
}
# Only a JSON body can carry a lone surrogate (as an escape); a URL or a header
# carries bytes, and no byte sequence decodes to one.
SURROGATE = {"lone surrogate": "\ud800"}
HEADER_SAFE = {"NUL", "SOH", "ESC", "DEL"}  # ASCII: what a header line can carry
WRONG_TYPES = {
    "integer": {"JSON true": True, "numeric string": "1"},
    "boolean": {"JSON 1": 1, "string": "true"},
}
TARGETS = ("all", "regional-api")  # every central route is in `all`
OIDC = {
    "oidc_issuer": "http://127.0.0.1:9",  # nothing listens: a baseline that calls it gets 502
    "oidc_client_id": "event-review-test",
    "oidc_redirect_url": "http://testserver/api/v1/auth/oidc/callback",
}


def _operations() -> list[Operation]:
    with tempfile.TemporaryDirectory() as keys:
        settings = Settings(environment=Environment.DEVELOPMENT, data_dir=Path(keys)).model_copy(
            update=OIDC
        )
        never_started = cast(Database, object())
        return [
            op
            for target in TARGETS
            for op in operations(
                target,
                SERVERS[target].build(settings, never_started, REGION).openapi(),
            )
        ]


OPERATIONS = _operations()


def hostile_values(slot: Slot, valid: Any) -> dict[str, Any]:
    """What to put at `slot` instead of its valid value, by name."""
    if slot.kind in WRONG_TYPES:
        return WRONG_TYPES[slot.kind] if slot.where == "body" else {}
    chars = dict(CONTROL)
    if slot.where == "body":
        chars.update(SURROGATE)
    elif slot.where == "header":
        chars = {k: v for k, v in chars.items() if k in HEADER_SAFE}
    if slot.kind == "object":
        return {
            **{f"{name} in a key": {f"k{char}": "v"} for name, char in chars.items()},
            **{f"{name} in a value": {"k": f"v{char}"} for name, char in chars.items()},
        }
    text = str(valid)
    return {name: text[:1] + char + text[1:] for name, char in chars.items()}


class Caller:
    """Sends requests with whatever credentials each operation's access rule asks for."""

    def __init__(
        self, central: httpx.AsyncClient, regional: httpx.AsyncClient, headers: dict[str, Any]
    ) -> None:
        self.central = central
        self.regional = regional
        self.by_rule = headers

    async def send(self, request: Request) -> httpx.Response:
        op = request.operation
        args = request.send_args()
        rules = set(op.access)
        credential: dict[str, str] = {}
        if "central-signature" in rules:
            credential = self.by_rule["central-signature"](op.method, request)
        else:
            for rule in ("region-ingest-key", "user"):
                if rule in rules:
                    credential = self.by_rule[rule]
                    break
        args["headers"] = {**credential, **args["headers"]}
        client = self.regional if op.target == "regional-api" else self.central
        return await client.request(op.method, request.url, **args)


@pytest.fixture
def oidc_settings(settings: Settings) -> Settings:
    # Hundreds of requests from one user per operation: rate limits are tested elsewhere.
    return settings.model_copy(update={**OIDC, "rate_limit_user_per_minute": 0})


@pytest.fixture
async def caller(
    oidc_settings: Settings, database: Database, regional_db: Database, factory: Factory
) -> AsyncIterator[Caller]:
    central_app: FastAPI = SERVERS["all"].build(oidc_settings, database)
    regional_app: FastAPI = SERVERS["regional-api"].build(oidc_settings, regional_db, REGION)
    key = signing_key(oidc_settings)
    admin = await factory.reviewer([REGION], Role.ADMIN)
    region = await factory.region(REGION)

    def signed(method: str, request: Request) -> dict[str, str]:
        token = signing.sign_call(
            key,
            region_code=REGION,
            method=method,
            external_event_id=str(request.path_params.get("external_event_id", "")),
        )
        return {"Authorization": f"Bearer {token}"}

    def transport(app: FastAPI) -> httpx.ASGITransport:
        # A 500 must come back as a response to look at, not as an exception.
        return httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async with (
        httpx.AsyncClient(transport=transport(regional_app)) as to_region,
        httpx.AsyncClient(transport=transport(central_app), base_url="http://testserver") as c,
        httpx.AsyncClient(transport=transport(regional_app), base_url="http://region") as r,
        httpx.AsyncClient(trust_env=False) as to_provider,
    ):
        central_app.state.regional_client = RegionalClient(to_region, key)
        central_app.state.oidc = OidcClient(oidc_settings, to_provider)
        yield Caller(
            c,
            r,
            {
                "user": admin.headers,
                "region-ingest-key": region.headers,
                "central-signature": signed,
            },
        )


def is_validation_refusal(response: httpx.Response) -> bool:
    return response.status_code == 422 and (
        response.json().get("error", {}).get("code") == "validation_error"
    )


def named_places(response: httpx.Response) -> list[tuple[Any, ...]]:
    return [tuple(d["loc"]) for d in response.json()["error"].get("details") or []]


def assert_house_refusal(response: httpx.Response, slot: Slot, what: str) -> None:
    context = f"{slot.label} <- {what}: HTTP {response.status_code} {response.text[:300]}"
    assert response.status_code == 422, context
    assert response.headers["content-type"].startswith("application/json"), context
    error = response.json()["error"]
    assert isinstance(error["code"], str), context
    assert isinstance(error["message"], str), context
    assert slot.loc in named_places(response), context
    assert response.headers.get("x-request-id"), context
    assert response.headers.get("x-content-type-options") == "nosniff", context


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
async def test_hostile_values_anywhere_are_refused_by_name(caller: Caller, op: Operation) -> None:
    valid = Request.valid(op)
    baseline = await caller.send(valid)
    assert baseline.status_code < 500, f"{op.id}: {baseline.status_code} {baseline.text[:300]}"
    assert not is_validation_refusal(baseline), (
        f"the generated request for {op.id} is not valid, so nothing below would be tested: "
        f"{baseline.text[:500]}"
    )
    for slot in slots(op):
        for what, value in hostile_values(slot, valid.value_at(slot)).items():
            response = await caller.send(valid.with_value(slot, value))
            assert_house_refusal(response, slot, what)


def test_every_kind_of_place_is_covered() -> None:
    """The generator sees body strings, nested items, free-form objects, path, query, header."""
    kinds = {(s.where, s.kind) for op in OPERATIONS for s in slots(op)}
    assert {
        ("body", "string"),
        ("body", "integer"),
        ("body", "boolean"),
        ("body", "object"),
        ("path", "string"),
        ("query", "string"),
        ("header", "string"),
    } <= kinds
    nested = [s for op in OPERATIONS for s in slots(op) if 0 in s.loc]
    assert nested, "array items (a batch's events) must be reached"
    assert {op.target for op in OPERATIONS} == set(TARGETS)


async def test_a_refused_value_changes_nothing(caller: Caller, factory: Factory) -> None:
    """A review whose comment holds NUL is refused whole: the event stays held, unreviewed."""
    [event_id] = await factory.ingest(REGION, 1)
    reviewer = await factory.reviewer([REGION])
    claimed = await caller.central.post(
        "/api/v1/assignments/next-batch", json={"size": 1}, headers=reviewer.headers
    )
    assert [e["event_id"] for e in claimed.json()["events"]] == [event_id]
    review = {"decision": "approve", "rating": 4, "comment": "fine\x00"}
    refused = await caller.central.post(
        f"/api/v1/events/{event_id}/review", json=review, headers=reviewer.headers
    )
    shown = await caller.central.get(f"/api/v1/events/{event_id}", headers=reviewer.headers)

    assert refused.status_code == 422, refused.text
    assert ("body", "comment") in named_places(refused)
    assert "fine" not in refused.text  # the value is never echoed
    assert (shown.json()["status"], shown.json()["review_comment"]) == ("assigned", None)
