"""Engines and session factories, built by a target's lifespan, never at import.

Shared by central and regional targets: each has its own database and schema.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from event_review.runtime.errors import ApiError, DatabaseUnavailable, classify_database_error
from event_review.runtime.postgres import ServerLocation

# Named constraints make migrations reviewable and downgrades deterministic;
# both the central and the regional schema use them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@dataclass
class Database:
    engine: AsyncEngine | None
    sessionmaker: async_sessionmaker[AsyncSession]
    # Where the engine connects; None for sessions on a connection handed in.
    location: ServerLocation | None = None

    @classmethod
    def connect(
        cls,
        location: ServerLocation,
        *,
        application_name: str,
        pool_size: int = 10,
        pre_ping: bool = True,
    ) -> Database:
        """An engine on `location`.

        pre_ping=False is for HTTP services: with asyncpg the ping is BEGIN, a
        query and ROLLBACK on every checkout, about a sixth of a review request's
        CPU. Without it, a connection that died (database restart, failover)
        fails one request with a 503 (runtime.errors) and SQLAlchemy replaces
        the pool. Loops and commands keep the ping: they gain nothing by dropping it.
        """
        connect_args: dict[str, Any] = {
            # pg_stat_activity then tells which target holds which connection.
            "server_settings": {"application_name": application_name},
        }
        if location.pooled:
            connect_args.update(pooler_connect_args())
        engine = create_async_engine(
            location.url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=pre_ping,
            # Error messages (and so logs) never carry statement parameters:
            # they hold what users typed.
            hide_parameters=True,
            connect_args=connect_args,
        )
        translate_errors(engine.sync_engine)
        return cls(engine=engine, sessionmaker=make_sessionmaker(engine), location=location)

    @classmethod
    def on_connection(cls, connection: AsyncConnection) -> Database:
        """Sessions that share one connection's open transaction (used by tests).

        Each session's commit becomes a savepoint release, so the caller can roll
        everything back at the end.
        """
        translate_errors(connection.sync_engine)
        return cls(
            engine=None,
            sessionmaker=async_sessionmaker(
                bind=connection,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
            ),
        )

    async def dispose(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()


def pooler_connect_args() -> dict[str, Any]:
    """Driver arguments for a URL behind a transaction-mode pooler.

    The next transaction may run on another server connection, where a cached
    prepared statement does not exist and a numbered name may be another
    client's: no caches (asyncpg's nor SQLAlchemy's), and a name of its own
    for the statement SQLAlchemy still prepares to learn the result's columns.
    """
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
    }


def _translate(context: ExceptionContext) -> ApiError | None:
    translated = classify_database_error(
        context.original_exception, disconnect=context.is_disconnect
    )
    if translated is not None and translated.status_code == 503:
        # Also for errors SQLAlchemy does not know as disconnects ("the database
        # system is shutting down"): the pool is discarded, not reused.
        context.is_disconnect = True
    return translated


def _connect(dialect: Dialect, _record: ConnectionPoolEntry, cargs: Any, cparams: Any) -> Any:
    # A refused or reset connect is a plain OSError, which SQLAlchemy passes
    # through without its error events; the driver's own errors (57P03 while
    # starting up) reach _translate.
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        raise DatabaseUnavailable() from exc


def translate_errors(engine: Engine) -> None:
    """Database failures leave the engine as domain errors, classified once.

    A lost, refused or not-yet-accepting connection becomes DatabaseUnavailable
    (HTTP 503, and what worker loops back off on); a value PostgreSQL cannot
    hold becomes InvalidValue (422). Anything else stays what it was.
    """
    if not event.contains(engine, "handle_error", _translate):
        event.listen(engine, "handle_error", _translate)
        event.listen(engine, "do_connect", _connect)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. The edge owns the transaction: services only flush."""
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": commit before the response is sent, so a client never sees
# success for a write that then fails to commit.
DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
