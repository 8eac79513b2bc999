"""The regional schema's migrations (a separate database per region)."""

from __future__ import annotations

from pathlib import Path

from event_review.runtime.migrations import Schema

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

REGIONAL_SCHEMA = Schema("regional", MIGRATIONS_DIR, "event-review migrate --region CODE")
