"""Interactive API documentation (/docs) with no third-party host and no inline script.

FastAPI's built-in page loads Swagger UI from a CDN (blank without internet,
and foreign script in a compliance tool) and starts it with an inline script
that a strict Content-Security-Policy forbids. This page takes Swagger UI's
files from the `fastapi-swagger` package and starts it from a script file of
its own, under a policy that allows only this origin.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Depends, Request, Response

from event_review.runtime.access import public
from event_review.runtime.errors import NotFound

DOCS_PATH = "/docs"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
# name -> (package, file, media type): only these names are ever served.
_ASSETS = {
    "swagger-ui-bundle.js": ("fastapi_swagger.resources", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("fastapi_swagger.resources", "text/css; charset=utf-8"),
    "favicon-32x32.png": ("fastapi_swagger.resources", "image/png"),
    "start.js": ("event_review.runtime.api_docs", "text/javascript; charset=utf-8"),
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} — API</title>
<link rel="icon" type="image/png" href="{docs}/assets/favicon-32x32.png">
<link rel="stylesheet" href="{docs}/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{docs}/assets/swagger-ui-bundle.js"></script>
<script src="{docs}/assets/start.js"></script>
</body>
</html>
"""


@cache
def _asset(name: str) -> bytes:
    package, _ = _ASSETS[name]
    return (files(package) / name).read_bytes()


def docs_router(title: str, openapi_url: str) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(public)])
    page = _PAGE.format(title=title, docs=DOCS_PATH, openapi=openapi_url).encode()

    @router.get(DOCS_PATH)
    async def docs(request: Request) -> Response:
        del request
        return Response(page, media_type="text/html; charset=utf-8", headers=_HEADERS)

    @router.get(DOCS_PATH + "/assets/{name}")
    async def docs_asset(name: str) -> Response:
        if name not in _ASSETS:
            raise NotFound(f"no documentation file {name!r}", code="asset_not_found")
        return Response(_asset(name), media_type=_ASSETS[name][1], headers=_HEADERS)

    return router
