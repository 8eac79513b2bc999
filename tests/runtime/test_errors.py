"""What a caller gets, and what the log says, when something goes wrong that no handler knew."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import text

from event_review.central.db.migrate import CENTRAL_SCHEMA
from event_review.runtime.access import public
from event_review.runtime.app import build_app
from event_review.runtime.database import Database, DbSession
from event_review.settings import Settings
from tests.runtime.failing_app import CANARY

REPO = Path(__file__).resolve().parents[2]


def run_failing_app(fmt: str) -> tuple[dict[str, Any], list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.runtime.failing_app", fmt],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=REPO,
    )
    return json.loads(done.stdout), done.stderr.splitlines()


def test_an_unhandled_error_answers_the_house_shape_with_id_and_headers() -> None:
    answer, _ = run_failing_app("json")
    assert answer["status"] == 500
    assert answer["headers"]["content-type"] == "application/json"
    assert json.loads(answer["body"]) == {
        "error": {
            "code": "internal_error",
            "message": "something went wrong on our side; it has been logged",
        }
    }
    assert answer["headers"]["x-request-id"] == "req-explode-1"
    assert answer["headers"]["x-content-type-options"] == "nosniff"
    assert answer["headers"]["content-security-policy"].startswith("default-src 'none'")


def test_json_logs_say_what_failed_where_and_for_which_request() -> None:
    _, lines = run_failing_app("json")
    records = [json.loads(line) for line in lines]
    [failure] = [r for r in records if r["event"] == "http.unhandled_error"]
    assert (failure["level"], failure["method"], failure["path"], failure["route"]) == (
        "error",
        "POST",
        "/explode",
        "/explode",
    )
    assert failure["request_id"] == "req-explode-1"
    [exception] = failure["exception"]
    assert exception["exc_type"] == "RuntimeError"
    assert exception["exc_value"] == "exploded after reading 43 characters"
    assert exception["frames"][-1]["name"] == "explode"
    assert all("locals" not in frame or not frame["locals"] for frame in exception["frames"])
    # A stdlib record's exception is data too, not an object repr.
    [library] = [r for r in records if r["event"] == "library failure"]
    assert library["exception"][0]["exc_type"] == "ValueError"
    assert "Exception in ASGI application" not in "\n".join(lines)
    assert CANARY not in "\n".join(lines)


def test_console_logs_render_a_short_traceback_without_locals() -> None:
    _, lines = run_failing_app("console")
    log = "\n".join(lines)
    assert "http.unhandled_error" in log
    assert "RuntimeError: exploded after reading 43 characters" in log
    assert "Traceback (most recent call last)" in log
    assert CANARY not in log  # neither the request body nor the frame's locals
    assert len(lines) < 80, log


# -- the database's own refusals -----------------------------------------------------

router = APIRouter(dependencies=[Depends(public)])
STATEMENTS = {
    "nul-in-text": ("SELECT CAST(:value AS text)", "a\x00b"),
    "nul-escape-in-jsonb": ("SELECT CAST(:value AS jsonb)", '{"k": "\\u0000"}'),
    "number-out-of-range": ("SELECT CAST(CAST(:value AS integer) AS smallint)", "99999"),
    "bad-syntax": ("SELEC 1", None),
}


@router.post("/run/{name}")
async def run_statement(name: str, session: DbSession) -> dict[str, str]:
    sql, value = STATEMENTS[name]
    await session.execute(text(sql), {"value": value} if value is not None else {})
    return {"ran": name}


@pytest.fixture
async def sql_client(settings: Settings, database: Database) -> Any:
    app = build_app(settings, name="sql", routers=[router], schema=CENTRAL_SCHEMA)
    app.state.database = database
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize("name", ["nul-in-text", "nul-escape-in-jsonb", "number-out-of-range"])
async def test_a_value_postgresql_cannot_hold_is_a_422_whatever_route_sent_it(
    sql_client: httpx.AsyncClient, name: str
) -> None:
    """The net under the field types: SQLSTATE class 22 (data exception) is the input's fault."""
    response = await sql_client.post(f"/run/{name}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_value"
    assert "\x00" not in response.text


async def test_any_other_database_error_is_a_logged_500_in_the_house_shape(
    sql_client: httpx.AsyncClient,
) -> None:
    response = await sql_client.post("/run/bad-syntax")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["x-request-id"]
