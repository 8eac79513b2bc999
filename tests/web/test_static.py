"""The web client's files and the router that serves them (no browser needed)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import httpx
import pytest

from event_review.central.web.routes import CONTENT_SECURITY_POLICY
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.fixtures.cli import serving

STATIC = Path(str(files("event_review.central.web") / "static"))
SCRIPTS = sorted(STATIC.rglob("*.js"))
EXPECTED_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'"
)


async def test_the_client_is_served_at_the_root_under_a_strict_csp(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == EXPECTED_CSP == CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/assets/js/main.js">' in response.text


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/assets/js/main.js", "text/javascript; charset=utf-8"),
        ("/assets/js/views/review.js", "text/javascript; charset=utf-8"),
        ("/assets/css/app.css", "text/css; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ],
)
async def test_assets_are_served_with_their_types(
    client: httpx.AsyncClient, path: str, media_type: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-security-policy"] == EXPECTED_CSP
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == (STATIC / path.removeprefix("/assets/")).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/assets/nope.js",
        "/assets/../routes.py",
        "/assets/%2e%2e/routes.py",
        "/assets/..%2Froutes.py",
        "/assets//etc/passwd",
        "/assets/index.html",  # only at /
        "/assets/js",
    ],
)
async def test_only_the_client_files_are_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] in {"asset_not_found", "not_found"}


async def test_unchanged_files_revalidate_cheaply(client: httpx.AsyncClient) -> None:
    first = await client.get("/assets/js/api.js")
    again = await client.get("/assets/js/api.js", headers={"If-None-Match": first.headers["etag"]})
    head = await client.head("/")

    assert again.status_code == 304
    assert again.content == b""
    assert head.status_code == 200
    assert head.headers["content-security-policy"] == EXPECTED_CSP


def test_the_client_needs_nothing_a_strict_csp_forbids() -> None:
    html = (STATIC / "index.html").read_text()
    # Every script is a file; no inline handlers, styles or javascript: URLs.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=", html)
    assert "javascript:" not in html
    for script in SCRIPTS:
        source = script.read_text()
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert forbidden not in source, f"{script.name} uses {forbidden}"
        assert not re.search(r"\beval\(|new Function\(", source), script.name
        assert not re.search(r"""setAttribute\(\s*["']style""", source), script.name
        # The access token lives in memory only; the refresh token is an HttpOnly cookie.
        assert "sessionStorage" not in source, script.name
        assert not re.search(r"localStorage\.setItem\([^)]*token", source, re.I), script.name


def test_typed_text_read_from_a_region_is_kept_in_no_storage() -> None:
    """What a region's `regional` review-text policy keeps there is shown, never kept:
    review-text.js and the modules that use it write no storage, drafts or URLs."""
    imports = re.compile(r"""from\s+["'][./]+review-text\.js["']""")
    handling = [s for s in SCRIPTS if s.name == "review-text.js" or imports.search(s.read_text())]
    assert {s.name for s in handling} >= {"review-text.js", "event.js", "history.js", "screen.js"}
    for script in handling:
        source = script.read_text()
        for forbidden in (
            "localStorage", "sessionStorage", "indexedDB", "caches.", "drafts.js",
            "location.hash", "pushState", "replaceState",
        ):  # fmt: skip
            assert forbidden not in source, f"{script.name} uses {forbidden}"


def test_every_module_import_resolves() -> None:
    """No build step catches a typo in an import path; this test does."""
    for script in SCRIPTS:
        for target in re.findall(r"""from\s+["'](\.[^"']+)["']""", script.read_text()):
            assert (script.parent / target).resolve().is_file(), f"{script.name}: {target}"


def test_the_client_calls_only_public_api_routes(settings: Settings, database: Database) -> None:
    spec = SERVERS["all"].build(settings, database).openapi()
    routes = [
        re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for path in spec["paths"]
    ]
    called = set()
    for script in SCRIPTS:
        for literal in re.findall(r"""[`"'](/api/v1/[^`"'?]*)""", script.read_text()):
            literal = literal.split("${query(")[0]  # a query string follows
            called.add(re.sub(r"\$\{[^}]+\}", "x", literal))
    assert len(called) > 20
    unknown = sorted(p for p in called if not any(r.match(p) for r in routes))
    assert unknown == []
    assert not any("/internal" in p for p in called)


async def test_the_web_target_serves_the_client_and_no_api(
    settings: Settings, database: Database
) -> None:
    web = SERVERS["web"]
    app = web.build(settings, database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        page = await http.get("/")
        api = await http.get("/api/v1/auth/me")

    assert web.default_port == 8080
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == EXPECTED_CSP
    assert api.status_code == 404
    assert not [p for p in app.openapi()["paths"] if p.startswith("/api/")]


def test_serve_web_runs_as_its_own_process(fresh_db: ServerLocation, tmp_path: Path) -> None:
    with serving(fresh_db, "web", tmp_path) as server:
        server.wait_ready()
        with server.client() as http:
            page = http.get("/")
            script = http.get("/assets/js/main.js")
            login = http.post("/api/v1/auth/login", json={"username": "x", "password": "y"})

    assert page.status_code == 200
    assert "Event Review" in page.text
    assert page.headers["content-security-policy"] == EXPECTED_CSP
    assert script.status_code == 200
    # In production an ingress routes /api/v1 to the review target.
    assert login.status_code == 404
