"""Session fixtures for the deployment tests: every variant rendered once, checkov run once."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.helpers import (
    CHECKOV_CONFIG,
    REPO,
    Doc,
    Variant,
    find_tool,
    load_docs,
    pgbouncer_variant,
    render,
    run_tool,
    variants,
)


@dataclass(frozen=True)
class Rendered:
    variant: Variant
    text: str
    docs: list[Doc]
    path: Path  # the rendered YAML on disk

    def of_kind(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d["kind"] == kind]

    def named(self, kind: str, name: str) -> Doc:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.variant.name}: {len(found)} {kind} named {name}"
        return found[0]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every variant's `kubectl kustomize` output, by variant name."""
    scratch = tmp_path_factory.mktemp("kustomize")
    out = tmp_path_factory.mktemp("rendered")
    result = {}
    for variant in [*variants(), pgbouncer_variant()]:
        text = render(variant, scratch)
        path = out / f"{variant.name}.yaml"
        path.write_text(text)
        result[variant.name] = Rendered(variant, text, load_docs(text), path)
    return result


@pytest.fixture(scope="session")
def checkov_report(
    rendered: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One checkov run over every rendered variant and the Dockerfile: framework -> report."""
    checkov = find_tool(
        "checkov",
        "pip install checkov, best into a virtualenv of its own whose bin/ is on PATH "
        "(checkov pins packaging<24, which the project's build backend cannot use)",
    )
    scan = tmp_path_factory.mktemp("checkov")
    for item in rendered.values():
        shutil.copy(item.path, scan / item.path.name)
    shutil.copy(REPO / "Dockerfile", scan / "Dockerfile")
    result = run_tool(
        checkov,
        "--config-file", str(CHECKOV_CONFIG),
        "--skip-download",
        "--directory", str(scan),
        "--output", "json",
    )  # fmt: skip
    # Exit 1 means "failed checks" (the tests report them); anything else is a crash.
    assert result.returncode in (0, 1), f"checkov crashed:\n{result.stderr[-3000:]}"
    parsed = json.loads(result.stdout)
    reports = parsed if isinstance(parsed, list) else [parsed]
    return {report["check_type"]: report for report in reports}
