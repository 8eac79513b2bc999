"""The Grafana dashboard charts only metrics the platform really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import event_review.central.metrics
import event_review.regional.forwarder.metrics
import event_review.runtime.loops
import event_review.runtime.observability  # noqa: F401  and HTTP latency

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "event-review.json"
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
}


def exported_sample_names() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def test_every_panel_queries_an_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exported = exported_sample_names()
    used = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used |= set(re.findall(r"event_review_[a-z_]+", target["expr"]))
    assert used, "the dashboard queries no metric"
    assert sorted(used - exported) == []


def test_the_dashboard_covers_what_operators_watch() -> None:
    titles = {p["title"] for p in json.loads(DASHBOARD.read_text())["panels"]}
    for needed in (
        "Oldest pending event",
        "Claim latency",
        "Write-back lag (p95)",
        "Since a worker loop last succeeded",
    ):
        assert needed in titles
