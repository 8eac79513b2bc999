"""The PgBouncer component (deploy/k8s/central/components/pgbouncer): every
central Deployment on the database goes through it with the pooler setting
on and keeps a direct URL, PgBouncer is hardened and reachable exactly by its
clients, and its shipped pgbouncer.ini runs on a real PgBouncer (Debian's
package) in front of the test server, taking SCRAM logins and pooling."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Pooler, Settings
from event_review.targets.registry import SERVERS
from tests.deploy.conftest import Rendered
from tests.deploy.helpers import PGBOUNCER, Doc, find_tool, pgbouncer_variant, pod_spec, run_tool
from tests.fixtures.databases import empty_database
from tests.fixtures.pgbouncer import running_pgbouncer, server_address
from tests.fixtures.processes import LOOPBACK

SECRET = "event-review-central"
PORT = 6432
CLIENTS = 40  # more than the shipped pool_size + reserve_pool_size


@pytest.fixture(scope="module")
def pooled(rendered: dict[str, Rendered]) -> Rendered:
    return rendered[pgbouncer_variant().name]


def env_refs(doc: Doc) -> dict[str, tuple[str, str]]:
    """env name -> (Secret, key) of the one container's secretKeyRefs."""
    spec = pod_spec(doc)
    assert spec is not None
    (one,) = spec["containers"]
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in one.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def process_of(doc: Doc) -> str:
    spec = pod_spec(doc)
    assert spec is not None
    args = spec["containers"][0]["args"]
    return str(args[1] if args[0] == "serve" else args[0])


def test_it_validates_strictly(pooled: Rendered) -> None:
    validate = find_tool("kubernetes-validate", "pip install kubernetes-validate")
    result = run_tool(validate, "--strict", "-", stdin=pooled.text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout + result.stderr


def test_every_deployment_on_the_database_goes_through_pgbouncer(pooled: Rendered) -> None:
    (config,) = [c for c in pooled.of_kind("ConfigMap") if "EVENT_REVIEW_ENVIRONMENT" in c["data"]]
    settings = Settings.model_validate(
        {k.removeprefix("EVENT_REVIEW_").lower(): v for k, v in config["data"].items()}
    )
    assert settings.database_pooler is Pooler.TRANSACTION
    through = set()
    for doc in pooled.of_kind("Deployment"):
        name = doc["metadata"]["name"]
        refs = env_refs(doc)
        if name == "pgbouncer" or "DATABASE_URL" not in refs:
            continue
        # The pooled URL as DATABASE_URL, the server's own beside it.
        assert refs["DATABASE_URL"] == (SECRET, "DATABASE_POOLED_URL"), name
        assert refs["DATABASE_DIRECT_URL"] == (SECRET, "DATABASE_URL"), name
        through.add(process_of(doc))
    assert through == {"exporter", "ingestor", "review", "sla", "webhooks", "writeback"}
    # Whatever needs a session of its own has the direct URL (the registry says which).
    assert SERVERS["review"].needs_session(settings) is not None
    # The migration Job and the CronJobs stay on the server itself.
    for kind in ("Job", "CronJob"):
        for doc in pooled.of_kind(kind):
            assert env_refs(doc)["DATABASE_URL"] == (SECRET, "DATABASE_URL"), doc["metadata"]
            assert "DATABASE_DIRECT_URL" not in env_refs(doc)
            assert process_of(doc) in ("migrate", "requeue", "purge")


def test_pgbouncer_is_hardened_and_reached_only_by_database_clients(pooled: Rendered) -> None:
    deployment = pooled.named("Deployment", "pgbouncer")
    spec = pod_spec(deployment)
    assert spec is not None
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    (one,) = spec["containers"]
    security = one["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert set(one["resources"]["limits"]) == {"cpu", "memory"}
    assert re.fullmatch(r".+/pgbouncer:\d+\.\d+\.\d+", one["image"]), one["image"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert one[probe]["tcpSocket"] == {"port": "postgres"}, probe
    (port,) = one["ports"]
    assert (port["name"], port["containerPort"]) == ("postgres", PORT)
    (service_port,) = pooled.named("Service", "pgbouncer")["spec"]["ports"]
    assert (service_port["port"], service_port["targetPort"]) == (PORT, "postgres")
    assert deployment["spec"]["replicas"] >= 2
    assert pooled.named("PodDisruptionBudget", "pgbouncer")["spec"]["maxUnavailable"] == 1
    # It reaches PostgreSQL as a database client; its clients reach it on 6432, nobody else.
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["event-review.io/database-client"] == "true"
    assert "event-review.io/http" not in labels
    policies = {p["metadata"]["name"]: p["spec"] for p in pooled.of_kind("NetworkPolicy")}
    (ingress,) = policies["allow-pgbouncer-from-database-clients"]["ingress"]
    assert ingress["from"] == [
        {"podSelector": {"matchLabels": {"event-review.io/database-client": "true"}}}
    ]
    (egress,) = policies["allow-pgbouncer-egress"]["egress"]
    assert egress["ports"] == [{"protocol": "TCP", "port": PORT}]
    assert egress["to"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "pgbouncer"}}}
    ]


