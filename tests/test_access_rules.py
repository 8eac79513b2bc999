"""Every route of every target declares who may call it, and enforces it."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from event_review.runtime.database import Database
from event_review.settings import Settings
from event_review.targets.registry import SERVERS

KNOWN_RULES = re.compile(r"^(public|user|role:[a-z,]+|region-ingest-key|central-signature)$")


def operations(
    settings: Settings, database: Database, target: str
) -> list[tuple[str, str, list[str]]]:
    app = SERVERS[target].build(settings, database, "eu")
    spec = app.openapi()
    return [
        (method.upper(), path, operation.get("x-access", []))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


@pytest.mark.parametrize("target", sorted(SERVERS))
def test_every_operation_declares_an_access_rule(
    settings: Settings, database: Database, target: str
) -> None:
    ops = operations(settings, database, target)
    assert ops
    undeclared = [f"{method} {path}" for method, path, rules in ops if not rules]
    assert undeclared == []
    unknown = [rule for _, _, rules in ops for rule in rules if not KNOWN_RULES.match(rule)]
    assert unknown == []
    # A route is either public or guarded, never both.
    mixed = [f"{m} {p}" for m, p, rules in ops if "public" in rules and len(rules) > 1]
    assert mixed == []


@pytest.mark.parametrize("target", sorted(SERVERS))
async def test_every_guarded_operation_refuses_an_anonymous_caller(
    settings: Settings, database: Database, target: str
) -> None:
    app = SERVERS[target].build(settings, database, "eu")
    guarded = [
        (method, path)
        for method, path, rules in operations(settings, database, target)
        if "public" not in rules
    ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        for method, path in guarded:
            concrete = re.sub(r"\{[^}]+\}", lambda m: _example(m.group(0)), path)
            response = await client.request(method, concrete, json={})
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.json()["error"]["code"] in {"missing_token", "missing_signature"}


def _example(parameter: str) -> str:
    return "1" if "outbox_id" in parameter else str(uuid.uuid4())
