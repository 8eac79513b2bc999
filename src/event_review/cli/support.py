"""What every command shares: settings, and how results and errors print."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError

from event_review.runtime.errors import ApiError, sqlstate_of
from event_review.runtime.logging import configure_logging
from event_review.runtime.migrations import SchemaNotReadyError
from event_review.runtime.postgres import DatabaseConfigError
from event_review.settings import InsecureSettingsError, Settings
from event_review.targets.lifecycle import Stopped

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
    except Stopped:
        raise typer.Exit(0) from None
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


def emit(result: BaseModel | Sequence[BaseModel], *, as_json: bool, text: str) -> None:
    if as_json:
        if isinstance(result, BaseModel):
            payload: Any = result.model_dump(mode="json")
        else:
            payload = {"items": [r.model_dump(mode="json") for r in result]}
        typer.echo(json.dumps(payload))
    else:
        typer.echo(text)


def read_yaml(path: str, *, as_json: bool = False) -> Any:
    """A YAML (or JSON) file's document, `-` for standard input; a clear error otherwise."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", as_json=as_json, code="unreadable_file")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        fail(f"{path} is not valid YAML: {exc}", as_json=as_json, code="invalid_yaml")


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
