"""Settings from the environment, and the refusal to run production with guessable secrets."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from pydantic import ValidationError

from event_review.contracts.signing import generate_private_key_pem
from event_review.settings import (
    DEV_JWT_SECRET,
    DEV_SERVICE_TOKEN,
    FORWARDER_SECRETS,
    MIN_SECRET_LENGTH,
    REGIONAL_API_SECRETS,
    WRITEBACK_SECRETS,
    Environment,
    InsecureSettingsError,
    Settings,
)
from tests.cli_helpers import free_port, run_cli

JWT = "EVENT_REVIEW_JWT_SECRET"
SERVICE = "EVENT_REVIEW_SERVICE_TOKEN"
SIGNING_KEY = "EVENT_REVIEW_REGIONAL_SIGNING_KEY"
STRONG_JWT = "j" * MIN_SECRET_LENGTH
STRONG_SERVICE = "s" * MIN_SECRET_LENGTH


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets itself: none of the runner's own settings."""
    for name in list(os.environ):
        if name.startswith("EVENT_REVIEW_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def refusal(settings: Settings) -> str:
    with pytest.raises(InsecureSettingsError) as raised:
        settings.require_production_secrets()
    return str(raised.value)


def test_production_is_the_default_and_refuses_missing_secrets() -> None:
    settings = Settings()

    message = refusal(settings)

    assert settings.environment is Environment.PRODUCTION
    assert f"{JWT} is not set" in message
    assert f"{SERVICE} is not set" in message
    assert f"{SIGNING_KEY} is not set" in message
    assert "EVENT_REVIEW_ENVIRONMENT=development" in message


def test_production_refuses_the_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JWT, DEV_JWT_SECRET)
    monkeypatch.setenv(SERVICE, DEV_SERVICE_TOKEN)

    message = refusal(Settings())

    assert f"{JWT} is the development default" in message
    assert f"{SERVICE} is the development default" in message


def test_production_refuses_a_secret_one_character_too_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(JWT, "j" * (MIN_SECRET_LENGTH - 1))
    monkeypatch.setenv(SERVICE, STRONG_SERVICE)
    monkeypatch.setenv(SIGNING_KEY, generate_private_key_pem())

    message = refusal(Settings())

    assert f"{JWT} is shorter than {MIN_SECRET_LENGTH} characters" in message
    assert SERVICE not in message
    assert SIGNING_KEY not in message


def test_production_refuses_an_empty_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JWT, STRONG_JWT)
    monkeypatch.setenv(SERVICE, "")
    monkeypatch.setenv(SIGNING_KEY, generate_private_key_pem())

    message = refusal(Settings())

    assert f"{SERVICE} is not set" in message
    assert JWT not in message


def test_production_accepts_strong_secrets_and_uses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JWT, STRONG_JWT)
    monkeypatch.setenv(SERVICE, STRONG_SERVICE)
    monkeypatch.setenv(SIGNING_KEY, generate_private_key_pem())
    settings = Settings()

    settings.require_production_secrets()

    assert settings.insecure_secrets() == []
    assert settings.effective_jwt_secret == STRONG_JWT
    assert settings.effective_service_token == STRONG_SERVICE
    assert STRONG_JWT not in repr(settings)
    assert STRONG_SERVICE not in repr(settings)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (WRITEBACK_SECRETS, ["EVENT_REVIEW_REGIONAL_SIGNING_KEY is not set"]),
        (REGIONAL_API_SECRETS, ["EVENT_REVIEW_CENTRAL_PUBLIC_KEYS is not set"]),
        (FORWARDER_SECRETS, ["EVENT_REVIEW_INGEST_KEY is not set"]),
        ((), []),
    ],
)
def test_each_process_checks_only_the_secrets_it_needs(
    monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...], expected: list[str]
) -> None:
    monkeypatch.setenv(JWT, DEV_JWT_SECRET)  # insecure, but none of these processes use it

    assert Settings().insecure_secrets(names) == expected


def test_development_accepts_missing_secrets_and_falls_back_to_the_dev_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENT_REVIEW_ENVIRONMENT", "development")
    monkeypatch.setenv(SERVICE, "")
    settings = Settings()

    settings.require_production_secrets()

    assert settings.is_development
    assert settings.effective_jwt_secret == DEV_JWT_SECRET
    assert settings.effective_service_token == DEV_SERVICE_TOKEN


def test_development_uses_secrets_that_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_REVIEW_ENVIRONMENT", "development")
    monkeypatch.setenv(JWT, "short-but-fine-in-development")

    settings = Settings()

    assert settings.effective_jwt_secret == "short-but-fine-in-development"
    assert settings.effective_service_token == DEV_SERVICE_TOKEN


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


def test_serve_in_production_without_secrets_exits_before_starting() -> None:
    port = free_port()

    result = run_cli(None, "serve", "review", "--port", str(port))

    assert result.returncode == 1, str(result)
    assert result.stderr.startswith("error: refusing to start:"), result.stderr
    assert f"{JWT} is not set" in result.stderr
    assert f"{SERVICE} is not set" in result.stderr
    assert f"{SIGNING_KEY} is not set" in result.stderr
    assert "Uvicorn running" not in result.stderr
    assert result.stdout == ""
