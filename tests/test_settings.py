"""Settings from the environment, and the refusal to run production with guessable secrets."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from pydantic import ValidationError

from event_review.contracts.signing import generate_private_key_pem
from event_review.settings import (
    DEV_JWT_SECRET,
    MIN_SECRET_LENGTH,
    Environment,
    InsecureSettingsError,
    Secret,
    Settings,
)
from event_review.targets.registry import BY_NAME, LOOPS, SERVERS
from tests.fixtures.cli import run_cli
from tests.fixtures.processes import free_port

JWT = "EVENT_REVIEW_JWT_SECRET"
SIGNING_KEY = "EVENT_REVIEW_REGIONAL_SIGNING_KEY"
STRONG_JWT = "j" * MIN_SECRET_LENGTH
REVIEW = SERVERS["review"].secrets  # the central server's, the longest list


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets itself: none of the runner's own settings."""
    for name in list(os.environ):
        if name.startswith("EVENT_REVIEW_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def refusal(settings: Settings, names: tuple[Secret, ...] = REVIEW) -> str:
    with pytest.raises(InsecureSettingsError) as raised:
        settings.require_secrets(names)
    return str(raised.value)


def test_production_is_the_default_and_refuses_missing_secrets() -> None:
    settings = Settings()

    message = refusal(settings)

    assert settings.environment is Environment.PRODUCTION
    assert f"{JWT} is not set" in message
    assert f"{SIGNING_KEY} is not set" in message
    assert "EVENT_REVIEW_ENVIRONMENT=development" in message


def test_production_refuses_the_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JWT, DEV_JWT_SECRET)

    assert f"{JWT} is the development default" in refusal(Settings())


def test_production_refuses_a_secret_one_character_too_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(JWT, "j" * (MIN_SECRET_LENGTH - 1))
    monkeypatch.setenv(SIGNING_KEY, generate_private_key_pem())

    message = refusal(Settings())

    assert f"{JWT} is shorter than {MIN_SECRET_LENGTH} characters" in message
    assert SIGNING_KEY not in message


def test_production_refuses_an_empty_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JWT, "")
    monkeypatch.setenv(SIGNING_KEY, generate_private_key_pem())

    message = refusal(Settings())

    assert f"{JWT} is not set" in message
    assert SIGNING_KEY not in message


def test_production_accepts_strong_secrets_and_uses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JWT, STRONG_JWT)
    monkeypatch.setenv(SIGNING_KEY, generate_private_key_pem())
    settings = Settings()

    settings.require_secrets(REVIEW)

    assert settings.insecure_secrets(REVIEW) == []
    assert settings.effective_jwt_secret == STRONG_JWT
    assert STRONG_JWT not in repr(settings)


@pytest.mark.parametrize(
    ("process", "expected"),
    [
        ("writeback", ["EVENT_REVIEW_REGIONAL_SIGNING_KEY is not set"]),
        ("regional-api", ["EVENT_REVIEW_CENTRAL_PUBLIC_KEYS is not set"]),
        ("forwarder", ["EVENT_REVIEW_INGEST_KEY is not set"]),
        ("ingestor", []),
        ("requeue", []),
    ],
)
def test_each_process_checks_only_the_secrets_the_registry_names(
    monkeypatch: pytest.MonkeyPatch, process: str, expected: list[str]
) -> None:
    monkeypatch.setenv(JWT, DEV_JWT_SECRET)  # insecure, but none of these processes use it

    assert Settings().insecure_secrets(BY_NAME[process].secrets) == expected


def test_development_accepts_missing_secrets_and_falls_back_to_the_dev_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENT_REVIEW_ENVIRONMENT", "development")
    settings = Settings()

    settings.require_secrets(REVIEW)

    assert settings.is_development
    assert settings.effective_jwt_secret == DEV_JWT_SECRET


def test_development_still_needs_what_nothing_can_stand_in_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forwarder's ingest key: only the centre can issue one."""
    monkeypatch.setenv("EVENT_REVIEW_ENVIRONMENT", "development")

    message = refusal(Settings(), LOOPS["forwarder"].secrets)

    assert "EVENT_REVIEW_INGEST_KEY is not set" in message
    assert "event-review regions add" in message


def test_development_uses_secrets_that_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_REVIEW_ENVIRONMENT", "development")
    monkeypatch.setenv(JWT, "short-but-fine-in-development")

    assert Settings().effective_jwt_secret == "short-but-fine-in-development"


def test_an_unknown_environment_is_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_REVIEW_ENVIRONMENT", "staging")

    with pytest.raises(ValidationError, match="environment"):
        Settings()


def test_database_url_is_read_without_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/central")

    assert Settings().database_url == "postgresql://app@db.internal:5432/central"


def test_database_url_with_the_prefix_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_REVIEW_DATABASE_URL", "postgresql://app@db.internal:5432/central")

    assert Settings().database_url is None


def test_other_settings_carry_the_prefix_and_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENT_REVIEW_LEASE_MINUTES", "30")
    monkeypatch.setenv("EVENT_REVIEW_ACCESS_TOKEN_MINUTES", "60")
    settings = Settings()
    assert (settings.lease, settings.access_token_lifetime) == (
        timedelta(minutes=30),
        timedelta(minutes=60),
    )

    monkeypatch.setenv("EVENT_REVIEW_LEASE_MINUTES", "0")
    with pytest.raises(ValidationError, match="lease_minutes"):
        Settings()


def test_short_lifetimes_for_tests_and_a_hold_no_shorter_than_a_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENT_REVIEW_ACCESS_TOKEN_MINUTES", "0.25")
    monkeypatch.setenv("EVENT_REVIEW_LEASE_MINUTES", "0.5")
    settings = Settings()
    assert (settings.access_token_lifetime, settings.lease) == (
        timedelta(seconds=15),
        timedelta(seconds=30),
    )
    assert settings.lease_max_hold == timedelta(hours=1)

    monkeypatch.setenv("EVENT_REVIEW_LEASE_MINUTES", "90")
    with pytest.raises(ValidationError, match="LEASE_MAX_HOLD_MINUTES must be at least"):
        Settings()


def test_serve_in_production_without_secrets_exits_before_starting() -> None:
    port = free_port()

    result = run_cli(None, "serve", "review", "--port", str(port))

    assert result.returncode == 1, str(result)
    assert result.stderr.startswith("error: refusing to start:"), result.stderr
    assert f"{JWT} is not set" in result.stderr
    assert f"{SIGNING_KEY} is not set" in result.stderr
    assert "Uvicorn running" not in result.stderr
    assert result.stdout == ""
