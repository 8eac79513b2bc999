"""The one `event-review` command. Every deployable target is an argument of it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets

import typer
import uvicorn
from fastapi import FastAPI

from event_review.central.admin.service import normalise_region_code
from event_review.central.auth.passwords import MIN_PASSWORD_LENGTH
from event_review.central.db import migrate as central_migrations
from event_review.cli_admin import regions_app, teams_app, users_app
from event_review.cli_regional import regional_app
from event_review.cli_support import (
    JsonOption,
    central_location,
    fail,
    friendly_errors,
    load_settings,
    regional_location,
)
from event_review.cli_workers import keys_app, register_worker_commands
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key, verification_keys
from event_review.runtime.migrations import Schema
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Environment
from event_review.targets import factory
from event_review.targets.demo import DemoSeed
from event_review.targets.registry import SERVE_TARGETS
from event_review.targets.up import UpOptions, prepare_databases, region_locations
from event_review.targets.up import run as run_up

app = typer.Typer(
    name="event-review",
    help="Event Review Platform: review edge-device events centrally; payloads stay regional.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(regions_app, name="regions")
app.add_typer(teams_app, name="teams")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(regional_app, name="regional")

_TARGET_HELP = "; ".join(f"{t.name}: {t.summary}" for t in SERVE_TARGETS.values())
RegionOption = typer.Option(None, "--region", help="Region code (regional targets).")


@app.command()
def migrate(
    region: str | None = typer.Option(
        None, "--region", help="Migrate this region's database instead of the central one."
    ),
    revision: str = typer.Option("head", help="Revision to upgrade to."),
) -> None:
    """Apply the schema migrations (safe to run repeatedly)."""
    settings = load_settings()
    logging.getLogger("alembic").setLevel(logging.INFO)
    with friendly_errors():
        if region:
            location = regional_location(settings, region.lower())
            REGIONAL_SCHEMA.upgrade(location, revision)
            typer.echo(f"regional database {location.database} is at {revision}")
        else:
            location = central_location(settings)
            central_migrations.upgrade(location, revision)
            typer.echo(f"central database {location.database} is at {revision}")


@app.command()
def serve(
    target: str = typer.Argument(..., help=_TARGET_HELP),
    region: str | None = RegionOption,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int | None = typer.Option(None, help="Port (default: the target's own)."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Worker processes (each a full copy of the target)."
    ),
) -> None:
    """Run one target as an HTTP server."""
    chosen = SERVE_TARGETS.get(target)
    if chosen is None:
        fail(f"unknown target {target!r}; choose one of: {', '.join(SERVE_TARGETS)}", exit_code=2)
    if chosen.side == "regional" and not region:
        fail(f"target {target} needs --region CODE", exit_code=2)
    settings = load_settings()
    with friendly_errors():
        settings.require_production_secrets(chosen.secrets)
        # Keys are read before any database work: a bad one stops the start, once.
        if chosen.calls_regions:
            signing_key(settings)
        if chosen.side == "regional":
            verification_keys(settings)
        location: ServerLocation | None
        if chosen.side == "static":
            location = None
        elif chosen.side == "regional":
            assert region is not None
            region = region.lower()
            location = regional_location(settings, region)
            asyncio.run(_check_schema(location, REGIONAL_SCHEMA))
        else:
            location = central_location(settings)
            asyncio.run(_check_schema(location, central_migrations.CENTRAL_SCHEMA))
    if workers > 1:
        # Workers import the app; what this process resolved goes to them by variable.
        os.environ[factory.TARGET_VARIABLE] = chosen.name
        os.environ[factory.REGION_VARIABLE] = region or ""
        if location is not None:
            os.environ[factory.DATABASE_VARIABLE] = location.url.render_as_string(
                hide_password=False
            )
        app_or_factory: FastAPI | str = "event_review.targets.factory:worker_app"
    else:
        with friendly_errors():
            app_or_factory = chosen.build(settings, location=location, region=region)
    uvicorn.run(
        app_or_factory,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port or chosen.default_port,
        log_config=None,  # keep the structured logging configured above
        proxy_headers=True,
        server_header=False,
        # Not uvloop: under it, anyio (httpx's transport) queues up to ~8 MB per
        # upstream read before it pauses the socket, so the payload proxy held
        # each 5 MB payload whole (+70 MB for 16 streams; the asyncio loop reads
        # 256 KB at a time). tests/test_payload_streaming.py guards this.
        loop="asyncio",
        http="httptools",
    )


async def _check_schema(location: ServerLocation, schema: Schema) -> None:
    database = Database.connect(location, application_name="event-review-check", pool_size=1)
    try:
        async with database.sessionmaker() as session:
            await schema.ensure_at_head(await session.connection())
    finally:
        await database.dispose()


@app.command()
def up(
    port: int = typer.Option(
        8000, help="Central port; regional APIs listen on the ports after it."
    ),
    regions: str = typer.Option("us,ca,apac,eu", help="Comma-separated region codes."),
    demo_password: str | None = typer.Option(
        None, "--demo-password", help="Password of every demo user (default: random, printed)."
    ),
    reset: bool = typer.Option(False, "--reset", help="Start from empty databases."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
) -> None:
    """Run the whole multi-region platform on this machine, with demo data (development)."""
    codes = [c.strip().lower() for c in regions.split(",") if c.strip()]
    if not codes:
        fail("--regions needs at least one region code", exit_code=2)
    password = demo_password or secrets.token_urlsafe(9)
    if len(password) < MIN_PASSWORD_LENGTH:
        fail(f"--demo-password needs at least {MIN_PASSWORD_LENGTH} characters", exit_code=2)
    settings = load_settings(default_format="console").model_copy(
        update={"environment": Environment.DEVELOPMENT}
    )
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    with friendly_errors():
        for code in codes:
            normalise_region_code(code)
        options = UpOptions(
            port=port, regions=codes, demo_password=password, reset=reset, host=host
        )
        central = central_location(settings)
        regional = region_locations(central, codes)
        typer.echo("preparing databases …")
        prepare_databases(central, regional, reset=reset)

        def announce(seeded: DemoSeed) -> None:
            lines = [
                "",
                f"Event Review Platform is up (development mode): http://{host}:{port}",
                f"  API docs        http://{host}:{port}/docs",
            ]
            for region in seeded.regions:
                lines.append(f"  region {region.code:<8} {region.api_url}  (regional API)")
            lines.append(f"  demo logins (password: {password}):")
            for username, what in seeded.users.items():
                lines.append(f"    {username:<16} {what}")
            lines.append("Ctrl-C stops everything.")
            typer.echo("\n".join(lines))

        try:
            asyncio.run(run_up(settings, options, central, regional, announce))
        except KeyboardInterrupt:
            pass
    typer.echo("stopped")


@app.command()
def version(as_json: bool = JsonOption) -> None:
    """Print the version."""
    from event_review import __version__

    typer.echo(json.dumps({"version": __version__}) if as_json else __version__)


register_worker_commands(app)


def main() -> None:
    app()
