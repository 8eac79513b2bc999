"""The real `event-review` command, run as an operator would, against a database of its own."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text as sql

from event_review.central.db.migrate import head_revision
from event_review.contracts import signing
from event_review.regional.simulator.payloads import make_event
from event_review.regional.simulator.service import insert_events
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from tests.fixtures.cli import run_all, run_cli, run_ok
from tests.fixtures.databases import empty_database, fetch
from tests.fixtures.processes import database_url

INGEST_KEY = re.compile(r"erk_[A-Za-z0-9_-]{20,}")
PASSWORD = "correct-horse-battery"


@pytest.fixture
async def empty_db(server: ServerLocation) -> AsyncIterator[ServerLocation]:
    async with empty_database(server) as location:
        yield location


async def test_regions_add_shows_the_key_once_and_stores_only_its_hash(
    fresh_db: ServerLocation,
) -> None:
    text = run_ok(fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com")
    as_json = run_ok(
        fresh_db, "regions", "add", "US", "--api-url", "https://us.example.com/", "--json"
    )

    printed = INGEST_KEY.findall(text.stdout)
    assert len(printed) == 1, text.stdout
    assert "region eu registered (https://eu.example.com)" in text.stdout
    created = as_json.json()
    assert set(created) == {"code", "api_url", "ingest_key"}
    assert (created["code"], created["api_url"]) == ("us", "https://us.example.com")
    assert INGEST_KEY.fullmatch(created["ingest_key"])
    keys = {"eu": printed[0], "us": created["ingest_key"]}
    assert keys["eu"] != keys["us"]
    rows = await fetch(fresh_db, "SELECT region_code, key_hash FROM ingest_keys")
    assert {r["region_code"]: r["key_hash"] for r in rows} == {
        code: hashlib.sha256(key.encode()).hexdigest() for code, key in keys.items()
    }
    for key in keys.values():
        leaked = await fetch(
            fresh_db,
            "SELECT 'ingest_keys' FROM ingest_keys AS t WHERE strpos(t::text, $1) > 0 "
            "UNION ALL SELECT 'regions' FROM regions AS t WHERE strpos(t::text, $1) > 0 "
            "UNION ALL SELECT 'audit_log' FROM audit_log AS t WHERE strpos(t::text, $1) > 0",
            key,
        )
        assert leaked == []


async def test_lists_show_regions_teams_and_users_as_text_and_json(
    fresh_db: ServerLocation,
) -> None:
    run_ok(fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com")
    run_ok(fresh_db, "regions", "add", "us", "--api-url", "https://us.example.com")
    team = run_ok(fresh_db, "teams", "add", "Night Shift", "--regions", "us,eu", "--json").json()
    user = run_ok(
        fresh_db,
        "users", "add", "Alice", "--team", "Night Shift", "--role", "lead", "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    ).json()  # fmt: skip

    listed = run_all(
        fresh_db,
        ("regions", "list"),
        ("regions", "list", "--json"),
        ("teams", "list"),
        ("teams", "list", "--json"),
        ("users", "list"),
        ("users", "list", "--json"),
    )

    assert [r.returncode for r in listed] == [0] * 6, "\n".join(map(str, listed))
    regions_text, teams_text, users_text = (r.stdout for r in listed[0::2])
    regions_json, teams_json, users_json = (r.json() for r in listed[1::2])
    assert (team["name"], team["regions"]) == ("Night Shift", ["eu", "us"])
    assert (user["username"], user["role"], user["team"]) == ("alice", "lead", "Night Shift")

    assert regions_text.splitlines()[0].split() == ["CODE", "RETENTION", "API", "URL"]
    assert [line.split() for line in regions_text.splitlines()[1:]] == [
        ["eu", "keep", "https://eu.example.com"],
        ["us", "keep", "https://us.example.com"],
    ]
    assert [(r["code"], r["api_url"], r["retention_policy"]) for r in regions_json["items"]] == [
        ("eu", "https://eu.example.com", "keep"),
        ("us", "https://us.example.com", "keep"),
    ]
    assert "ingest_key" not in regions_json["items"][0]

    assert teams_text.splitlines()[1:] == [f"{'Night Shift':<24} eu,us"]
    assert teams_json == {
        "items": [{"team_id": team["team_id"], "name": "Night Shift", "regions": ["eu", "us"]}]
    }

    assert users_text.splitlines()[1].split() == ["alice", "lead", "Night", "Shift", "yes"]
    assert users_json == {"items": [user]}
    assert users_json["items"][0]["is_active"] is True


async def test_team_with_an_unknown_region_is_refused_and_nothing_is_created(
    fresh_db: ServerLocation,
) -> None:
    run_ok(fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com")

    text, as_json = run_all(
        fresh_db,
        ("teams", "add", "Ops", "--regions", "eu,zz"),
        ("teams", "add", "Ops", "--regions", "zz,eu", "--json"),
    )

    assert text.returncode == 1, str(text)
    assert text.stderr.startswith("error: unknown region(s): zz;"), text.stderr
    assert "event-review regions add" in text.stderr
    assert text.stdout == ""
    assert as_json.returncode == 1, str(as_json)
    error = as_json.json()["error"]
    assert error["code"] == "unknown_region"
    assert "zz" in error["message"]
    assert "eu" not in error["message"].split(";")[0]
    assert await fetch(fresh_db, "SELECT name FROM teams") == []
    assert await fetch(fresh_db, "SELECT team_id FROM team_regions") == []
    assert await fetch(fresh_db, "SELECT 1 FROM audit_log WHERE action = 'team.added'") == []


async def test_a_region_cannot_be_added_twice(fresh_db: ServerLocation) -> None:
    run_ok(fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com")

    again = run_cli(fresh_db, "regions", "add", "EU", "--api-url", "https://other.example.com")

    assert again.returncode == 1, str(again)
    assert again.stderr.strip() == "error: region 'eu' already exists"
    assert INGEST_KEY.search(again.stdout) is None
    regions = await fetch(fresh_db, "SELECT code, api_url FROM regions")
    assert [tuple(r) for r in regions] == [("eu", "https://eu.example.com")]
    assert len(await fetch(fresh_db, "SELECT key_id FROM ingest_keys")) == 1


async def test_users_add_reads_the_password_from_stdin_and_stores_an_argon2_hash(
    fresh_db: ServerLocation,
) -> None:
    result = run_ok(
        fresh_db, "users", "add", "root", "--role", "admin", "--password-stdin",
        stdin=PASSWORD + "\nthis second line is not read\n",
    )  # fmt: skip

    assert result.stdout.strip() == "user root created (admin, team -)"
    rows = await fetch(fresh_db, "SELECT role, team_id, password_hash FROM users")
    assert len(rows) == 1
    assert (rows[0]["role"], rows[0]["team_id"]) == ("admin", None)
    stored = rows[0]["password_hash"]
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


async def test_users_add_without_a_password_source_says_how_to_pass_one(
    fresh_db: ServerLocation,
) -> None:
    # stdin is a pipe here, not a terminal, so there is nobody to prompt.
    result = run_cli(fresh_db, "users", "add", "root", "--role", "admin", stdin=PASSWORD + "\n")

    assert result.returncode != 0, str(result)
    assert "--password-stdin" in result.stderr
    assert "no password" in result.stderr
    assert await fetch(fresh_db, "SELECT username FROM users") == []


async def test_users_add_with_empty_stdin_is_refused(fresh_db: ServerLocation) -> None:
    result = run_cli(fresh_db, "users", "add", "root", "--role", "admin", "--password-stdin")

    assert result.returncode == 1, str(result)
    assert "standard input was empty" in result.stderr
    assert await fetch(fresh_db, "SELECT username FROM users") == []


async def test_a_reviewer_needs_a_team(fresh_db: ServerLocation) -> None:
    result = run_cli(
        fresh_db, "users", "add", "bob", "--role", "reviewer", "--password-stdin", "--json",
        stdin=PASSWORD + "\n",
    )  # fmt: skip

    assert result.returncode == 1, str(result)
    error = result.json()["error"]
    assert error["code"] == "team_required"
    assert "needs a team" in error["message"]
    assert await fetch(fresh_db, "SELECT username FROM users") == []


def test_an_unknown_role_is_a_usage_error() -> None:
    result = run_cli(None, "users", "add", "bob", "--role", "superuser", "--password-stdin")

    assert result.returncode == 2, str(result)
    assert "--role" in result.stderr
    assert "superuser" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["review edge-device events", "migrate", "serve", "requeue", "regions", "users"]),
        (("regions",), ["where events come from", "add", "list"]),
        (("teams",), ["Teams and the regions", "add", "list"]),
        (("users",), ["reviewers, leads and admins", "add", "list"]),
        (("keys",), ["sign the centre's calls to the regions", "generate"]),
        (("serve",), ["Run one target as an HTTP server", "ingestor", "review", "all"]),
    ],
)
def test_help_says_what_each_command_does(args: tuple[str, ...], expected: list[str]) -> None:
    result = run_cli(None, *args, "--help")

    assert result.returncode == 0, str(result)
    for text in expected:
        assert text in result.stdout


async def test_commands_on_an_unmigrated_database_say_to_run_migrate(
    empty_db: ServerLocation,
) -> None:
    regions, requeue = run_all(empty_db, ("regions", "list"), ("requeue", "--json"))

    assert regions.returncode == 1, str(regions)
    assert regions.stderr.startswith("error: the central database has no schema yet")
    assert "run `event-review migrate` first" in regions.stderr
    assert "Traceback" not in regions.stderr
    assert requeue.returncode == 1, str(requeue)
    error = requeue.json()["error"]
    assert error["code"] == "schema_not_ready"
    assert "run `event-review migrate`" in error["message"]


async def test_migrate_creates_the_schema_and_can_run_again(empty_db: ServerLocation) -> None:
    first = run_cli(empty_db, "migrate")
    second = run_cli(empty_db, "migrate")

    assert first.returncode == 0, str(first)
    assert second.returncode == 0, str(second)
    assert f"central database {empty_db.database} is at head" in second.stdout
    versions = await fetch(empty_db, "SELECT version_num FROM alembic_version")
    assert [r["version_num"] for r in versions] == [head_revision()]
    assert run_ok(empty_db, "regions", "list", "--json").json() == {"items": []}


def test_requeue_with_nothing_stale_reports_zero(fresh_db: ServerLocation) -> None:
    result = run_ok(fresh_db, "requeue", "--json")

    assert result.json() == {"requeued": 0}


# -- commands an operator runs rarely, each run for real ----------------------------


async def test_rotate_key_then_revoke_old_keys_ends_a_rotation(fresh_db: ServerLocation) -> None:
    first = run_ok(
        fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com", "--json"
    ).json()["ingest_key"]
    rotated = run_ok(fresh_db, "regions", "rotate-key", "EU", "--json").json()
    text = run_ok(fresh_db, "regions", "rotate-key", "eu")
    third = INGEST_KEY.findall(text.stdout)

    assert rotated["code"] == "eu"
    assert INGEST_KEY.fullmatch(rotated["ingest_key"])
    assert len(third) == 1
    assert "the old key still works" in text.stdout
    digests = {
        key: hashlib.sha256(key.encode()).hexdigest()
        for key in (first, rotated["ingest_key"], third[0])
    }
    live = await fetch(fresh_db, "SELECT key_hash FROM ingest_keys WHERE revoked_at IS NULL")
    assert {r["key_hash"] for r in live} == set(digests.values())  # all three work

    revoked = run_ok(fresh_db, "regions", "revoke-old-keys", "eu", "--json").json()

    assert revoked == {"code": "eu", "revoked": 2}
    live = await fetch(fresh_db, "SELECT key_hash FROM ingest_keys WHERE revoked_at IS NULL")
    assert [r["key_hash"] for r in live] == [digests[third[0]]]
    trail = await fetch(fresh_db, "SELECT action FROM audit_log ORDER BY audit_id")
    assert [r["action"] for r in trail] == [
        "region.added",
        "region.ingest_key_issued",
        "region.ingest_key_issued",
        "region.ingest_keys_revoked",
    ]


async def test_rotating_the_key_of_an_unknown_region_changes_nothing(
    fresh_db: ServerLocation,
) -> None:
    rotate, revoke = run_all(
        fresh_db, ("regions", "rotate-key", "zz", "--json"), ("regions", "revoke-old-keys", "zz")
    )

    assert rotate.returncode == 1, str(rotate)
    assert rotate.json()["error"]["code"] == "unknown_region"
    assert revoke.returncode == 1, str(revoke)
    assert revoke.stderr.strip() == "error: unknown region 'zz'"
    assert await fetch(fresh_db, "SELECT key_id FROM ingest_keys") == []


async def test_set_review_text_names_the_policy_and_refuses_others(
    fresh_db: ServerLocation,
) -> None:
    run_ok(fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com")

    regional, unknown = run_all(
        fresh_db,
        ("regions", "set-review-text", "eu", "--policy", "regional", "--json"),
        ("regions", "set-review-text", "eu", "--policy", "nowhere"),
    )

    assert regional.returncode == 0, str(regional)
    assert (regional.json()["code"], regional.json()["review_text"]) == ("eu", "regional")
    assert unknown.returncode == 2, str(unknown)
    assert "nowhere" in unknown.stderr
    assert [r["review_text"] for r in await fetch(fresh_db, "SELECT review_text FROM regions")] == [
        "regional"
    ]


async def test_set_retention_and_purge_delete_only_what_the_policy_says(
    fresh_db: ServerLocation,
) -> None:
    for code in ("eu", "us", "ca"):
        run_ok(fresh_db, "regions", "add", code, "--api-url", f"https://{code}.example.com")
    eu = run_ok(
        fresh_db, "regions", "set-retention", "eu", "--policy", "delete_on_complete", "--json"
    ).json()
    us = run_ok(
        fresh_db, "regions", "set-retention", "us", "--policy", "purge_after_days", "--days", "7"
    )
    assert (eu["code"], eu["retention_policy"], eu["retention_days"]) == (
        "eu",
        "delete_on_complete",
        None,
    )
    assert us.stdout.strip() == "region us: purge_after_days (7 days)"
    # Completed events: in eu (any age), in us (one old, one recent), in ca (kept);
    # and one eu event still pending, which no policy touches.
    await fetch(
        fresh_db,
        "INSERT INTO events (external_event_id, region_code, event_type, occurred_at, "
        "status, completed_at) VALUES "
        "('eu-1', 'eu', 't', now(), 'completed', now()), "
        "('eu-2', 'eu', 't', now(), 'pending', NULL), "
        "('us-old', 'us', 't', now(), 'completed', now() - interval '8 days'), "
        "('us-new', 'us', 't', now(), 'completed', now() - interval '6 days'), "
        "('ca-1', 'ca', 't', now(), 'completed', now() - interval '400 days')",
    )

    purged = run_ok(fresh_db, "purge", "--json").json()
    again = run_ok(fresh_db, "purge")

    assert purged == {"purged": 2, "by_region": {"eu": 1, "us": 1}}
    assert again.stdout.strip() == "purged 0 completed event(s)"
    left = await fetch(fresh_db, "SELECT external_event_id FROM events ORDER BY 1")
    assert [r["external_event_id"] for r in left] == ["ca-1", "eu-2", "us-new"]
    trail = await fetch(
        fresh_db, "SELECT count(*) AS n FROM audit_log WHERE action = 'event.purged'"
    )
    assert trail[0]["n"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--policy", "purge_after_days"), "retention days go with the policy purge_after_days"),
        (("--policy", "keep", "--days", "3"), "retention days go with the policy purge_after_days"),
        (("--policy", "purge_after_days", "--days", "-1"), "retention days must be 0 or more"),
    ],
)
async def test_set_retention_refuses_days_that_do_not_fit_the_policy(
    fresh_db: ServerLocation, args: tuple[str, ...], message: str
) -> None:
    run_ok(fresh_db, "regions", "add", "eu", "--api-url", "https://eu.example.com")

    result = run_cli(fresh_db, "regions", "set-retention", "eu", *args)

    assert result.returncode == 1, str(result)
    assert message in result.stderr
    rows = await fetch(fresh_db, "SELECT retention_policy, retention_days FROM regions")
    assert [tuple(r) for r in rows] == [("keep", None)]


def test_keys_generate_prints_a_pair_that_signs_and_verifies() -> None:
    text = run_cli(None, "keys", "generate")
    as_json = run_cli(None, "keys", "generate", "--json")

    assert text.returncode == 0, str(text)
    assert "EVENT_REVIEW_REGIONAL_SIGNING_KEY" in text.stdout
    assert "EVENT_REVIEW_CENTRAL_PUBLIC_KEYS" in text.stdout
    pair = as_json.json()
    private = signing.load_private_key(pair["private_key"])
    public = signing.load_public_keys(pair["public_key"])
    token = signing.sign_call(private, region_code="eu", method="GET", external_event_id="x")
    assert signing.verify_call(token, public, region_code="eu", method="GET", external_event_id="x")
    other = run_cli(None, "keys", "generate", "--json").json()
    assert other["private_key"] != pair["private_key"]


async def test_regional_show_prints_what_the_region_recorded_never_the_payload(
    regional_db: Database,
) -> None:
    assert regional_db.engine is not None
    rng = random.Random(3)
    documents = [make_event("eu", rng) for _ in range(2)]
    async with regional_db.sessionmaker() as session:
        await insert_events(session, documents)
        await session.execute(
            sql(
                "UPDATE events SET review_decision = 'reject', review_rating = 2, "
                "review_comment = 'glare', reviewed_by = 'rita', reviewed_at = now(), "
                "review_recorded_at = now() WHERE external_event_id = :id"
            ),
            {"id": documents[0]["external_event_id"]},
        )
        await session.commit()
    env = {"REGIONAL_DATABASE_URL": database_url(ServerLocation(regional_db.engine.url))}
    reviewed, pending, missing = (
        run_cli(None, "regional", "show", documents[0]["external_event_id"], "--region", "eu",
                "--json", env=env),
        run_cli(None, "regional", "show", documents[1]["external_event_id"], "--region", "eu",
                env=env),
        run_cli(None, "regional", "show", "no-such-event", "--region", "eu", "--json", env=env),
    )  # fmt: skip

    assert reviewed.returncode == 0, str(reviewed)
    shown = reviewed.json()
    assert (shown["review_decision"], shown["review_rating"], shown["reviewed_by"]) == (
        "reject",
        2,
        "rita",
    )
    assert shown["review_comment"] == "glare"
    assert documents[0]["compliance_canary"] not in reviewed.stdout
    assert "payload" not in shown
    assert pending.returncode == 0, str(pending)
    assert re.search(r"review_decision\s+-", pending.stdout)
    assert missing.returncode == 1, str(missing)
    assert missing.json()["error"]["code"] == "not_found"


# -- reading never creates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (("regional", "show", "x", "--region", "eu"), "REGIONAL_DATABASE_URL"),
        (("regions", "list"), "DATABASE_URL"),
        (("users", "list", "--json"), "DATABASE_URL"),
    ],
)
def test_a_read_only_command_without_a_database_says_which_setting_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...], setting: str
) -> None:
    data_dir = tmp_path / "nothing-here"
    result = run_cli(None, *args, env={"DATABASE_URL": "", "EVENT_REVIEW_DATA_DIR": str(data_dir)})

    assert result.returncode == 1, str(result)
    said = result.json()["error"]["message"] if "--json" in args else result.stderr
    assert setting in said
    assert "EVENT_REVIEW_DATA_DIR" in said
    assert "Traceback" not in result.stderr
    assert not data_dir.exists() or not any(data_dir.iterdir()), "it created something"


def test_one_shot_jobs_without_a_database_fail_with_one_line_for_the_cronjob() -> None:
    """The CronJob sees a non-zero exit and retries on schedule; the log says why."""
    requeue, purge = run_all(None, ("requeue", "--json"), ("purge",))  # nothing listens

    assert requeue.returncode == 1, str(requeue)
    assert requeue.json()["error"]["code"] == "database_unavailable"
    assert purge.returncode == 1, str(purge)
    assert purge.stderr.strip().startswith("error: the database is unavailable")
    assert "Traceback" not in requeue.stderr + purge.stderr
