"""/docs in real Chromium: Swagger UI from the package, under a strict policy, nothing fetched
from anywhere but the server itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from event_review.runtime.postgres import ServerLocation
from tests.fixtures.cli import serving
from tests.web.conftest import BrowserSession, require_playwright

require_playwright()

from playwright.async_api import Request, expect  # noqa: E402

OpenSession = Callable[[str], Awaitable[BrowserSession]]


async def test_api_docs_render_offline_under_the_content_security_policy(
    chromium_path: str, new_session: OpenSession, fresh_db: ServerLocation, tmp_path: Path
) -> None:
    del chromium_path
    with serving(fresh_db, "all", tmp_path) as server:
        server.wait_ready()
        tab = await new_session("api-docs")
        hosts: set[str] = set()

        def record(request: Request) -> None:
            hosts.add(urlsplit(request.url).netloc)

        tab.page.on("request", record)
        response = await tab.page.goto(f"{server.base_url}/docs")
        assert response is not None
        assert response.status == 200
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        await expect(tab.page.locator(".opblock-summary-path").first).to_be_visible()
        paths = await tab.page.locator(".opblock-summary-path").all_inner_texts()
        await tab.screenshot("api-docs")

    assert "/api/v1/auth/login" in paths
    assert "/api/v1/events/{event_id}/review" in paths
    assert hosts == {urlsplit(server.base_url).netloc}, hosts
    assert tab.errors == []  # a CSP violation is a console error
