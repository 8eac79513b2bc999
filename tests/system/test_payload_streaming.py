"""The payload proxy streams: the centre's memory is bounded by chunks, not payload size.

Runs on the shared stack of tests/fixtures/platform.py. Readers that stop
reading (small socket buffers, as a slow client over a real network) must
make the centre stop reading from the region, not hold the rest of the
payload in memory. Under uvloop the proxy's HTTP client pulled up to ~8 MB per
upstream read before pausing, one whole payload per stream.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from tests.fixtures.platform import Platform

pytest_plugins = ("tests.fixtures.platform",)

READER = "pst-petra"
PADDING = 12 * 1024 * 1024  # bytes added to each payload: well above any chunk size
STREAMS = 4
# Measured on the asyncio loop: about 1.5 MB for the 4 stalled streams. Under
# uvloop the same test grew by 21 MB (whole upstream reads queued per stream).
MAX_GROWTH = 8 * 1024 * 1024


PAD = (
    "UPDATE events SET payload = payload || jsonb_build_object('padding', repeat('x', $2)) "
    "WHERE external_event_id = ANY($1::text[])"
)
UNPAD = "UPDATE events SET payload = payload - 'padding' WHERE external_event_id = ANY($1::text[])"


def open_stalled_reader(platform: Platform, path: str, token: str) -> socket.socket:
    """A GET whose reader has a small receive buffer and stops after the first bytes."""
    port = int(platform.central_url.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{token}\r\nConnection: close\r\n\r\n".encode()
    )
    first = sock.recv(1024)
    assert first.startswith(b"HTTP/1.1 200"), first[:300]
    return sock


def drain(sock: socket.socket) -> int:
    """Read the rest of the response; the number of bytes read."""
    total = 0
    while chunk := sock.recv(1 << 20):
        total += len(chunk)
    sock.close()
    return total


async def test_stalled_readers_do_not_make_the_centre_hold_whole_payloads(
    platform: Platform,
) -> None:
    assert platform.serve is not None
    await platform.add_events("eu", STREAMS)
    platform.add_users((READER, "reviewer", "team-eu"))
    headers = platform.login(READER)
    events = platform.claim(headers, STREAMS)
    paths = [f"/api/v1/events/{e['event_id']}/payload" for e in events]
    external_ids = [e["external_event_id"] for e in events]
    centre = psutil.Process(platform.serve.pid)
    authorization = "Authorization: " + headers["Authorization"]

    # Other tests on this stack read these regions' payloads: pad only these, then restore.
    await platform.regional_query("eu", PAD, external_ids, PADDING)
    try:
        # Warm the path once (imports, pools) so the baseline is the steady state.
        drain(open_stalled_reader(platform, paths[0], authorization))
        rest = centre.memory_info().rss
        readers = [open_stalled_reader(platform, path, authorization) for path in paths]
        peak = rest
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:  # the readers are stalled meanwhile
            peak = max(peak, centre.memory_info().rss)
            await asyncio.sleep(0.02)
        received = [drain(sock) for sock in readers]
    finally:
        await platform.regional_query("eu", UNPAD, external_ids)
        with platform.http() as http:
            for event in events:
                http.post(f"/api/v1/events/{event['event_id']}/release", headers=headers)

    assert all(n > PADDING for n in received), received  # the payloads came through whole
    growth = peak - rest
    assert growth < MAX_GROWTH, f"the centre grew by {growth / 2**20:.1f} MB while readers stalled"
