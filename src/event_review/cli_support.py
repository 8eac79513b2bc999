"""What every command shares: settings, the database, and how results and errors print."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.migrate import ensure_at_head
from event_review.runtime.database import Database
from event_review.runtime.errors import ApiError, sqlstate_of
from event_review.runtime.logging import configure_logging
from event_review.runtime.migrations import SchemaNotReadyError
from event_review.runtime.postgres import (
    CENTRAL_EMBEDDED_DATABASE,
    DatabaseConfigError,
    ServerLocation,
    regional_database_name,
    resolve,
)
from event_review.settings import InsecureSettingsError, Settings

T = TypeVar("T")

JsonOption = typer.Option(False, "--json", help="Print one JSON object instead of text.")


def load_settings(default_format: str | None = None) -> Settings:
    """Settings from the environment; `default_format` applies unless the log format is set."""
    try:
        settings = Settings()
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    fmt = settings.log_format
    if default_format and "EVENT_REVIEW_LOG_FORMAT" not in os.environ:
        fmt = default_format
    configure_logging(settings.log_level, fmt)
    return settings


def fail(
    message: str, *, as_json: bool = False, code: str = "error", exit_code: int = 1
) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": {"code": code, "message": message}}))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(exit_code)


@contextmanager
def friendly_errors(as_json: bool = False) -> Iterator[None]:
    """Turn expected failures into one clear line and a non-zero exit, not a traceback."""
    try:
        yield
    except ApiError as exc:
        fail(exc.message, as_json=as_json, code=exc.code)
    except SchemaNotReadyError as exc:
        fail(str(exc), as_json=as_json, code="schema_not_ready")
    except DatabaseConfigError as exc:
        fail(str(exc), as_json=as_json, code="invalid_database_url")
    except InsecureSettingsError as exc:
        fail(str(exc), as_json=as_json, code="insecure_settings")
    except OSError as exc:
        fail(f"cannot reach the database: {exc}", as_json=as_json, code="database_unreachable")
    except DBAPIError as exc:
        state = sqlstate_of(exc.orig)
        if state == "3D000":
            message = "the database does not exist: create it, or check the database URL"
        elif state in ("28000", "28P01"):
            message = "the database refused the login: check the user and password in its URL"
        else:
            message = f"database error: {str(exc.orig).splitlines()[0]}"
        fail(message, as_json=as_json, code="database_error")


def central_location(settings: Settings, *, create: bool = True) -> ServerLocation:
    """DATABASE_URL, or the central database on the embedded server.

    `create=False` for commands that only read: they never make a cluster or a database.
    """
    return resolve(
        settings.database_url, settings.data_dir, CENTRAL_EMBEDDED_DATABASE, create=create
    )


def regional_location(
    settings: Settings, region_code: str, *, create: bool = True
) -> ServerLocation:
    """REGIONAL_DATABASE_URL, or the region's own database on the embedded server."""
    name = regional_database_name(CENTRAL_EMBEDDED_DATABASE, region_code)
    return resolve(
        settings.regional_database_url,
        settings.data_dir,
        name,
        create=create,
        setting="REGIONAL_DATABASE_URL",
    )


def in_transaction(
    settings: Settings,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    app_name: str,
    read_only: bool = False,
) -> T:
    """Run `work` in one committed transaction on a migrated central database."""

    location = central_location(settings, create=not read_only)

    async def run() -> T:
        database = Database.connect(
            location, application_name=f"event-review-{app_name}", pool_size=1
        )
        try:
            async with database.sessionmaker() as session:
                await ensure_at_head(await session.connection())
                result = await work(session)
                await session.commit()  # closing without commit rolls back on error
                return result
        finally:
            await database.dispose()

    return asyncio.run(run())


def emit(result: BaseModel | list[BaseModel], *, as_json: bool, text: str) -> None:
    if as_json:
        if isinstance(result, list):
            payload: Any = {"items": [r.model_dump(mode="json") for r in result]}
        else:
            payload = result.model_dump(mode="json")
        typer.echo(json.dumps(payload))
    else:
        typer.echo(text)


def read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            fail("--password-stdin given but standard input was empty")
        return password
    if sys.stdin.isatty():
        prompted: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return prompted
    fail('no password: pipe it with --password-stdin (e.g. `printf %s "$PW" | ...`)')
