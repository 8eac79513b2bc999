"""Faults on the running platform: a region down, a forwarder killed, forged calls.

Runs on the shared stack of tests/fixtures/platform.py (central `serve all` and
`writeback`, eu and us regions as separate processes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from event_review.contracts import signing
from event_review.runtime.keys import signing_key
from event_review.settings import Environment, Settings
from tests.fixtures.processes import ManagedProcess, wait_until_async

if TYPE_CHECKING:
    from tests.fixtures.platform import Platform

pytest_plugins = ("tests.fixtures.platform",)

REVIEWER = "flt-fred"
ADMIN = "flt-ada"


@dataclass
class Users:
    reviewer: dict[str, str]
    admin: dict[str, str]


@pytest.fixture(scope="module")
async def users(platform: Platform) -> Users:
    await platform.add_events("eu", 5)
    platform.add_users((REVIEWER, "reviewer", "team-eu"), (ADMIN, "admin", None))
    return Users(reviewer=platform.login(REVIEWER), admin=platform.login(ADMIN))


# -- a. the region is down while reviews are submitted ------------------------


async def test_reviews_made_while_the_region_is_down_are_delivered_once_it_is_back(
    platform: Platform, users: Users
) -> None:
    eu = platform.regions["eu"]
    batch = platform.claim(users.reviewer, 5)
    assert {e["region_code"] for e in batch} == {"eu"}
    ids = [e["event_id"] for e in batch]
    external = [e["external_event_id"] for e in batch]
    assert eu.api is not None
    # uvicorn shuts down cleanly on SIGTERM, then re-raises the signal.
    assert eu.api.stop() == -signal.SIGTERM
    assert "Application shutdown complete." in eu.api.log_tail(5)
    try:
        with platform.http() as http:
            unreachable = http.get(f"/api/v1/events/{ids[0]}/payload", headers=users.reviewer)
        assert unreachable.status_code == 502, unreachable.text
        assert unreachable.json()["error"]["code"] == "region_unreachable"
        for n, event_id in enumerate(ids):
            platform.review(
                event_id,
                users.reviewer,
                {"decision": "approve", "rating": n + 1, "comment": f"while down {n}"},
            )
        with platform.http() as http:
            shown = [http.get(f"/api/v1/events/{i}", headers=users.reviewer) for i in ids]
        assert [(s.status_code, s.json()["status"]) for s in shown] == [(200, "submitted")] * 5

        # The worker keeps trying: every write-back shows failed attempts and why.
        failing: dict[str, dict[str, Any]] = {}

        def writebacks() -> dict[str, dict[str, Any]]:
            with platform.http() as http:
                page = http.get("/api/v1/admin/writebacks?limit=500", headers=users.admin)
            assert page.status_code == 200, page.text
            return {w["event_id"]: w for w in page.json()["items"] if w["event_id"] in ids}

        def all_failed_at_least_once() -> bool:
            nonlocal failing
            failing = writebacks()
            return len(failing) == 5 and all(
                w["attempts"] >= 1 and w["last_error"] for w in failing.values()
            )

        await wait_until_async(
            all_failed_at_least_once, message=lambda: f"write-backs never failed: {failing}"
        )
        assert {w["status"] for w in failing.values()} == {"pending"}
        assert {w["external_event_id"] for w in failing.values()} == set(external)
        assert all("ConnectError" in w["last_error"] for w in failing.values()), failing
        assert (await platform.statuses(ids)) == dict.fromkeys(ids, "submitted")
        nothing_yet = await platform.regional_query(
            "eu",
            "SELECT count(*) AS n FROM review_revisions WHERE external_event_id = ANY($1::text[])",
            external,
        )
        assert nothing_yet[0]["n"] == 0
    finally:
        platform.start_regional_api("eu").wait_ready()  # same port: the registered api_url

    await platform.wait_completed(ids)
    delivered = writebacks()
    assert {w["status"] for w in delivered.values()} == {"delivered"}
    assert all(w["attempts"] >= 2 for w in delivered.values()), delivered
    assert all(w["last_error"] is None for w in delivered.values()), delivered

    requests = await platform.regional_query(
        "eu",
        "SELECT external_event_id, count(*) AS n FROM review_revisions "
        "WHERE external_event_id = ANY($1::text[]) GROUP BY external_event_id",
        external,
    )
    assert {r["external_event_id"]: r["n"] for r in requests} == dict.fromkeys(external, 1)
    rows = await platform.regional_query(
        "eu",
        "SELECT external_event_id, review_decision, review_rating, review_comment, reviewed_by, "
        "reviewed_at IS NOT NULL AS has_time FROM events WHERE external_event_id = ANY($1::text[])",
        external,
    )
    recorded = {r["external_event_id"]: tuple(r.values())[1:] for r in rows}
    assert recorded == {
        ext: ("approve", n + 1, f"while down {n}", REVIEWER, True) for n, ext in enumerate(external)
    }


# -- b. the forwarder is SIGKILLed again and again mid-stream -----------------

FLOOD = 5000
KILLS = 5
ACTIVE = '"event": "forwarder.active"'


async def test_forwarder_killed_mid_stream_delivers_every_event_exactly_once(
    platform: Platform,
) -> None:
    code = "apac"
    # Smaller batches than the default 500: more requests in flight to be cut.
    region = await platform.add_region(code, EVENT_REVIEW_FORWARD_BATCH_SIZE="200")
    simulator = platform.start_simulator(code, "--events", str(FLOOD), "--rate", "400")

    async def central_count() -> int:
        rows = await platform.central_query(
            "SELECT count(*) AS n FROM events WHERE region_code = $1", code
        )
        n: int = rows[0]["n"]
        return n

    # Kill at spread points of the flow, each time only once the running forwarder
    # is active and has itself forwarded something (not its predecessor's last batch).
    thresholds = [FLOOD * (k + 1) // (KILLS + 3) for k in range(KILLS)]  # 625 … 3125
    kills: list[int] = []
    for threshold in thresholds:
        forwarder = region.forwarder
        assert forwarder is not None
        running: ManagedProcess = forwarder

        def active(f: ManagedProcess = running) -> bool:
            return ACTIVE in f.log()

        def inactive_report(f: ManagedProcess = running) -> str:
            return f"forwarder never became active\n{f.describe()}"

        await wait_until_async(active, message=inactive_report)
        active_from = await central_count()

        async def due(threshold: int = threshold, since: int = active_from) -> bool:
            n = await central_count()
            return n >= threshold and n > since

        def stalled_report(t: int = threshold, f: ManagedProcess = running) -> str:
            return f"flow stalled before {t}\n{f.describe()}"

        await wait_until_async(due, message=stalled_report)
        assert forwarder.alive, forwarder.describe()
        assert forwarder.kill() == -signal.SIGKILL
        kills.append(await central_count())
        assert platform.start_forwarder(code).env["EVENT_REVIEW_FORWARD_BATCH_SIZE"] == "200"
    assert len(kills) == KILLS
    assert kills == sorted(set(kills)), f"each kill came after new progress: {kills}"
    assert all(n < FLOOD for n in kills), f"a kill came after the flow ended: {kills}"
    assert simulator.wait_exit() == 0, simulator.describe()

    async def drained() -> bool:
        queue = await platform.regional_query(code, "SELECT count(*) AS n FROM forward_queue")
        return queue[0]["n"] == 0 and await central_count() == FLOOD

    await wait_until_async(
        drained,
        message=lambda: f"not all {FLOOD} events arrived after kills at {kills}",
    )
    counts = await platform.central_query(
        "SELECT count(*) AS n, count(DISTINCT external_event_id) AS distinct_ids "
        "FROM events WHERE region_code = $1",
        code,
    )
    assert (counts[0]["n"], counts[0]["distinct_ids"]) == (FLOOD, FLOOD)
    regional_ids = await platform.regional_query(code, "SELECT external_event_id FROM events")
    central_ids = await platform.central_query(
        "SELECT external_event_id FROM events WHERE region_code = $1", code
    )
    assert len(regional_ids) == FLOOD
    assert {r["external_event_id"] for r in central_ids} == {
        r["external_event_id"] for r in regional_ids
    }
    rejects = await platform.regional_query(code, "SELECT count(*) AS n FROM forward_rejects")
    assert rejects[0]["n"] == 0


# -- c. signed-call attacks on a running regional API -------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(region: str, method: str, external_event_id: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": signing.ISSUER,
        "aud": signing.audience(region),
        "sub": external_event_id,
        "htm": method,
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }


def _unsigned_token(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A token assembled by hand: HS256 with `key` as the HMAC secret, or alg none."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{_b64(mac)}"


@dataclass
class Target:
    """The US regional API and what an attacker would aim at."""

    base_url: str
    event: str  # an external id in region us
    other_event: str
    key: Ed25519PrivateKey  # the centre's real signing key

    def sign(
        self,
        method: str = "GET",
        *,
        region: str = "us",
        event: str | None = None,
        now: datetime | None = None,
    ) -> str:
        return signing.sign_call(
            self.key,
            region_code=region,
            method=method,
            external_event_id=event or self.event,
            now=now,
        )

    def call(self, token: str | None, method: str = "GET") -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        url = f"{self.base_url}/regional/v1/events/{self.event}"
        with httpx.Client(timeout=10.0, trust_env=False) as http:
            if method == "POST":
                review = {
                    "decision": "approve",
                    "rating": 5,
                    "comment": "forged",
                    "reviewer": "mallory",
                    "reviewed_at": datetime.now(UTC).isoformat(),
                }
                return http.post(
                    f"{url}/review",
                    json=review,
                    headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                )
            return http.get(url, headers=headers)


@pytest.fixture(scope="module")
async def target(platform: Platform) -> Target:
    us = platform.regions["us"]
    assert us.api is not None
    assert us.api.alive
    rows = await platform.regional_query(
        "us", "SELECT external_event_id FROM events ORDER BY external_event_id LIMIT 2"
    )
    key = signing_key(
        Settings(
            environment=Environment.DEVELOPMENT,
            data_dir=platform.data_dir,
            regional_signing_key=None,
        )
    )
    return Target(us.api_url, rows[0]["external_event_id"], rows[1]["external_event_id"], key)


def _kid(target: Target) -> str:
    return signing.key_id(target.key.public_key())


def _public_pem(target: Target) -> bytes:
    return target.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _foreign_key_token(target: Target, *, claim_real_kid: bool) -> str:
    stranger = Ed25519PrivateKey.generate()
    token = signing.sign_call(
        stranger, region_code="us", method="GET", external_event_id=target.event
    )
    if not claim_real_kid:
        return token
    header, rest = token.split(".", 1)
    forged = json.loads(base64.urlsafe_b64decode(header + "=="))
    forged["kid"] = _kid(target)
    return f"{_b64(json.dumps(forged).encode())}.{rest}"


LONG_AGO = timedelta(seconds=(signing.TOKEN_LIFETIME + signing.CLOCK_SKEW).total_seconds() + 60)

# name: (token maker, HTTP method of the call, expected status, expected error code)
ATTACKS: dict[str, tuple[Callable[[Target], str | None], str, int, str]] = {
    "no token": (lambda _: None, "GET", 401, "missing_signature"),
    "garbage": (lambda _: "not-a-token", "GET", 401, "bad_signature"),
    "three garbage segments": (lambda _: "a.b.c", "GET", 401, "bad_signature"),
    "signed by another key": (
        lambda t: _foreign_key_token(t, claim_real_kid=False),
        "GET",
        401,
        "bad_signature",
    ),
    "signed by another key claiming the centre's key id": (
        lambda t: _foreign_key_token(t, claim_real_kid=True),
        "GET",
        401,
        "bad_signature",
    ),
    "signed for another region": (lambda t: t.sign(region="eu"), "GET", 403, "wrong_region"),
    "signed for another event": (lambda t: t.sign(event=t.other_event), "GET", 403, "wrong_scope"),
    "signed for POST, used for GET": (lambda t: t.sign("POST"), "GET", 403, "wrong_scope"),
    "signed for GET, used for POST review": (lambda t: t.sign("GET"), "POST", 403, "wrong_scope"),
    "expired beyond lifetime and leeway": (
        lambda t: t.sign(now=datetime.now(UTC) - LONG_AGO),
        "GET",
        401,
        "expired_signature",
    ),
    "not valid before a time beyond leeway": (
        lambda t: t.sign(now=datetime.now(UTC) + LONG_AGO),
        "GET",
        401,
        "bad_signature",
    ),
    "HS256 with the public key as HMAC secret": (
        lambda t: _unsigned_token(
            {"alg": "HS256", "typ": "JWT", "kid": _kid(t)},
            _claims("us", "GET", t.event),
            _public_pem(t),
        ),
        "GET",
        401,
        "bad_signature",
    ),
    "alg none": (
        lambda t: _unsigned_token(
            {"alg": "none", "typ": "JWT", "kid": _kid(t)}, _claims("us", "GET", t.event), None
        ),
        "GET",
        401,
        "bad_signature",
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_regional_api_refuses_forged_or_misdirected_calls(
    platform: Platform, target: Target, attack: str
) -> None:
    make_token, method, status, code = ATTACKS[attack]
    response = target.call(make_token(target), method)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert "compliance_canary" not in response.text
    if method == "POST":
        rows = await platform.regional_query(
            "us",
            "SELECT review_decision FROM events WHERE external_event_id = $1",
            target.event,
        )
        assert rows[0]["review_decision"] is None


async def test_a_valid_signed_call_works_once_and_is_refused_when_replayed(
    platform: Platform, target: Target
) -> None:
    token = target.sign()
    first = target.call(token)
    second = target.call(token)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.json() == await platform.regional_payload("us", target.event)
    assert second.status_code == 401, second.text
    assert second.json()["error"]["code"] == "replayed_signature"
    assert "compliance_canary" not in second.text
