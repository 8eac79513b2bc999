"""The local-mode gateway (deploy/nginx/nginx.conf) as a real nginx in front of real
`event-review` processes: central `serve all`, the EU regional API and forwarder,
set up through the CLI. Needs nginx (apt-get install nginx); skips without it.

The forwarder sends its metadata through the gateway too, so the ingest route
is exercised by the real client as well as the reviewer's routes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from event_review.runtime.postgres import ServerLocation
from tests.deploy.helpers import Nginx, nginx_binary, running_nginx
from tests.fixtures.cli import CliResult, cli_env, run_cli
from tests.fixtures.databases import empty_database
from tests.fixtures.processes import (
    ManagedProcess,
    database_url,
    free_port,
    process_group,
    wait_until_async,
)

PASSWORD = "gateway-test-password"
EVENTS = 5
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
QUERY_CANARY = "query-canary-7f3a"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
INGEST = "/api/v1/internal-ingest/events"
API_BODY_LIMIT = 1024 * 1024  # client_max_body_size 1m
INGEST_BODY_LIMIT = 8 * 1024 * 1024  # client_max_body_size 8m
API_RATE, API_BURST = 20, 100  # limit_req zone=api rate=20r/s burst=100


@dataclass
class Stack:
    central: ManagedProcess
    regional: ManagedProcess
    forwarder: ManagedProcess
    central_port: int
    nginx: Nginx
    root: Path

    @property
    def upstreams(self) -> dict[str, str]:
        # `serve all` is the ingestor, the review service and the web client at once.
        address = f"127.0.0.1:{self.central_port}"
        return {"ingestor": address, "review": address, "web": address}

    def client(self, nginx: Nginx | None = None) -> httpx.Client:
        return httpx.Client(base_url=(nginx or self.nginx).url, timeout=15.0, trust_env=False)


def ok(result: CliResult) -> CliResult:
    assert result.returncode == 0, str(result)
    return result


async def count_events(location: ServerLocation) -> int:
    conn = await asyncpg.connect(location.asyncpg_dsn())
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM events")
        return count
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def stack(
    server: ServerLocation, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    nginx_binary()  # skip before starting anything when nginx is missing
    root = tmp_path_factory.mktemp("gateway")
    common = {
        "EVENT_REVIEW_ENVIRONMENT": "development",
        "EVENT_REVIEW_DATA_DIR": str(root / "data"),  # one development key pair for both sides
        "EVENT_REVIEW_LOG_FORMAT": "json",
        "EVENT_REVIEW_FORWARD_POLL_SECONDS": "0.2",
    }
    central_port, regional_port, nginx_port = free_port(), free_port(), free_port()
    async with empty_database(server) as central, empty_database(server) as regional:
        regional_env = {**common, "REGIONAL_DATABASE_URL": database_url(regional)}
        # The migration Jobs' commands, side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            migrated = list(
                pool.map(
                    lambda call: ok(call()),
                    [
                        lambda: run_cli(central, "migrate", env=common),
                        lambda: run_cli(None, "migrate", "--region", "eu", env=regional_env),
                    ],
                )
            )
        assert "is at head" in migrated[1].stdout
        region = f"http://127.0.0.1:{regional_port}"

        def register() -> str:
            """Region, team and user through the CLI; returns the region's ingest key."""
            added = ok(
                run_cli(central, "regions", "add", "eu", "--api-url", region, "--json", env=common)
            )
            ok(run_cli(central, "teams", "add", "eu-team", "--regions", "eu", env=common))
            ok(
                run_cli(
                    central,
                    "users", "add", "rita", "--team", "eu-team", "--role", "reviewer",
                    "--password-stdin",
                    stdin=PASSWORD + "\n",
                    env=common,
                )
            )  # fmt: skip
            key: str = added.json()["ingest_key"]
            return key

        def simulate() -> CliResult:
            return ok(
                run_cli(
                    None, "simulate", "--region", "eu", "--events", str(EVENTS), "--json",
                    env=regional_env,
                )
            )  # fmt: skip

        with process_group(root / "logs") as group:
            # The servers start while the CLI sets up (each command costs a second or two).
            serve = group.start(
                "central-serve-all",
                "serve", "all", "--host", "127.0.0.1", "--port", str(central_port),
                env=cli_env(central, common),
            )  # fmt: skip
            api = group.start(
                "regional-api-eu",
                "serve", "regional-api", "--region", "eu",
                "--host", "127.0.0.1", "--port", str(regional_port),
                env=cli_env(None, regional_env),
            )  # fmt: skip
            with ThreadPoolExecutor(max_workers=2) as pool:
                registered, simulated = pool.submit(register), pool.submit(simulate)
                ingest_key = registered.result()
                assert simulated.result().json() == {"region": "eu", "events": EVENTS}
            serve.wait_http(f"http://127.0.0.1:{central_port}/readyz")
            api.wait_http(f"{region}/readyz")
            upstream = f"127.0.0.1:{central_port}"
            upstreams = {"ingestor": upstream, "review": upstream, "web": upstream}
            with running_nginx(root / "nginx", nginx_port, upstreams) as nginx:
                # The forwarder reaches the central ingestor through the gateway.
                forwarder = group.start(
                    "forwarder-eu",
                    "forwarder", "--region", "eu",
                    env=cli_env(
                        None,
                        {
                            **regional_env,
                            "EVENT_REVIEW_INGEST_KEY": ingest_key,
                            "EVENT_REVIEW_CENTRAL_URL": nginx.url,
                        },
                    ),
                )  # fmt: skip

                async def arrived() -> bool:
                    return await count_events(central) == EVENTS

                await wait_until_async(
                    arrived,
                    message=lambda: (
                        f"events did not arrive centrally\n{forwarder.describe()}\n"
                        f"nginx errors:\n{nginx.error_log()}"
                    ),
                )
                yield Stack(serve, api, forwarder, central_port, nginx, root)


