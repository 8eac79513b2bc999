"""Commands a regional operator runs against the region's own database."""

from __future__ import annotations

import json

import typer

from event_review.cli_support import (
    JsonOption,
    fail,
    friendly_errors,
    load_settings,
    regional_location,
)
from event_review.cli_workers import run_on
from event_review.regional.api import repository
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.database import Database

regional_app = typer.Typer(help="Look into a region's own database (run inside the region).")


@regional_app.command("show")
def show(
    external_event_id: str = typer.Argument(..., help="The region's id of the event."),
    region: str = typer.Option(..., "--region", help="Region code."),
    as_json: bool = JsonOption,
) -> None:
    """Show a regional event's review outcome as the region recorded it (not its payload)."""
    settings = load_settings()
    region = region.lower()

    async def load(db: Database) -> dict[str, object] | None:
        async with db.sessionmaker() as session:
            event = await repository.get_event(session, external_event_id)
            if event is None:
                return None
            return {
                "external_event_id": event.external_event_id,
                "event_type": event.event_type,
                "occurred_at": event.occurred_at.isoformat(),
                "review_decision": event.review_decision,
                "review_rating": event.review_rating,
                "review_comment": event.review_comment,
                "reviewed_by": event.reviewed_by,
                "reviewed_at": event.reviewed_at.isoformat() if event.reviewed_at else None,
                "review_recorded_at": (
                    event.review_recorded_at.isoformat() if event.review_recorded_at else None
                ),
            }

    with friendly_errors(as_json):
        found = run_on(
            regional_location(settings, region, create=False),
            REGIONAL_SCHEMA,
            f"show-{region}",
            load,
        )
    if found is None:
        fail(
            f"no event {external_event_id!r} in region {region}", as_json=as_json, code="not_found"
        )
    if as_json:
        typer.echo(json.dumps(found))
    else:
        typer.echo(
            "\n".join(
                f"{key:<20} {value if value is not None else '-'}" for key, value in found.items()
            )
        )
