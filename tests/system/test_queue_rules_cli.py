"""`event-review queue-rules` and the `sla` process, as an operator runs them."""

from __future__ import annotations

import time
from pathlib import Path

import asyncpg
import httpx
import yaml

from event_review.runtime.postgres import ServerLocation
from tests.fixtures.cli import cli_env, run_all, run_ok
from tests.fixtures.databases import fetch
from tests.fixtures.processes import free_port, process_group

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "queue-rules.yaml"
COLLISIONS = '{measure="oldest_pending",sla="collisions"}'


async def test_apply_then_show_gives_back_the_file_and_a_rerun_changes_nothing(
    fresh_db: ServerLocation,
) -> None:
    first = run_ok(fresh_db, "queue-rules", "apply", str(EXAMPLE), "--json")
    again, shown, as_json = run_all(
        fresh_db,
        ("queue-rules", "apply", str(EXAMPLE)),
        ("queue-rules", "show"),
        ("queue-rules", "show", "--json"),
    )

    assert first.json() == {"version": 1, "changed": True, "reranked": 0}
    assert again.stdout.strip() == "queue rules: version 1 (unchanged)"
    assert shown.stdout.startswith("# version 1, applied ")
    assert yaml.safe_load(shown.stdout) == as_json.json()["rules"]
    assert yaml.safe_load(shown.stdout)["ageing"] == {"every": "6m"}
    audited = await fetch(
        fresh_db, "SELECT actor_type FROM audit_log WHERE action = 'queue_rules.applied'"
    )
    assert [row["actor_type"] for row in audited] == ["operator"]


async def test_a_bad_file_is_refused_naming_each_problem(
    fresh_db: ServerLocation, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        yaml.safe_dump(
            {
                "ageing": {"every": "soon"},
                "priorities": [{"name": "x", "when": {"colour": "red"}, "priority": 1}],
            }
        ),
        encoding="utf-8",
    )
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(
        yaml.safe_dump({"slas": [{"name": "s", "when": {"region": "mars"},
                                  "oldest_pending": "1h"}]}),
        encoding="utf-8",
    )  # fmt: skip

    refused, as_json, missing_region, shown = run_all(
        fresh_db,
        ("queue-rules", "apply", str(broken)),
        ("queue-rules", "apply", str(broken), "--json"),
        ("queue-rules", "apply", str(unknown)),
        ("queue-rules", "show"),
    )

    assert refused.returncode == 1
    assert "is not a valid queue rules file" in refused.stderr
    assert "ageing.every: 'soon' is not a duration" in refused.stderr
    assert "priorities.0.when: unknown condition 'colour'" in refused.stderr
    assert as_json.json()["error"]["code"] == "invalid_queue_rules"
    assert missing_region.returncode == 1
    assert "not registered: mars" in missing_region.stderr
    assert shown.stdout.startswith("# no queue rules applied")


async def test_the_sla_process_publishes_a_breach_to_prometheus(
    fresh_db: ServerLocation, tmp_path: Path
) -> None:
    run_ok(fresh_db, "queue-rules", "apply", str(EXAMPLE))
    connection = await asyncpg.connect(fresh_db.asyncpg_dsn())
    try:
        await connection.execute(
            "INSERT INTO regions (code, api_url) VALUES ('eu', 'http://127.0.0.1:9/eu')"
        )
        await connection.execute(
            "INSERT INTO events (external_event_id, region_code, event_type, occurred_at, "
            "created_at) VALUES ('late', 'eu', 'collision', now(), now() - interval '2 hours')"
        )
    finally:
        await connection.close()
    port = free_port()
    env = cli_env(
        fresh_db,
        {"EVENT_REVIEW_DATA_DIR": str(tmp_path), "EVENT_REVIEW_SLA_INTERVAL_SECONDS": "0.2"},
    )

    with process_group(tmp_path / "logs") as group:
        monitor = group.start("sla", "sla", "--metrics-port", str(port), env=env, port=port)
        monitor.wait_ready(timeout=30)
        with monitor.client() as http:
            metrics = _wait_for(http, f"event_review_sla_breached{COLLISIONS} 1.0")
        code = monitor.stop(timeout=15)

    assert 'event_review_sla_breached{measure="oldest_pending",sla="everything"} 0.0' in metrics
    assert f"event_review_sla_target_seconds{COLLISIONS} 1800.0" in metrics
    assert code == 0, monitor.describe()
    opened = await fetch(fresh_db, "SELECT sla, measure FROM sla_breaches WHERE closed_at IS NULL")
    assert [(r["sla"], r["measure"]) for r in opened] == [("collisions", "oldest_pending")]


def _wait_for(http: httpx.Client, line: str, attempts: int = 100) -> str:
    text = ""
    for _ in range(attempts):
        text = http.get("/metrics").text
        if line in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"{line!r} never appeared in:\n{text}")
