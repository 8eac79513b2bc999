"""The one `event-review` command. Every deployable target is an argument of it."""

from __future__ import annotations

import asyncio
import json
import logging

import typer
import uvicorn

from event_review.central.db import migrate as migrations
from event_review.central.db.engine import Database
from event_review.central.db.migrate import ensure_at_head
from event_review.central.requeue.service import requeue_stale
from event_review.cli_admin import regions_app, teams_app, users_app
from event_review.cli_support import (
    JsonOption,
    central_location,
    fail,
    friendly_errors,
    load_settings,
)
from event_review.runtime.postgres import ServerLocation
from event_review.targets.registry import SERVE_TARGETS

app = typer.Typer(
    name="event-review",
    help="Event Review Platform: review edge-device events centrally; payloads stay regional.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(regions_app, name="regions")
app.add_typer(teams_app, name="teams")
app.add_typer(users_app, name="users")

_TARGET_HELP = "; ".join(f"{t.name}: {t.summary}" for t in SERVE_TARGETS.values())


@app.command()
def migrate(
    revision: str = typer.Option("head", help="Revision to upgrade to."),
) -> None:
    """Apply the central schema migrations (safe to run repeatedly)."""
    settings = load_settings()
    logging.getLogger("alembic").setLevel(logging.INFO)
    with friendly_errors():
        location = central_location(settings)
        migrations.upgrade(location, revision)
    typer.echo(f"central database {location.database} is at {revision}")


@app.command()
def serve(
    target: str = typer.Argument(..., help=_TARGET_HELP),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int | None = typer.Option(None, help="Port (default: the target's own)."),
) -> None:
    """Run one central target as an HTTP server."""
    chosen = SERVE_TARGETS.get(target)
    if chosen is None:
        fail(f"unknown target {target!r}; choose one of: {', '.join(SERVE_TARGETS)}", exit_code=2)
    settings = load_settings()
    with friendly_errors():
        settings.require_production_secrets()
        location = central_location(settings)
        asyncio.run(_check_schema(location))
    application = chosen.build(settings, location=location)
    uvicorn.run(
        application,
        host=host,
        port=port or chosen.default_port,
        log_config=None,  # keep the structured logging configured above
        proxy_headers=True,
        server_header=False,
    )


async def _check_schema(location: ServerLocation) -> None:
    database = Database.connect(location, application_name="event-review-check", pool_size=1)
    try:
        async with database.engine.connect() as conn:  # type: ignore[union-attr]
            await ensure_at_head(conn)
    finally:
        await database.dispose()


@app.command()
def requeue(as_json: bool = JsonOption) -> None:
    """Put expired or orphaned assignments back in the queue, once (for a CronJob)."""
    settings = load_settings()

    async def run(location: ServerLocation) -> int:
        database = Database.connect(location, application_name="event-review-requeue", pool_size=1)
        try:
            async with database.sessionmaker() as session:
                await ensure_at_head(await session.connection())
            return await requeue_stale(
                database.sessionmaker, chunk=settings.requeue_chunk_size, actor="requeue-command"
            )
        finally:
            await database.dispose()

    with friendly_errors(as_json):
        count = asyncio.run(run(central_location(settings)))
    typer.echo(json.dumps({"requeued": count}) if as_json else f"re-queued {count} event(s)")


def main() -> None:
    app()
