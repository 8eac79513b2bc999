"""The commands that start a process of the registry: serve, the loops, the jobs, and up."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable

import typer

from event_review.cli.support import JsonOption, fail, friendly_errors, load_settings
from event_review.runtime.errors import ApiError
from event_review.settings import Environment
from event_review.targets import launch, operator
from event_review.targets import up as platform
from event_review.targets.demo import DemoSeed
from event_review.targets.registry import JOBS, LOOPS, SERVERS, Loop, Server

RegionOption = typer.Option(None, "--region", help="Region code (regional processes).")
MetricsPortOption = typer.Option(
    None,
    "--metrics-port",
    help="Serve /healthz, /readyz (probes) and /metrics on this port (0.0.0.0).",
)
_SERVER_HELP = "; ".join(f"{s.name}: {s.summary}" for s in SERVERS.values())


def _region(code: str | None, *, required: bool, process: str) -> str | None:
    if code is None:
        if required:
            fail(f"{process} needs --region CODE", exit_code=2)
        return None
    try:
        return operator.region_code(code)
    except ValueError as exc:
        fail(str(exc), exit_code=2)


def serve(
    target: str = typer.Argument(..., help=_SERVER_HELP),
    region: str | None = RegionOption,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int | None = typer.Option(None, help="Port (default: the target's own)."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Worker processes (each a full copy of the target)."
    ),
) -> None:
    """Run one target as an HTTP server."""
    server: Server | None = SERVERS.get(target)
    if server is None:
        fail(f"unknown target {target!r}; choose one of: {', '.join(SERVERS)}", exit_code=2)
    code = _region(region, required=server.per_region, process=f"target {target}")
    settings = load_settings()
    with friendly_errors():
        launch.serve(settings, server, region=code, host=host, port=port, workers=workers)


def _central_loop(loop: Loop) -> Callable[..., None]:
    """The command of a central loop: every one starts the same way, from its entry."""

    def command(metrics_port: int | None = MetricsPortOption) -> None:
        settings = load_settings()
        with friendly_errors():
            launch.run_loop(settings, loop, region=None, status_port=metrics_port)

    command.__name__ = loop.name
    command.__doc__ = f"Run until stopped (a worker): {loop.summary}."
    return command


CENTRAL_LOOPS = tuple(_central_loop(loop) for loop in LOOPS.values() if not loop.per_region)


def forwarder(
    region: str = typer.Option(..., "--region", help="The region whose events to forward."),
    metrics_port: int | None = MetricsPortOption,
) -> None:
    """Send new regional events' metadata to the central ingestor until stopped."""
    code = _region(region, required=True, process="forwarder")
    settings = load_settings()
    with friendly_errors():
        launch.run_loop(settings, LOOPS["forwarder"], region=code, status_port=metrics_port)


def migrate(
    region: str | None = typer.Option(
        None, "--region", help="Migrate this region's database instead of the central one."
    ),
    revision: str = typer.Option("head", help="Revision to upgrade to."),
) -> None:
    """Apply the schema migrations (safe to run repeatedly)."""
    code = _region(region, required=False, process="migrate")
    settings = load_settings()
    logging.getLogger("alembic").setLevel(logging.INFO)
    with friendly_errors():
        database = launch.run_job(settings, JOBS["migrate"], region=code, revision=revision)
    side = "regional" if code else "central"
    typer.echo(f"{side} database {database} is at {revision}")


def requeue(as_json: bool = JsonOption) -> None:
    """Put expired or orphaned assignments back in the queue, once (for a CronJob)."""
    settings = load_settings()
    with friendly_errors(as_json):
        count = launch.run_job(settings, JOBS["requeue"])
    typer.echo(json.dumps({"requeued": count}) if as_json else f"re-queued {count} event(s)")


def purge(as_json: bool = JsonOption) -> None:
    """Delete completed events per their region's retention policy, once."""
    settings = load_settings()
    with friendly_errors(as_json):
        counts = launch.run_job(settings, JOBS["purge"])
    total = sum(counts.values())
    if as_json:
        typer.echo(json.dumps({"purged": total, "by_region": counts}))
    else:
        typer.echo(f"purged {total} completed event(s)" + (f": {counts}" if counts else ""))


def simulate(
    region: str = typer.Option(..., "--region", help="The region to write events into."),
    events: int = typer.Option(100, "--events", min=1, help="How many events to write."),
    rate: float | None = typer.Option(
        None, "--rate", min=0.01, help="Events per second (default: as fast as possible)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed, for repeatable data."),
    as_json: bool = JsonOption,
) -> None:
    """Write realistic edge-device events into a region's database (a stand-in device fleet)."""
    code = _region(region, required=True, process="simulate")
    settings = load_settings()
    with friendly_errors(as_json):
        written = launch.run_job(
            settings, JOBS["simulate"], region=code, events=events, rate=rate, seed=seed
        )
    if as_json:
        typer.echo(json.dumps({"region": code, "events": written}))
    else:
        typer.echo(f"wrote {written} event(s) into region {code}")


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
    codes = [_region(c, required=True, process="up") or "" for c in regions.split(",") if c.strip()]
    if not codes:
        fail("--regions needs at least one region code", exit_code=2)
    password = demo_password or secrets.token_urlsafe(9)
    settings = load_settings(default_format="console").model_copy(
        update={"environment": Environment.DEVELOPMENT}
    )
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    try:
        operator.check_new_password(password)
    except ApiError as exc:  # the domain's own wording, as a usage error
        fail(f"--demo-password: {exc.message}", exit_code=2)
    with friendly_errors():
        options = platform.UpOptions(
            port=port, regions=codes, demo_password=password, reset=reset, host=host
        )
        typer.echo("preparing databases …")

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

        platform.start(settings, options, announce)
    typer.echo("stopped")


def version(as_json: bool = JsonOption) -> None:
    """Print the version."""
    from event_review import __version__

    typer.echo(json.dumps({"version": __version__}) if as_json else __version__)


COMMANDS: tuple[Callable[..., None], ...] = (
    migrate,
    serve,
    up,
    requeue,
    purge,
    *CENTRAL_LOOPS,
    forwarder,
    simulate,
    version,
)
