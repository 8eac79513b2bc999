"""13. replicas: the centre as N processes behind the gateway, for N = 1 … `replicas`.

Each N starts N `serve all` processes on the central database, through
PgBouncer in transaction mode when it is installed (Debian's `pgbouncer`;
`EVENT_REVIEW_DATABASE_POOLER=transaction`, the principal caches' LISTEN on
the direct URL) and directly otherwise, behind a real nginx running
deploy/nginx/nginx.conf with every replica in its upstreams. Closed-loop
clients (`floor_clients` reviewers of all four regions) claim `claim_size`
events and review each, through the gateway, for `replicas_seconds`; the
figure is requests a second at N, its ratio the one to N = 1.

The gateway's per-address rate and connection limits are left out: every
client here is 127.0.0.1, so they would measure nginx's limit, not the centre.
On a machine with fewer free cores than replicas the curve is flat (2 cores:
the clients, nginx, PgBouncer and PostgreSQL share them with the replicas);
the harness is what larger machines use: `--set replicas=8`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.deploy.helpers import NGINX_BINARY, running_nginx
from tests.fixtures.pgbouncer import BINARY as PGBOUNCER_BINARY
from tests.fixtures.pgbouncer import running_pgbouncer
from tests.fixtures.processes import ManagedProcess, database_url, free_port

from bench.env import Env, User
from bench.http import Connection
from bench.report import Figure
from bench.scenarios.claim import REVIEW
from bench.services import READY_TIMEOUT
from bench.sql import load_generated
from bench.stats import rate
from event_review.runtime.postgres import ServerLocation

POOL = 20  # PgBouncer's server connections for the central database (the component's)


@contextmanager
def _database(env: Env) -> Iterator[tuple[ServerLocation, str]]:
    """Where the replicas connect, and how that is said in the figures' notes."""
    if not os.access(PGBOUNCER_BINARY, os.X_OK):
        yield env.central, "directly (PgBouncer is not installed: apt-get install pgbouncer)"
        return
    with running_pgbouncer(env.central, pool_size=POOL) as bouncer:
        yield bouncer.location(env.central), f"through PgBouncer, transaction mode, pool {POOL}"


def _start(env: Env, n: int, location: ServerLocation) -> list[ManagedProcess]:
    extra = {"DATABASE_URL": database_url(location)}
    if location.pooled:
        assert location.direct is not None
        extra |= {
            "EVENT_REVIEW_DATABASE_POOLER": "transaction",
            "DATABASE_DIRECT_URL": database_url(ServerLocation(location.direct)),
        }
    started = []
    for i in range(n):
        port = free_port()
        args = ("serve", "all", "--host", "127.0.0.1", "--port", str(port))
        started.append(
            env.services.start(f"replica-{n}-{i}", *args, env=env.service_env(extra), port=port)
        )
    return started


async def _loop(url: str, users: list[User], size: int, seconds: float) -> float:
    """Requests a second of claim → review cycles by one client per user."""

    async def client(user: User, deadline: float) -> int:
        bearer = {"Authorization": f"Bearer {user.token}"}
        done = 0
        async with Connection(url) as http:
            while time.perf_counter() < deadline:
                claimed = await http.request(
                    "POST", "/api/v1/assignments/next-batch", headers=bearer,
                    json_body={"size": size},
                )  # fmt: skip
                if claimed.status != 200:
                    raise RuntimeError(f"replicas: claim: HTTP {claimed.status}: {claimed.text}")
                events = claimed.json()["events"]
                if not events:
                    raise RuntimeError("replicas: nothing left to claim (raise replicas_pending)")
                done += 1
                for event in events:
                    path = f"/api/v1/events/{event['event_id']}/review"
                    reviewed = await http.request("POST", path, headers=bearer, json_body=REVIEW)
                    if reviewed.status != 200:
                        raise RuntimeError(f"replicas: review: HTTP {reviewed.status}")
                    done += 1
        return done

    started = time.perf_counter()
    deadline = started + seconds
    done = sum(await asyncio.gather(*(client(u, deadline) for u in users)))
    return rate(done, time.perf_counter() - started)


async def run(env: Env) -> list[Figure]:
    scale, say = env.scale, env.progress.say
    if scale.replicas < 1:
        raise RuntimeError("replicas: --set replicas=N needs N >= 1")
    if not os.access(NGINX_BINARY, os.X_OK):
        raise RuntimeError(
            f"replicas: nginx is not installed ({NGINX_BINARY}): apt-get install nginx"
        )
    users = [u for u in env.reviewers if u.multi][: scale.floor_clients]
    await env.reset_central()
    await load_generated(
        [env.central], scale.replicas_pending, prefix="rp", status="pending",
        progress=env.progress, what="replicas: loading pending events",
    )  # fmt: skip
    rates: dict[int, float] = {}
    with _database(env) as (location, how):
        for n in range(1, scale.replicas + 1):
            say(f"replicas: {n} centre process(es) behind nginx, {how}")
            replicas = _start(env, n, location)
            try:
                for replica in replicas:
                    await replica.wait_ready_async(READY_TIMEOUT)
                addresses = [f"127.0.0.1:{r.port}" for r in replicas]
                upstreams = {"ingestor": addresses, "review": addresses, "web": addresses}
                gateway = running_nginx(
                    env.tmp / f"nginx-{n}", free_port(), upstreams, client_limits=False
                )
                with gateway as nginx:
                    await _loop(nginx.url, users, scale.claim_size, 1.0)  # warm-up
                    rates[n] = await _loop(
                        nginx.url, users, scale.claim_size, scale.replicas_seconds
                    )
            finally:
                for replica in replicas:
                    replica.stop()
    cores = os.cpu_count() or 0
    return [
        Figure(
            f"replicas.loop_per_s.{n}",
            f"13 replicas, closed loop of {len(users)} clients through the gateway: "
            f"{n} centre process{'es' if n > 1 else ''}",
            "req/s",
            rates[n],
            rates[1],
            notes=[
                f"claim {scale.claim_size} → review each, {scale.replicas_seconds:g} s; "
                f"the centre {how}; nginx ({NGINX_BINARY}) without its per-address limits; "
                f"{cores} cores for everything"
            ],
        )
        for n in sorted(rates)
    ]
