"""Behind a transaction pooler, a process that needs a session of its own says so at start-up."""

from __future__ import annotations

import pytest

from event_review.runtime.postgres import DatabaseConfigError, ServerLocation, parse_database_url
from event_review.settings import Settings
from event_review.targets.registry import LOOPS, SERVERS
from tests.fixtures.cli import run_cli
from tests.fixtures.processes import database_url

POOLED = {"EVENT_REVIEW_DATABASE_POOLER": "transaction", "EVENT_REVIEW_ENVIRONMENT": "development"}


def test_a_pooled_url_needs_a_direct_one_for_a_session() -> None:
    pooled = parse_database_url("postgresql://app@pgbouncer:6432/event_review", pooled=True)
    with pytest.raises(DatabaseConfigError, match="set DATABASE_DIRECT_URL"):
        pooled.for_session("a LISTEN")
    direct = parse_database_url(
        "postgresql://app@pgbouncer:6432/event_review",
        pooled=True,
        direct="postgresql://app@db:5432/event_review",
    )
    assert direct.for_session("a LISTEN").url.host == "db"
    assert not direct.for_session("a LISTEN").pooled
    # Without a pooler the URL itself carries a session.
    plain = parse_database_url("postgresql://app@db:5432/event_review")
    assert plain.for_session("a LISTEN") is plain


def test_the_direct_url_must_reach_the_same_database() -> None:
    with pytest.raises(DatabaseConfigError, match="both must reach the same database"):
        parse_database_url(
            "postgresql://app@pgbouncer:6432/event_review",
            pooled=True,
            direct="postgresql://app@db:5432/other",
        )


def test_serve_refuses_a_pooled_url_without_a_direct_one(fresh_db: ServerLocation) -> None:
    result = run_cli(fresh_db, "serve", "review", "--port", "9", env=POOLED)
    assert result.returncode != 0, result
    assert "the principal cache's LISTEN" in result.stderr, result
    assert "set DATABASE_DIRECT_URL" in result.stderr, result
    assert "Traceback" not in result.stderr, result


def test_the_forwarder_refuses_a_pooled_url_without_a_direct_one(
    fresh_db: ServerLocation,
) -> None:
    env = {
        **POOLED,
        "REGIONAL_DATABASE_URL": database_url(fresh_db),
        "EVENT_REVIEW_INGEST_KEY": "erk_" + "k" * 30,
    }
    result = run_cli(fresh_db, "forwarder", "--region", "eu", env=env)
    assert result.returncode != 0, result
    assert "set REGIONAL_DATABASE_DIRECT_URL" in result.stderr, result
    assert "Traceback" not in result.stderr, result


def test_only_what_listens_needs_a_session(settings: Settings) -> None:
    assert SERVERS["review"].needs_session(settings) is not None
    uncached = settings.model_copy(update={"principal_cache_seconds": 0})
    assert SERVERS["review"].needs_session(uncached) is None
    assert SERVERS["ingestor"].needs_session(settings) is None
    assert LOOPS["forwarder"].needs_session(settings) is not None
