"""The registry is the one list of processes: the README's command table and the
command line are kept in step with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from event_review.cli import app
from event_review.targets.registry import BY_NAME, PROCESSES, Kind, Server

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(
    r"^\| `(?P<name>[a-z-]+)` \| (?P<kind>\w+) \| (?P<side>\w+) "
    r"\| `(?P<command>[^`]+)` \| (?P<what>.+) \|$"
)


def _command_table() -> dict[str, dict[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The command", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows[match["name"]] = match.groupdict()
    return rows


def test_readme_lists_every_process_and_nothing_else() -> None:
    assert set(_command_table()) == {process.name for process in PROCESSES}


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_readme_row_says_what_the_registry_says(name: str) -> None:
    entry = BY_NAME[name]
    row = _command_table()[name]
    assert row["kind"] == entry.kind.value
    assert row["side"] == entry.side.value
    words = row["command"].split()
    if entry.kind is Kind.SERVER:
        assert words[:2] == ["serve", name]
        assert f"port {entry.default_port}" in row["what"]
    else:
        assert words[0] == name
    if entry.per_region:
        assert "--region CODE" in row["command"]
    elif entry.kind is Kind.LOOP:
        assert "--region" not in row["command"]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_readme_command_is_the_command_lines(name: str) -> None:
    """Each process is a command (a server is `serve`'s target), and every option the
    README shows for it is one of that command's options."""
    entry = BY_NAME[name]
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    command = commands["serve" if isinstance(entry, Server) else name]
    options = {option for param in command.params for option in param.opts}
    shown = set(re.findall(r"--[a-z-]+", _command_table()[name]["command"]))
    assert shown <= options, f"README shows {sorted(shown - options)} for {name}"
