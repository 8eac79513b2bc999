"""The platform's one settings object, read from the environment.

Every variable carries the ``EVENT_REVIEW_`` prefix except ``DATABASE_URL``, the
name every PostgreSQL tool and host already understands.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Well-known values a development install falls back to. A production process
# refuses to start with any of them (see ``Settings.insecure_secrets``).
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"

MIN_SECRET_LENGTH = 32


class Secret(StrEnum):
    """Every secret a process may need; which process needs which says the registry
    of processes (targets/registry.py)."""

    JWT_SECRET = "EVENT_REVIEW_JWT_SECRET"
    REGIONAL_SIGNING_KEY = "EVENT_REVIEW_REGIONAL_SIGNING_KEY"
    CENTRAL_PUBLIC_KEYS = "EVENT_REVIEW_CENTRAL_PUBLIC_KEYS"
    INGEST_KEY = "EVENT_REVIEW_INGEST_KEY"


# The settings field holding each secret, and its development default. Keys
# have no development default string: development generates a key pair.
_SECRETS: dict[Secret, tuple[str, str | None]] = {
    Secret.JWT_SECRET: ("jwt_secret", DEV_JWT_SECRET),
    Secret.REGIONAL_SIGNING_KEY: ("regional_signing_key", None),
    Secret.CENTRAL_PUBLIC_KEYS: ("central_public_keys", None),
    Secret.INGEST_KEY: ("ingest_key", None),
}
# What a development machine can stand in for; any other secret is needed even there.
_DEVELOPMENT_FALLBACK = {Secret.JWT_SECRET, Secret.REGIONAL_SIGNING_KEY, Secret.CENTRAL_PUBLIC_KEYS}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Pooler(StrEnum):
    """What stands between a process and its PostgreSQL server."""

    NONE = "none"
    # PgBouncer (or alike) in transaction mode: a server connection is lent for
    # one transaction, so nothing may outlive one: no server-side statement
    # caches, no LISTEN, no session advisory locks.
    TRANSACTION = "transaction"


class InsecureSettingsError(RuntimeError):
    """A production process was configured with missing or well-known secrets."""


# Internal, not settings: `serve --workers N` hands its worker processes what it
# resolved in EVENT_REVIEW_WORKER_TARGET, EVENT_REVIEW_WORKER_REGION,
# EVENT_REVIEW_WORKER_DATABASE and EVENT_REVIEW_WORKER_DIRECT_DATABASE
# (targets/factory.py). Nobody sets them by hand, and Settings ignores them.


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(value: str) -> list[IPNetwork]:
    try:
        return [ipaddress.ip_network(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ValueError(f"EVENT_REVIEW_WEBHOOK_ALLOWED_NETWORKS: {exc}") from exc


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
    database_direct_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_DIRECT_URL"),
        description="The central PostgreSQL server itself, bypassing a transaction pooler: "
        "for what needs a session of its own (LISTEN).",
    )
    database_pooler: Pooler = Field(
        default=Pooler.NONE,
        description="`transaction` when this process's database URL goes through PgBouncer "
        "in transaction mode: statement caches off, sessions through the direct URL.",
    )
    principal_cache_seconds: float = Field(
        default=60,
        ge=0,
        le=3_600,
        description="How long a replica keeps a session's principal between changes; "
        "logout and account changes evict it at once through LISTEN/NOTIFY (0: off).",
    )
    data_dir: Path = Field(
        default_factory=lambda: platformdirs.user_data_path("event-review"),
        description="Where the embedded PostgreSQL keeps its data between runs.",
    )
    jwt_secret: SecretStr | None = Field(
        default=None, description="HMAC key signing user access tokens."
    )
    regional_signing_key: SecretStr | None = Field(
        default=None,
        description="Central: Ed25519 private key (PEM) signing calls to the regional APIs.",
    )
    central_public_keys: str | None = Field(
        default=None,
        description="Region: the centre's Ed25519 public key(s) (PEM; several during rotation).",
    )
    regional_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REGIONAL_DATABASE_URL"),
        description="Region: PostgreSQL URL of the regional database. Unset: embedded.",
    )
    regional_database_direct_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REGIONAL_DATABASE_DIRECT_URL"),
        description="Region: the regional PostgreSQL server itself, bypassing a transaction "
        "pooler: for the forwarder's LISTEN and leader lock.",
    )
    central_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Forwarder: base URL of the central ingestor.",
    )
    ingest_key: SecretStr | None = Field(
        default=None, description="Forwarder: this region's ingest key."
    )
    forward_summary_fields: str = Field(
        default="severity,vehicle_class,speed_band",
        description="Forwarder: comma-separated payload fields allowed into the central summary.",
    )
    forward_batch_size: int = Field(default=500, ge=1, le=1_000)
    forward_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    regional_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    payload_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    writeback_max_attempts: int = Field(default=8, ge=1, le=100)
    writeback_backoff_seconds: float = Field(default=2.0, gt=0)
    writeback_backoff_max_seconds: float = Field(default=300.0, gt=0)
    writeback_batch_size: int = Field(default=50, ge=1, le=1_000)
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    webhook_backoff_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1, le=1_000)
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Webhooks: the whole of one delivery attempt."
    )
    webhook_allowed_networks: str = Field(
        default="",
        description="Webhooks: comma-separated CIDRs a receiver may be in although they are "
        "not public (loopback, private, ...), and the only ones plain http:// may reach.",
    )
    rate_limit_user_per_minute: int = Field(
        default=600, ge=0, description="Requests per user per minute and replica (0: off)."
    )
    rate_limit_region_per_minute: int = Field(
        default=6_000, ge=0, description="Ingest requests per region per minute and replica."
    )
    rate_limit_login_per_minute: int = Field(
        default=20,
        ge=0,
        description="Login attempts per username (10x per client address), all replicas together.",
    )
    password_login: bool = Field(
        default=True, description="Allow username/password login (switch off with SSO)."
    )
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer URL; set to enable single sign-on."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = Field(
        default=None,
        description="This platform's callback as the provider knows it, "
        "e.g. https://review.example.com/api/v1/auth/oidc/callback.",
    )
    oidc_scopes: str = "openid email profile"
    oidc_username_claim: str = "preferred_username"
    oidc_role_claim: str = Field(
        default="event_review_role", description="Claim holding reviewer, lead or admin."
    )
    oidc_team_claim: str = Field(default="event_review_team", description="Claim naming the team.")
    # Fractions are allowed (0.25 = 15 s): tests shorten the lifetime to watch refreshes.
    access_token_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="Access token lifetime; refresh for more."
    )
    session_minutes: int = Field(
        default=12 * 60, ge=1, le=30 * 24 * 60, description="Session (refresh token) lifetime."
    )
    jwt_previous_secrets: SecretStr | None = Field(
        default=None,
        description="Comma-separated retired JWT secrets still accepted during a rotation.",
    )
    lease_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="How long a claimed event stays yours."
    )
    lease_max_hold_minutes: float = Field(
        default=60,
        gt=0,
        le=7 * 24 * 60,
        description="The longest one reviewer may keep an event by extending its lease, "
        "counted from the claim.",
    )
    correction_window_minutes: float = Field(
        default=30,
        ge=0,
        le=30 * 24 * 60,
        description="How long reviewers may correct their own review; leads and admins of "
        "the region may correct any review, with a reason, at any time.",
    )
    requeue_chunk_size: int = Field(default=5_000, ge=1, le=100_000)
    sla_interval_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="SLA monitor: seconds between measurements."
    )
    export_expiry_hours: float = Field(
        default=24, gt=0, le=30 * 24, description="How long a finished export can be downloaded."
    )
    export_chunk_rows: int = Field(
        default=5_000, ge=1, le=50_000, description="Rows per stored export chunk."
    )
    export_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Runs of an export job before it is failed."
    )
    export_lease_seconds: float = Field(
        default=60, gt=0, le=3_600, description="How long a worker holds an export between chunks."
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces "
        "(needs the otel extra).",
    )
    log_level: str = Field(default="info")
    log_format: str = Field(default="json", pattern="^(json|console)$")

    @model_validator(mode="after")
    def _hold_covers_a_lease(self) -> Settings:
        if self.lease_max_hold_minutes < self.lease_minutes:
            raise ValueError(
                "EVENT_REVIEW_LEASE_MAX_HOLD_MINUTES must be at least EVENT_REVIEW_LEASE_MINUTES"
            )
        return self

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        _networks(value)
        return value

    @property
    def webhook_networks(self) -> list[IPNetwork]:
        return _networks(self.webhook_allowed_networks)

    @property
    def lease(self) -> timedelta:
        return timedelta(minutes=self.lease_minutes)

    @property
    def correction_window(self) -> timedelta:
        return timedelta(minutes=self.correction_window_minutes)

    @property
    def lease_max_hold(self) -> timedelta:
        return timedelta(minutes=self.lease_max_hold_minutes)

    @property
    def access_token_lifetime(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_redirect_url)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(minutes=self.session_minutes)

    @property
    def jwt_verification_secrets(self) -> list[str]:
        """The current secret first, then retired ones still honoured."""
        previous = self.jwt_previous_secrets.get_secret_value() if self.jwt_previous_secrets else ""
        return [self.effective_jwt_secret, *(s.strip() for s in previous.split(",") if s.strip())]

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def effective_jwt_secret(self) -> str:
        return self._secret(self.jwt_secret, DEV_JWT_SECRET)

    def _secret(self, value: SecretStr | None, dev_default: str) -> str:
        if value is not None and value.get_secret_value():
            return value.get_secret_value()
        return dev_default

    def insecure_secrets(self, names: Iterable[Secret]) -> list[str]:
        """Which of the named secrets are missing, too short or development values."""
        problems = []
        for name in names:
            field, dev_default = _SECRETS[name]
            value = getattr(self, field)
            raw = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")
            if not raw:
                problems.append(f"{name.value} is not set")
            elif raw == dev_default:
                problems.append(f"{name.value} is the development default")
            elif dev_default is not None and len(raw) < MIN_SECRET_LENGTH:
                problems.append(f"{name.value} is shorter than {MIN_SECRET_LENGTH} characters")
        return problems

    def require_secrets(self, names: Iterable[Secret]) -> None:
        """Stop a process that would run with guessable or missing secrets.

        In development only the secrets nothing can stand in for (a forwarder's
        ingest key) must be given.
        """
        if self.is_development:
            names = [n for n in names if n not in _DEVELOPMENT_FALLBACK]
        problems = self.insecure_secrets(names)
        if not problems:
            return
        if self.is_development:
            hint = " (an ingest key is printed once by `event-review regions add`)."
        else:
            hint = (
                ". Set them (e.g. `openssl rand -hex 32`), or set "
                "EVENT_REVIEW_ENVIRONMENT=development on a development machine "
                "(`event-review keys generate` makes a signing key pair)."
            )
        raise InsecureSettingsError("refusing to start: " + "; ".join(problems) + hint)
