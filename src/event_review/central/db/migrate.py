"""Apply and inspect the central schema's Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from event_review.runtime.postgres import ServerLocation

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaNotReadyError(RuntimeError):
    """The database is not at the migration head this code expects."""


def alembic_config(location: ServerLocation) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config parser treats % as interpolation.
    rendered = location.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", rendered)
    return config


def upgrade(location: ServerLocation, revision: str = "head") -> None:
    command.upgrade(alembic_config(location), revision)


def downgrade(location: ServerLocation, revision: str = "base") -> None:
    command.downgrade(alembic_config(location), revision)


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


async def current_revision(connection: AsyncConnection) -> str | None:
    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )


async def ensure_at_head(connection: AsyncConnection) -> None:
    current = await current_revision(connection)
    expected = head_revision()
    if current != expected:
        state = "has no schema yet" if current is None else f"is at revision {current}"
        raise SchemaNotReadyError(
            f"the central database {state}, this version needs {expected}: "
            "run `event-review migrate` first"
        )
