"""A lean HTTP/1.1 keep-alive client for load generation.

On a 2-core machine the load generator competes with the server it measures:
httpx spends several milliseconds of CPU per request (and far more with 64
connections in one pool), which starves the server. One connection per
simulated client, pre-encoded requests and a minimal response parser keep the
client's share small. Only what the platform's responses use is supported:
Content-Length or chunked bodies.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class HttpError(RuntimeError):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Connection:
    """One keep-alive connection; requests on it are sequential (one simulated client)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 20
            )
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self._writer = None
            self._reader = None

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _encode(
        self, method: str, path: str, headers: dict[str, str] | None, body: bytes | None
    ) -> bytes:
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host_header]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode())
        if body is not None:
            lines.append(f"Content-Length: {len(body)}".encode())
        lines.append(b"")
        lines.append(b"")
        return b"\r\n".join(lines) + (body or b"")

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        json_body: Any = None,
        discard: bool = False,
    ) -> Response:
        """Send one request and read the whole response (`discard`: count, do not keep)."""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {**(headers or {}), "Content-Type": "application/json"}
        reader, writer = await self._open()
        writer.write(self._encode(method, path, headers, body))
        try:
            return await self._read(reader, discard)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self.close()
            raise HttpError(f"{method} {path}: connection lost ({exc!r})") from exc

    async def _read(self, reader: asyncio.StreamReader, discard: bool) -> Response:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        chunks: list[bytes] = []
        received = 0
        if "content-length" in headers:
            remaining = int(headers["content-length"])
            while remaining:
                chunk = await reader.read(min(remaining, 1 << 20))
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(chunk)
                received += len(chunk)
                if not discard:
                    chunks.append(chunk)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunk = await reader.readexactly(size + 2)
                received += size
                if not discard:
                    chunks.append(chunk[:-2])
        if headers.get("connection", "").lower() == "close":
            await self.close()
        body = b"".join(chunks) if not discard else b""
        response = Response(status, headers, body)
        response.headers["x-bench-received"] = str(received)
        return response
