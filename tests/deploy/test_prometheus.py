"""The shipped alert rules: valid, unit-tested with promtool, and about metrics that exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.deploy.helpers import DEPLOY, find_tool, run_tool
from tests.deploy.test_grafana import exported_sample_names

RULES = DEPLOY / "prometheus" / "alerts.yaml"
UNIT_TESTS = Path(__file__).parent / "alerts_test.yaml"
PROMTOOL = "apt-get install prometheus (it brings promtool)"


def test_the_rules_are_valid() -> None:
    promtool = find_tool("promtool", PROMTOOL)
    result = run_tool(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_fire_when_they_should_and_only_then() -> None:
    """promtool's unit tests: a stalled loop, a failing loop, parked write-backs."""
    promtool = find_tool("promtool", PROMTOOL)
    result = run_tool(promtool, "test", "rules", str(UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", UNIT_TESTS.read_text()))
    defined = {
        rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    }  # fmt: skip
    assert tested == defined, "every alert has a unit test"


def test_every_rule_reads_an_exported_metric() -> None:
    used = set(re.findall(r"event_review_[a-z_]+", RULES.read_text()))
    assert {"event_review_loop_last_success_timestamp_seconds"} <= used
    assert sorted(used - exported_sample_names()) == []
