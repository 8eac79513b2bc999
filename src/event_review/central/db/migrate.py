"""The central schema's migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from event_review.runtime.migrations import Schema, SchemaNotReadyError
from event_review.runtime.postgres import ServerLocation

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

CENTRAL_SCHEMA = Schema("central", MIGRATIONS_DIR, "event-review migrate")

__all__ = [
    "CENTRAL_SCHEMA",
    "MIGRATIONS_DIR",
    "SchemaNotReadyError",
    "downgrade",
    "ensure_at_head",
    "head_revision",
    "upgrade",
]


def upgrade(location: ServerLocation, revision: str = "head") -> None:
    CENTRAL_SCHEMA.upgrade(location, revision)


def downgrade(location: ServerLocation, revision: str = "base") -> None:
    CENTRAL_SCHEMA.downgrade(location, revision)


def head_revision() -> str:
    return CENTRAL_SCHEMA.head_revision()


async def ensure_at_head(connection: AsyncConnection) -> None:
    await CENTRAL_SCHEMA.ensure_at_head(connection)