def shipped_ini(run_dir: Path, port: int) -> str:
    """The component's pgbouncer.ini, moved onto loopback and into `run_dir`."""
    shipped = (PGBOUNCER / "pgbouncer.ini").read_text()
    for old, new in (
        ("/etc/pgbouncer/secret/", f"{run_dir}/"),
        ("listen_addr = 0.0.0.0", f"listen_addr = {LOOPBACK}"),
        (f"listen_port = {PORT}", f"listen_port = {port}"),
    ):
        assert old in shipped, old
        shipped = shipped.replace(old, new)
    return shipped


async def test_the_shipped_pgbouncer_ini_pools_scram_logins(server: ServerLocation) -> None:
    password = server.url.password or "pgbouncer-component-test"
    user = server.url.username or "postgres"
    async with empty_database(server) as target:
        host, server_port = server_address(target)
        files = {
            "databases.ini": f"{target.database} = host={host} port={server_port}\n",
            "userlist.txt": f'"{user}" "{password}"\n',
        }
        with running_pgbouncer(target, config=shipped_ini, files=files) as bouncer:
            through = bouncer.location(target)
            with pytest.raises(asyncpg.PostgresError, match="authentication failed"):
                await asyncpg.connect(
                    host=LOOPBACK, port=bouncer.port, user=user, password="wrong",
                    database=target.database,
                )  # fmt: skip
            database = Database.connect(
                ServerLocation(through.url.set(password=password), True, through.direct),
                application_name="pgbouncer-component",
                pool_size=4,
            )
            try:
                for n in range(20):
                    async with database.sessionmaker() as session:
                        got = await session.scalar(text("SELECT CAST(:n AS int) * 2"), {"n": n})
                        assert got == 2 * n
            finally:
                await database.dispose()
            # Transaction mode: more clients than server connections all keep
            # working, while the server sees no more than the pool (20 + 5 reserve).
            clients = [
                await asyncpg.connect(
                    host=LOOPBACK,
                    port=bouncer.port,
                    user=user,
                    password=password,
                    database=target.database,
                    statement_cache_size=0,
                )
                for _ in range(CLIENTS)
            ]
            try:
                for n, client in enumerate(clients):
                    # Session mode would make the 26th wait (query_wait_timeout).
                    assert await asyncio.wait_for(client.fetchval("SELECT $1::int", n), 5) == n
                direct = await asyncpg.connect(target.asyncpg_dsn())
                try:
                    backends = await direct.fetchval(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                finally:
                    await direct.close()
                assert backends <= 25, backends
            finally:
                for client in clients:
                    await client.close()
            # The one error is the wrong password's.
            errors = [line for line in bouncer.log().splitlines() if " ERROR " in line]
            assert len(errors) == 1, bouncer.log()
            assert "password authentication failed" in errors[0]
