"""`event-review queue-rules`: priorities, ageing and SLAs kept as a file, applied here."""

from __future__ import annotations

import json

import typer
import yaml

from event_review.cli.support import (
    JsonOption,
    emit,
    fail,
    friendly_errors,
    load_settings,
    read_yaml,
)
from event_review.targets import operator
from event_review.targets.lifecycle import in_transaction

queue_rules_app = typer.Typer(help="Queue rules: priority at ingest, ageing, SLAs.")
NAME = "admin"


@queue_rules_app.command("apply")
def queue_rules_apply(
    path: str = typer.Argument(..., help="The rules file (YAML or JSON); - for standard input."),
    as_json: bool = JsonOption,
) -> None:
    """Put the file's rules in force, replacing the rules before. New priorities apply to
    events arriving from now on; a changed ageing re-ranks the events waiting now."""
    document = read_yaml(path, as_json=as_json)
    try:
        rules = operator.queue_rules_file(document)
    except ValueError as exc:
        fail(f"{path} is not a valid queue rules file:\n{exc}", as_json=as_json,
             code="invalid_queue_rules")  # fmt: skip
    settings = load_settings()
    with friendly_errors(as_json):
        applied = in_transaction(
            settings, lambda s: operator.apply_queue_rules(s, rules), name=NAME
        )
    text = f"queue rules: version {applied.version}"
    if not applied.changed:
        text += " (unchanged)"
    elif applied.reranked:
        text += f"; {applied.reranked} waiting events re-ranked for the new ageing"
    emit(applied, as_json=as_json, text=text)


@queue_rules_app.command("show")
def queue_rules_show(as_json: bool = JsonOption) -> None:
    """The rules in force, as YAML (the file format) or, with --json, as the API shows them."""
    settings = load_settings()
    with friendly_errors(as_json):
        found = in_transaction(settings, operator.show_queue_rules, name=NAME, read_only=True)
    if as_json:
        typer.echo(json.dumps(found.model_dump(mode="json")))
        return
    if found.version == 0:
        typer.echo("# no queue rules applied: the forwarders' priorities, no ageing, no SLAs")
        return
    typer.echo(f"# version {found.version}, applied {found.applied_at:%Y-%m-%d %H:%M} "
               f"by {found.applied_by}")  # fmt: skip
    typer.echo(yaml.safe_dump(found.rules, sort_keys=False, allow_unicode=True), nl=False)
