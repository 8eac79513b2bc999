"""`event-review forms`: apply a file kept in version control, list and show what is in force."""

from __future__ import annotations

from pathlib import Path

import yaml

from event_review.runtime.postgres import ServerLocation
from tests.fixtures.cli import run_all, run_cli, run_ok
from tests.fixtures.databases import fetch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "forms.yaml"


async def test_apply_versions_only_what_changed_and_list_and_show_say_so(
    fresh_db: ServerLocation, tmp_path: Path
) -> None:
    first = run_ok(fresh_db, "forms", "apply", str(EXAMPLE), "--json")
    again = run_ok(fresh_db, "forms", "apply", str(EXAMPLE))
    edited = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    edited["forms"][1]["title"] = "Sensor fault triage (v2)"
    path = tmp_path / "forms.yaml"
    path.write_text(yaml.safe_dump(edited), encoding="utf-8")
    changed = run_ok(fresh_db, "forms", "apply", str(path))

    assert [(f["key"], f["version"], f["changed"]) for f in first.json()["items"]] == [
        ("collision", 1, True), ("sensor_fault", 1, True),
    ]  # fmt: skip
    assert again.stdout.splitlines() == [
        "collision: version 1 (unchanged)",
        "sensor_fault: version 1 (unchanged)",
    ]
    assert changed.stdout.splitlines() == [
        "collision: version 1 (unchanged)",
        "sensor_fault: version 2",
    ]
    listed, shown, old = run_all(
        fresh_db,
        ("forms", "list"),
        ("forms", "show", "sensor_fault"),
        ("forms", "show", "sensor_fault", "--version", "1", "--json"),
    )
    assert "sensor_fault             2        lane_departure in eu" in listed.stdout, listed.stdout
    assert "default                  1        every event no other form takes" in listed.stdout
    assert shown.stdout.startswith("# sensor_fault version 2, applied ")
    round_trip = yaml.safe_load(shown.stdout)
    assert round_trip["forms"][0]["title"] == "Sensor fault triage (v2)"
    assert old.json()["title"] == "Sensor fault triage"
    audited = await fetch(
        fresh_db, "SELECT actor_type, details FROM audit_log WHERE action = 'form.applied'"
    )
    assert len(audited) == 3
    assert {row["actor_type"] for row in audited} == {"operator"}


async def test_a_broken_file_is_refused_with_every_problem_and_nothing_applied(
    fresh_db: ServerLocation, tmp_path: Path
) -> None:
    broken = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    broken["forms"][0]["decisions"][0]["hotkey"] = "j"
    broken["forms"][1]["fields"][0]["kind"] = "colour"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    not_yaml = tmp_path / "not.yaml"
    not_yaml.write_text("forms: [\n", encoding="utf-8")

    refused, unparsable, missing, as_json = run_all(
        fresh_db,
        ("forms", "apply", str(path)),
        ("forms", "apply", str(not_yaml)),
        ("forms", "apply", str(tmp_path / "absent.yaml")),
        ("forms", "apply", str(path), "--json"),
    )

    assert refused.returncode == 1
    assert "is not a valid form file" in refused.stderr
    assert "forms.0: hotkeys ['j'] belong to the review screen" in refused.stderr
    assert "forms.1.fields.0.kind:" in refused.stderr
    assert unparsable.returncode == 1
    assert "is not valid YAML" in unparsable.stderr
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr
    assert as_json.json()["error"]["code"] == "invalid_form_file"
    forms = await fetch(fresh_db, "SELECT form_key FROM review_forms")
    assert [row["form_key"] for row in forms] == ["default"]


async def test_apply_reads_standard_input(fresh_db: ServerLocation) -> None:
    result = run_cli(fresh_db, "forms", "apply", "-", stdin=EXAMPLE.read_text(encoding="utf-8"))
    assert result.returncode == 0, str(result)
    assert "collision: version 1" in result.stdout
