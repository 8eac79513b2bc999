"""`event-review serve` as deployed: a real server process, real HTTP, set up by the real CLI."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from event_review.runtime.postgres import ServerLocation
from tests.factories import event_body
from tests.fixtures.cli import run_cli, run_ok, serving
from tests.fixtures.databases import empty_database
from tests.fixtures.processes import free_port

PASSWORD = "correct-horse-battery"
INGEST_BATCH = "/api/v1/internal-ingest/events"
INGEST_ONE = "/api/v1/internal-ingest/event"


@pytest.fixture
async def empty_db(server: ServerLocation) -> AsyncIterator[ServerLocation]:
    async with empty_database(server) as location:
        yield location


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_region(location: ServerLocation, code: str) -> str:
    """Register a region through the CLI; returns its ingest key."""
    created = run_ok(
        location, "regions", "add", code, "--api-url", f"http://127.0.0.1:9/{code}", "--json"
    ).json()
    key: str = created["ingest_key"]
    return key


def test_all_target_serves_the_review_flow(fresh_db: ServerLocation, tmp_path: Path) -> None:
    ingest_key = add_region(fresh_db, "eu")
    run_ok(fresh_db, "teams", "add", "Ops", "--regions", "eu")
    run_ok(
        fresh_db, "users", "add", "rita", "--team", "Ops", "--role", "reviewer", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip

    with serving(fresh_db, "all", tmp_path) as server:
        server.wait_ready()
        with server.client() as http:
            bodies = [event_body("eu") for _ in range(3)]
            ingested = http.post(INGEST_BATCH, json={"events": bodies}, headers=bearer(ingest_key))
            assert ingested.status_code == 200, ingested.text
            assert ingested.json()["created"] == 3
            event_ids = [r["event_id"] for r in ingested.json()["results"]]

            login = http.post("/api/v1/auth/login", json={"username": "rita", "password": PASSWORD})
            assert login.status_code == 200, login.text
            user = bearer(login.json()["access_token"])
            me = http.get("/api/v1/auth/me", headers=user)
            assert me.status_code == 200, me.text
            assert (me.json()["username"], me.json()["regions"]) == ("rita", ["eu"])

            batch = http.post("/api/v1/assignments/next-batch", json={"size": 10}, headers=user)
            assert batch.status_code == 200, batch.text
            claimed = batch.json()["events"]
            assert sorted(e["event_id"] for e in claimed) == sorted(event_ids)
            assert {(e["status"], e["assigned_user_id"]) for e in claimed} == {
                ("assigned", me.json()["user_id"])
            }

            first = claimed[0]["event_id"]
            shown = http.get(f"/api/v1/events/{first}", headers=user)
            assert shown.status_code == 200, shown.text
            assert shown.json()["event_id"] == first
            assert shown.json()["region_code"] == "eu"

            review = {"decision": "approve", "rating": 4, "comment": "clear footage"}
            reviewed = http.post(f"/api/v1/events/{first}/review", json=review, headers=user)
            assert reviewed.status_code == 200, reviewed.text
            assert reviewed.json()["status"] == "submitted"
            assert (reviewed.json()["review_decision"], reviewed.json()["review_rating"]) == (
                "approve",
                4,
            )

            logout = http.post("/api/v1/auth/logout", headers=user)
            assert logout.status_code == 204, logout.text
            after = http.get("/api/v1/auth/me", headers=user)
            assert after.status_code == 401
            assert after.json()["error"]["code"] == "session_revoked"

        # The two events still held lost their holder's only session: the
        # CronJob's command gives them back.
        requeue = run_ok(fresh_db, "requeue", "--json")
        assert requeue.json() == {"requeued": 2}


def test_all_target_serves_docs_and_no_requeue_route(
    fresh_db: ServerLocation, tmp_path: Path
) -> None:
    """The re-queue runs as the `requeue` command (the CronJob), never over HTTP."""
    with serving(fresh_db, "all", tmp_path) as server:
        server.wait_ready()
        with server.client() as http:
            trigger = http.post("/api/v1/internal/trigger-requeue")
            docs = http.get("/docs")
            openapi = http.get("/openapi.json")
            health = http.get("/healthz")

    assert trigger.status_code == 404, trigger.text
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert openapi.status_code == 200
    paths = openapi.json()["paths"]
    assert {"/api/v1/auth/login", "/api/v1/assignments/next-batch", INGEST_BATCH} <= set(paths)
    assert health.json() == {"status": "ok"}


def test_ingestor_target_serves_ingest_only(fresh_db: ServerLocation, tmp_path: Path) -> None:
    ingest_key = add_region(fresh_db, "eu")

    with serving(fresh_db, "ingestor", tmp_path) as server:
        server.wait_ready()
        with server.client() as http:
            ingested = http.post(INGEST_ONE, json=event_body("eu"), headers=bearer(ingest_key))
            login = http.post("/api/v1/auth/login", json={"username": "rita", "password": PASSWORD})
            paths = set(http.get("/openapi.json").json()["paths"])
        exit_code = server.stop()

    assert ingested.status_code == 201, ingested.text
    assert ingested.json()["created"] is True
    assert login.status_code == 404
    assert paths == {"/healthz", "/readyz", "/metrics", INGEST_ONE, INGEST_BATCH}
    # SIGTERM shuts it down cleanly (uvicorn re-raises the signal once it has finished).
    assert exit_code in (0, -signal.SIGTERM), server.log()
    assert "Application shutdown complete" in server.log()


def test_serve_on_an_unmigrated_database_exits_and_says_to_migrate(
    empty_db: ServerLocation,
) -> None:
    result = run_cli(
        empty_db,
        "serve", "all", "--port", str(free_port()),
        env={"EVENT_REVIEW_ENVIRONMENT": "development"},
    )  # fmt: skip

    assert result.returncode == 1, str(result)
    assert "the central database has no schema yet" in result.stderr
    assert "run `event-review migrate` first" in result.stderr
    assert "Uvicorn running" not in result.stderr


def test_serve_with_several_worker_processes(fresh_db: ServerLocation, tmp_path: Path) -> None:
    run_ok(fresh_db, "regions", "add", "eu", "--api-url", "http://127.0.0.1:9")
    run_ok(fresh_db, "teams", "add", "workers-team", "--regions", "eu")
    run_ok(
        fresh_db,
        "users",
        "add",
        "wally",
        "--team",
        "workers-team",
        "--password-stdin",
        stdin="wally-password-1\n",
    )
    with serving(fresh_db, "all", tmp_path, args=("--workers", "2")) as server:
        server.wait_ready()
        with server.client() as http:
            login = http.post(
                "/api/v1/auth/login", json={"username": "wally", "password": "wally-password-1"}
            )
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            # Sessions live in the database, so any worker accepts any worker's token.
            answers = {
                http.get(
                    "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
                ).status_code
                for _ in range(20)
            }
        assert answers == {200}
        log = server.log()
    assert log.count("Started server process") >= 2, log[-3000:]
