"""Schemathesis over the OpenAPI spec of every central target, with valid credentials.

It generates thousands of requests from the spec and fails on any 5xx or any
answer that breaks its documented schema.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.fixtures.cli import run_ok, serving

# Routes that would end the fuzzer's own session or account halfway through.
SELF_DESTRUCTIVE = r"(/auth/logout|/deactivate|/password)$"
NO_LIMITS = {
    "EVENT_REVIEW_RATE_LIMIT_USER_PER_MINUTE": "0",
    "EVENT_REVIEW_RATE_LIMIT_REGION_PER_MINUTE": "0",
    "EVENT_REVIEW_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
}


def schemathesis(base_url: str, token: str, work_dir: Path) -> subprocess.CompletedProcess[str]:
    st = shutil.which("st") or str(Path(__import__("sys").executable).parent / "st")
    return subprocess.run(
        [
            st,
            "run",
            f"{base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--exclude-path-regex",
            SELF_DESTRUCTIVE,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "15",
            # One worker: with two threads, Hypothesis parsing lambdas concurrently
            # hits CPython 3.11's non-thread-safe AST recursion counter
            # (python/cpython#106905) and Schemathesis reports an internal error.
            "--workers",
            "1",
            "--seed",
            "20261127",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=work_dir,
        check=False,
    )


@pytest.mark.parametrize("target", ["all", "ingestor"])
def test_fuzzing_finds_no_server_error(
    fresh_db: ServerLocation, tmp_path: Path, target: str
) -> None:
    key = run_ok(fresh_db, "regions", "add", "eu", "--api-url", "http://127.0.0.1:9", "--json")
    run_ok(fresh_db, "teams", "add", "fuzzers", "--regions", "eu")
    run_ok(
        fresh_db,
        "users",
        "add",
        "fuzz-admin",
        "--team",
        "fuzzers",
        "--role",
        "admin",
        "--password-stdin",
        stdin="fuzz-password-1\n",
    )
    with serving(fresh_db, target, tmp_path, env=NO_LIMITS) as server:
        server.wait_ready()
        if target == "ingestor":
            token = key.json()["ingest_key"]
        else:
            with server.client() as http:
                login = http.post(
                    "/api/v1/auth/login",
                    json={"username": "fuzz-admin", "password": "fuzz-password-1"},
                )
                token = login.json()["access_token"]

        result = schemathesis(server.base_url, token, tmp_path)

        log = server.log()
    errors = [line for line in log.splitlines() if '"level": "error"' in line or " 500" in line]
    # Schemathesis reports ERRORS (e.g. a request it could not make) before
    # FAILURES; show from whichever comes first, else the end of its output.
    sections = [i for i in (result.stdout.find("ERRORS"), result.stdout.find("FAILURES")) if i >= 0]
    details = result.stdout[min(sections) :][:8000] if sections else result.stdout[-4000:]
    report = f"{details}\n{result.stderr[-2000:]}\nserver errors:\n" + "\n".join(errors[-20:])
    assert result.returncode == 0, report
    assert " passed" in result.stdout, report
    assert "Traceback" not in log, log[-4000:]


def test_fuzzing_the_regional_api_finds_no_server_error(
    regional_db: Database, fresh_db: ServerLocation, tmp_path: Path
) -> None:
    """No caller but the centre can sign; the fuzzer proves garbage never becomes a 5xx."""
    assert regional_db.engine is not None
    regional_url = regional_db.engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    env = {**NO_LIMITS, "REGIONAL_DATABASE_URL": regional_url}
    with serving(fresh_db, "regional-api", tmp_path, env=env, args=("--region", "eu")) as server:
        server.wait_ready()
        result = schemathesis(server.base_url, "not-a-signed-call", tmp_path)
        log = server.log()
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Traceback" not in log, log[-4000:]
