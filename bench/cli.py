"""`python -m bench`: run the scenarios and print one table (or JSON)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped,unused-ignore]

from bench.env import Env, environment
from bench.profiling import py_spy
from bench.progress import Progress
from bench.report import Figure, render_table
from bench.scales import SCALES
from bench.scenarios import (
    churn,
    claim,
    cpu,
    export,
    floor,
    forwarder,
    ingest,
    payload,
    queues,
    replicas,
    requeue,
    search,
)
from event_review.runtime.logging import configure_logging

Scenario = Callable[[Env], Awaitable[list[Figure]]]

SCENARIOS: dict[str, Scenario] = {
    "batch-ingest": ingest.batch_ingest,
    "single-ingest": ingest.single_ingest,
    "claim": claim.run,
    "requeue": requeue.run,
    "payload": payload.run,
    "forwarder": forwarder.run,
    "cpu": cpu.run,
    "queues": queues.run,
    "search": search.run,
    "export": export.run,
    "floor": floor.run,
    "churn": churn.run,
    "replicas": replicas.run,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the platform's real HTTP services against raw-SQL baselines.",
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated scenarios to run (default: all of {', '.join(SCENARIOS)})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--json-out", type=Path, default=None, help="also write the JSON result to this file"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one field of the scale, e.g. --set requeue_leases=200000",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="sample the centre (serve all) with py-spy per scenario into this directory",
    )
    parser.add_argument(
        "--hold",
        type=Path,
        default=None,
        help="after the scenarios, write the environment (URLs, DSNs, keys, tokens) to this "
        "JSON file and keep everything running until interrupted (for profiling by hand)",
    )
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


async def hold(env: Env, path: Path) -> None:
    path.write_text(
        json.dumps(
            {
                "centre_url": env.centre_url,
                "centre_pid": env.centre.pid,
                "region_api_url": env.region_api_url,
                "central_dsn": env.central.asyncpg_dsn(),
                "baseline_dsn": env.baseline.asyncpg_dsn(),
                "regional_dsns": {c: loc.asyncpg_dsn() for c, loc in env.regional.items()},
                "ingest_keys": env.ingest_keys,
                "tokens": {u.username: u.token for u in [*env.reviewers, env.lead]},
                "data_dir": str(env.data_dir),
            },
            indent=2,
        )
    )
    env.progress.say(f"holding; environment in {path}; interrupt to stop")
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scale = SCALES[args.scale]
    for override in args.set:
        field, _, value = override.partition("=")
        current = getattr(scale, field, None)
        if current is None or field == "name":
            raise SystemExit(f"--set: no scale field {field!r}")
        scale = dataclasses.replace(scale, **{field: type(current)(value)})
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    if chosen == ["none"]:  # only the environment (with --hold)
        chosen = []
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}")
    progress = Progress(quiet=args.quiet)
    info = machine()
    started = time.monotonic()
    figures: list[Figure] = []
    seconds: dict[str, float] = {}
    async with environment(scale, progress) as env:
        env.profile_dir = args.profile
        seconds["setup"] = time.monotonic() - started
        for name in chosen:
            progress.say(f"== scenario {name} ==")
            began = time.monotonic()
            with py_spy(env.centre.pid, args.profile, name):
                figures.extend(await SCENARIOS[name](env))
            seconds[name] = time.monotonic() - began
        if args.hold is not None:
            await hold(env, args.hold)
        work_dir = str(env.tmp)
        postgres = {
            "version": env.pg.version,
            "embedded": env.pg.embedded,
            "pg_stat_statements": env.pg.pg_stat_statements,
            "settings": env.pg.settings,
        }
    seconds["total"] = time.monotonic() - started
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "scale": scale.name,
        "scenarios": chosen,
        "machine": info,
        "postgres": postgres,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "work_dir": work_dir,  # removed at the end of the run
        "figures": [f.to_json() for f in figures],
        "_figures": figures,
    }


async def _cancellable(args: argparse.Namespace) -> dict[str, Any]:
    """Run, turning SIGTERM and SIGINT into cancellation so that cleanup always runs."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    return await run(args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Platform code run in-process (migrations, the re-queue fallback) logs through
    # structlog: keep it on stderr, so that stdout carries only the table or JSON.
    configure_logging("warning", "console")
    try:
        result = asyncio.run(_cancellable(args))
    except asyncio.CancelledError:
        sys.stderr.write("interrupted; everything the bench started is stopped\n")
        return 130
    figures: list[Figure] = result.pop("_figures")
    out = sys.stdout
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        out.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    else:
        m, pg = result["machine"], result["postgres"]
        out.write(
            f"scale {result['scale']}: {m['nproc']} cores, {m['memory_gib']} GiB, "
            f"PostgreSQL {pg['version']}, Python {m['python']}, "
            f"{result['seconds']['total']:.0f} s in total\n"
        )
        out.write(render_table(figures) + "\n")
        notes = [(f.label, n) for f in figures for n in f.notes]
        if notes:
            out.write("\n")
            for label, note in notes:
                out.write(f"  {label}: {note}\n")
    out.flush()
    return 0