@pytest.fixture
def fresh_nginx(stack: Stack, tmp_path: Path) -> Iterator[Nginx]:
    """Another gateway in front of the same services, with its own (empty) rate-limit zones."""
    with running_nginx(tmp_path / "nginx", free_port(), stack.upstreams) as nginx:
        yield nginx


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_line(nginx: Nginx, request_id: str) -> dict[str, Any]:
    """The access log line of one request (nginx writes it once the request is done)."""
    for _ in range(50):
        lines = [line for line in nginx.access_log() if line["request_id"] == request_id]
        if lines:
            (line,) = lines
            return line
        time.sleep(0.05)
    raise AssertionError(f"no access log line with request_id {request_id}")


def one_request_id(response: httpx.Response) -> str:
    ids = response.headers.get_list("x-request-id")
    assert len(ids) == 1, ids
    assert REQUEST_ID.fullmatch(ids[0]), ids
    return ids[0]


def test_review_flow_through_the_gateway(stack: Stack) -> None:
    with stack.client() as http:
        login = http.post(LOGIN, json={"username": "rita", "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        user = bearer(token)

        batch = http.post("/api/v1/assignments/next-batch", json={"size": 10}, headers=user)
        assert batch.status_code == 200, batch.text
        events = batch.json()["events"]
        assert len(events) == EVENTS
        assert {e["region_code"] for e in events} == {"eu"}
        event_id = events[0]["event_id"]

        # The payload comes from the EU region through the centre's proxy and the gateway.
        payload = http.get(
            f"/api/v1/events/{event_id}/payload", params={"trace": QUERY_CANARY}, headers=user
        )
        assert payload.status_code == 200, payload.text
        assert payload.headers["cache-control"] == "no-store"
        assert payload.headers["x-data-region"] == "eu"
        body = payload.json()
        canary = body["compliance_canary"]
        assert canary.startswith("canary-")

        review = {"decision": "approve", "rating": 5, "comment": "seen through the gateway"}
        reviewed = http.post(f"/api/v1/events/{event_id}/review", json=review, headers=user)
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["status"] == "submitted"
        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        responses = [login, batch, payload, reviewed, page]
        ids = [one_request_id(r) for r in responses]
        assert len(set(ids)) == len(ids)

    # Each request is in the access log under the id its client saw; the forwarder's
    # batches went through the ingest route.
    lines = {i: log_line(stack.nginx, i) for i in ids}
    assert [(lines[i]["method"], lines[i]["status"]) for i in ids] == [
        ("POST", 200), ("POST", 200), ("GET", 200), ("POST", 200), ("GET", 200),
    ]  # fmt: skip
    assert lines[ids[2]]["path"] == f"/api/v1/events/{event_id}/payload"
    ingested = [line for line in stack.nginx.access_log() if line["path"] == INGEST]
    assert ingested
    assert {(line["method"], line["status"]) for line in ingested} == {("POST", 200)}
    assert {line["upstream"] for line in ingested} == {f"127.0.0.1:{stack.central_port}"}

    # The log holds no query string, payload content, credential or body.
    text = stack.nginx.access_log_path.read_text()
    for secret in (QUERY_CANARY, canary, token, PASSWORD, "?"):
        assert secret not in text, secret
    assert set(lines[ids[2]]) == {
        "time", "request_id", "remote_addr", "method", "path", "status", "bytes_sent",
        "request_length", "request_time", "upstream", "upstream_status", "upstream_time",
    }  # fmt: skip


def test_request_id_reaches_the_service_and_comes_back(stack: Stack) -> None:
    with stack.client() as http:
        # A client's own X-Request-ID is replaced: the gateway names every request.
        response = http.get(ME, headers={"X-Request-ID": "chosen-by-the-client"})
    assert response.status_code == 401
    request_id = one_request_id(response)
    assert request_id != "chosen-by-the-client"
    line = log_line(stack.nginx, request_id)
    assert (line["path"], line["status"], line["upstream_status"]) == (ME, 401, "401")
    # The service got the same id: it logged it (and echoed it back to nginx).
    assert request_id in stack.central.log()


def test_oversized_bodies_get_413_from_the_gateway(stack: Stack) -> None:
    too_big_for_api = b"x" * (API_BODY_LIMIT + 1024)
    with stack.client() as http:
        login = http.post(
            LOGIN, content=too_big_for_api, headers={"Content-Type": "application/json"}
        )
        # The ingest route allows more: the same body passes the gateway...
        ingest = http.post(
            INGEST, content=too_big_for_api, headers={"Content-Type": "application/json"}
        )
        # ... up to its own limit.
        huge = http.post(
            INGEST,
            content=b"x" * (INGEST_BODY_LIMIT + 1024),
            headers={"Content-Type": "application/json"},
        )
    assert login.status_code == 413
    assert huge.status_code == 413
    for refused in (login, huge):
        line = log_line(stack.nginx, one_request_id(refused))
        assert (line["status"], line["upstream"]) == (413, ""), "nginx answered, not a service"
    passed = log_line(stack.nginx, one_request_id(ingest))
    assert passed["upstream"] == f"127.0.0.1:{stack.central_port}"
    assert passed["upstream_status"] == str(ingest.status_code)


def test_rate_limit_answers_429(stack: Stack, fresh_nginx: Nginx) -> None:
    started = time.monotonic()
    with stack.client(fresh_nginx) as http:
        responses = [http.get(ME) for _ in range(250)]
        elapsed = time.monotonic() - started
        other_zone = http.post(INGEST, json={"events": []})
    statuses = [r.status_code for r in responses]
    counts = Counter(statuses)
    assert set(counts) <= {401, 429}, counts
    # The burst passes whole; past it, about API_RATE per second.
    assert 429 not in statuses[: API_BURST + 1], statuses
    assert counts[429] >= 1, counts
    assert counts[401] <= API_BURST + 1 + API_RATE * elapsed + 5, (counts, elapsed)
    for response in responses:
        one_request_id(response)  # nginx's own 429s carry the id too
    # The ingest route has a zone of its own.
    assert other_zone.status_code != 429
