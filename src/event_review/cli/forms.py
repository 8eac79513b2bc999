"""`event-review forms`: review forms kept as files in version control, applied here."""

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

forms_app = typer.Typer(help="Review forms: decisions, ratings, reason codes, fields, guidelines.")
NAME = "admin"


def read_form_file(path: str, *, as_json: bool = False) -> operator.FormFile:
    """The forms of a YAML (or JSON) file, `-` for standard input; a clear error otherwise."""
    document = read_yaml(path, as_json=as_json)
    try:
        return operator.form_file(document)
    except ValueError as exc:
        fail(f"{path} is not a valid form file:\n{exc}", as_json=as_json, code="invalid_form_file")


@forms_app.command("apply")
def forms_apply(
    path: str = typer.Argument(..., help="The form file (YAML or JSON); - for standard input."),
    as_json: bool = JsonOption,
) -> None:
    """Make each form of the file current: a changed form gets a new version; reviews
    keep the version they were made with. Forms not in the file stay as they are."""
    document = read_form_file(path, as_json=as_json)
    settings = load_settings()
    with friendly_errors(as_json):
        applied = in_transaction(settings, lambda s: operator.apply_forms(s, document), name=NAME)
    lines = [
        f"{a.key}: version {a.version}" + ("" if a.changed else " (unchanged)") for a in applied
    ]
    emit(applied, as_json=as_json, text="\n".join(lines))


@forms_app.command("list")
def forms_list(as_json: bool = JsonOption) -> None:
    """The current version of every form, and which events it applies to."""
    settings = load_settings()
    with friendly_errors(as_json):
        found = in_transaction(settings, operator.list_forms, name=NAME, read_only=True)
    lines = [f"{'FORM':<24} {'VERSION':<8} APPLIES TO"]
    for form in found:
        scope = "every event no other form takes"
        if form.applies_to is not None:
            scope = ", ".join(form.applies_to.event_types)
            if form.applies_to.regions:
                scope += f" in {', '.join(form.applies_to.regions)}"
        lines.append(f"{form.key:<24} {form.version:<8} {scope}")
    emit(list(found), as_json=as_json, text="\n".join(lines))


@forms_app.command("show")
def forms_show(
    key: str = typer.Argument(..., help="The form's key."),
    version: int | None = typer.Option(None, "--version", min=1, help="Default: the current."),
    as_json: bool = JsonOption,
) -> None:
    """One form version, as YAML (the file format) or, with --json, as the API shows it."""
    settings = load_settings()
    with friendly_errors(as_json):
        form = in_transaction(
            settings, lambda s: operator.show_form(s, key, version), name=NAME, read_only=True
        )
    definition = form.definition.model_dump(mode="json", exclude_defaults=True)
    if as_json:
        typer.echo(json.dumps(form.model_dump(mode="json")))
    else:
        typer.echo(f"# {form.key} version {form.version}, applied {form.created_at:%Y-%m-%d %H:%M} "
                   f"by {form.created_by}")  # fmt: skip
        typer.echo(yaml.safe_dump({"forms": [definition]}, sort_keys=False, allow_unicode=True))
