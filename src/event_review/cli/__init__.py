"""The one `event-review` command. Every process of the registry is one of its commands."""

from __future__ import annotations

import typer

from event_review.cli.admin import SUB_APPS
from event_review.cli.forms import forms_app
from event_review.cli.processes import COMMANDS
from event_review.cli.queue_rules import queue_rules_app

app = typer.Typer(
    name="event-review",
    help="Event Review Platform: review edge-device events centrally; payloads stay regional.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for command in COMMANDS:
    app.command()(command)
for name, sub_app in {**SUB_APPS, "forms": forms_app, "queue-rules": queue_rules_app}.items():
    app.add_typer(sub_app, name=name)


def main() -> None:
    app()
