"""The platform's one settings object, read from the environment.

Every variable carries the ``EVENT_REVIEW_`` prefix except ``DATABASE_URL``, the
name every PostgreSQL tool and host already understands.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Well-known values a development install falls back to. A production process
# refuses to start with any of them (see ``Settings.insecure_secrets``).
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
DEV_SERVICE_TOKEN = "dev-only-service-token-change-me"

MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettingsError(RuntimeError):
    """A production process was configured with missing or well-known secrets."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EVENT_REVIEW_",
        env_file=None,
        extra="ignore",
        frozen=True,
    )

    environment: Environment = Field(
        default=Environment.PRODUCTION,
        description="`production` (the default) refuses missing or development secrets; "
        "`development` falls back to well-known ones.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL"),
        description="PostgreSQL URL of the central database. Unset: an embedded server.",
    )
    data_dir: Path = Field(
        default_factory=lambda: platformdirs.user_data_path("event-review"),
        description="Where the embedded PostgreSQL keeps its data between runs.",
    )
    jwt_secret: SecretStr | None = Field(
        default=None, description="HMAC key signing user access tokens."
    )
    service_token: SecretStr | None = Field(
        default=None, description="Bearer token of internal callers (the re-queue CronJob)."
    )
    access_token_minutes: int = Field(default=12 * 60, ge=1, le=7 * 24 * 60)
    lease_minutes: int = Field(default=15, ge=1, le=24 * 60)
    requeue_chunk_size: int = Field(default=5_000, ge=1, le=100_000)
    log_level: str = Field(default="info")
    log_format: str = Field(default="json", pattern="^(json|console)$")

    @property
    def lease(self) -> timedelta:
        return timedelta(minutes=self.lease_minutes)

    @property
    def access_token_lifetime(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @cached_property
    def effective_jwt_secret(self) -> str:
        return self._secret(self.jwt_secret, DEV_JWT_SECRET)

    @cached_property
    def effective_service_token(self) -> str:
        return self._secret(self.service_token, DEV_SERVICE_TOKEN)

    def _secret(self, value: SecretStr | None, dev_default: str) -> str:
        if value is not None and value.get_secret_value():
            return value.get_secret_value()
        return dev_default

    def insecure_secrets(self) -> list[str]:
        """Names of secrets that are missing, too short or well-known development values."""
        problems = []
        checks = (
            ("EVENT_REVIEW_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET),
            ("EVENT_REVIEW_SERVICE_TOKEN", self.service_token, DEV_SERVICE_TOKEN),
        )
        for name, value, dev_default in checks:
            raw = value.get_secret_value() if value is not None else ""
            if not raw:
                problems.append(f"{name} is not set")
            elif raw == dev_default:
                problems.append(f"{name} is the development default")
            elif len(raw) < MIN_SECRET_LENGTH:
                problems.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters")
        return problems

    def require_production_secrets(self) -> None:
        """Stop a server process that would run with guessable secrets."""
        if self.is_development:
            return
        problems = self.insecure_secrets()
        if problems:
            raise InsecureSettingsError(
                "refusing to start: "
                + "; ".join(problems)
                + ". Set them (e.g. `openssl rand -hex 32`), or set "
                "EVENT_REVIEW_ENVIRONMENT=development on a development machine."
            )
