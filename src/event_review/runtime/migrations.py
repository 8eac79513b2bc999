"""Alembic plumbing shared by the central and the regional schema.

Each side keeps its own migrations directory and metadata; this module only
knows how to run and inspect them.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from event_review.runtime.postgres import ServerLocation


class SchemaNotReadyError(RuntimeError):
    """The database is not at the migration head this code expects."""


@dataclass(frozen=True)
class Schema:
    name: str  # "central" or "regional", for messages
    migrations_dir: Path
    migrate_command: str  # what an operator runs to fix an un-migrated database

    def config(self, location: ServerLocation) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.migrations_dir))
        # Alembic's config parser treats % as interpolation.
        rendered = location.url.render_as_string(hide_password=False).replace("%", "%%")
        config.set_main_option("sqlalchemy.url", rendered)
        return config

    def upgrade(self, location: ServerLocation, revision: str = "head") -> None:
        command.upgrade(self.config(location), revision)

    def downgrade(self, location: ServerLocation, revision: str = "base") -> None:
        command.downgrade(self.config(location), revision)

    def head_revision(self) -> str:
        return _head(self.migrations_dir)

    async def ensure_at_head(self, connection: AsyncConnection) -> None:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
        expected = self.head_revision()
        if current != expected:
            state = "has no schema yet" if current is None else f"is at revision {current}"
            raise SchemaNotReadyError(
                f"the {self.name} database {state}, this version needs {expected}: "
                f"run `{self.migrate_command}` first"
            )


@functools.cache
def _head(migrations_dir: Path) -> str:
    """The newest revision shipped with this code: read once per process, since
    parsing every migration file cost each /readyz several milliseconds."""
    head = ScriptDirectory(str(migrations_dir)).get_current_head()
    assert head is not None
    return head


def run_alembic_env(metadata: MetaData, application_name: str) -> None:
    """The body of an env.py: async engine, one transaction per run."""
    config = context.config

    def run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    async def online() -> None:
        url = config.get_main_option("sqlalchemy.url")
        assert url is not None
        engine = create_async_engine(
            url,
            poolclass=pool.NullPool,
            connect_args={"server_settings": {"application_name": application_name}},
        )
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(online())
