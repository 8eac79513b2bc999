"""Serve the static web client: `/` is the app, `/assets/...` its files.

The files ship inside the package, are read once and kept in memory (a few
dozen kilobytes), and are served with a strict Content-Security-Policy: the
client has no inline script, style or event handler, so nothing injected into
the page could run.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Depends, Request, Response

from event_review.runtime.access import public
from event_review.runtime.errors import NotFound

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Revalidate every time (a cheap 304): a new release shows up at the next
    # reload without versioned file names or a build step.
    "Cache-Control": "no-cache",
}
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# Not part of the API: kept out of the OpenAPI spec. Public: the files hold no data.
router = APIRouter(include_in_schema=False, dependencies=[Depends(public)])


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def _walk(folder: Traversable, prefix: str = "") -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, f"{name}/"))
            continue
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        media_type = _TYPES.get(suffix) or mimetypes.guess_type(entry.name)[0]
        if media_type is None:
            continue  # only files a browser needs
        body = entry.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        found[name] = Asset(body, media_type, etag)
    return found


@cache
def assets() -> dict[str, Asset]:
    """Every file under static/, by relative path; read on first use, not at import.

    Only these paths are ever served, so no request path reaches the file system.
    """
    return _walk(files("event_review.central.web") / "static")


def _serve(request: Request, asset: Asset) -> Response:
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.api_route("/", methods=["GET", "HEAD"])
async def index(request: Request) -> Response:
    return _serve(request, assets()["index.html"])


@router.api_route("/assets/{path:path}", methods=["GET", "HEAD"])
async def asset(path: str, request: Request) -> Response:
    found = assets().get(path)
    if found is None or path == "index.html":
        raise NotFound(f"no web client file {path!r}", code="asset_not_found")
    return _serve(request, found)
