"""Browser tests: headless Chromium (Playwright) against a real `event-review up`.

Chromium comes from the system (`apt-get install chromium`), never from
`playwright install`. Without it the browser tests skip, except in CI
(`CI=true`), where a missing browser is a failure: CI must run them.

Starting `up` costs 10 to 20 s, so most tests share one (`shared_platform`) and
keep out of each other's way with users of their own (`Platform.new_user`)
and freshly claimed events; a test that needs other settings starts its own
(`platform`, tuned by overriding `platform_env`). The tests of review forms,
corrections, escalation and QA share a second one with the example forms
applied (`forms_platform`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg
import httpx
import pytest

from event_review.runtime.postgres import ServerLocation, drop_database, regional_database_name
from tests.fixtures.cli import cli_env, run_ok
from tests.fixtures.databases import clone_database, fetch
from tests.fixtures.processes import (
    ManagedProcess,
    ProcessGroup,
    port_block,
    process_group,
    wait_until,
)
from tests.fixtures.tools import tool_missing

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

PASSWORD = "browser-test-pass"
REGIONS = ("eu", "us")
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
README_SCREENSHOTS = REPO / "docs" / "screenshots"
EXAMPLE_FORMS = REPO / "examples" / "forms.yaml"
# Set to 1 to (re)write the README's screenshots while the browser tests run.
README_SCREENSHOTS_ENV = "EVENT_REVIEW_README_SCREENSHOTS"
UP_TIMEOUT = 90.0  # seconds: `up` resets and migrates three databases, then seeds demo data
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured and Path(configured).exists():
        return configured
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str, *, module_level: bool = False) -> None:
    tool_missing(
        reason,
        "apt-get install chromium` (and `pip install playwright`",
        module_level=module_level,
    )


def require_playwright() -> None:
    """For test modules that import Playwright at the top."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed", module_level=True)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    path = find_chromium()
    if path is None:
        _unavailable("no Chromium found (looked for /usr/bin/chromium and chromium on PATH)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            # Containers often lack user namespaces for Chromium's sandbox.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield launched
        await launched.close()


# -- the platform under test -------------------------------------------------


@dataclass
class Platform:
    """`event-review up` on its own databases, as a subprocess."""

    central: ServerLocation
    up: ManagedProcess  # serves the centre on its port, the regions on the ports after it
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.up.base_url

    def regional_url(self, code: str) -> str:
        assert self.up.port is not None
        return f"http://127.0.0.1:{self.up.port + 1 + REGIONS.index(code)}"

    def log(self) -> str:
        return self.up.log()

    def http(self) -> httpx.Client:
        return self.up.client(timeout=15.0)

    def token(self, username: str) -> str:
        """A session of `username` for API calls the test makes beside the browser."""
        if username not in self.tokens:
            with self.http() as http:
                response = http.post(
                    "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
                )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["access_token"]
        return self.tokens[username]

    def api(self, method: str, path: str, username: str, **kwargs: Any) -> httpx.Response:
        for _ in range(2):
            headers = {"Authorization": f"Bearer {self.token(username)}"}
            with self.http() as http:
                response = http.request(method, path, headers=headers, **kwargs)
            # A platform with short-lived tokens outlives the cached one: log in again.
            if response.status_code != 401 or response.json()["error"]["code"] != "token_expired":
                break
            del self.tokens[username]
        return response

    def new_user(self, prefix: str, *, team: str, role: str = "reviewer") -> str:
        """A user of this test alone (a unique name), so tests sharing a platform
        never share a user's held events, drafts or sessions."""
        username = f"{prefix}-{uuid.uuid4().hex[:6]}"
        created = self.api(
            "POST",
            "/api/v1/admin/users",
            "admin",
            json={"username": username, "password": PASSWORD, "role": role, "team": team},
        )
        assert created.status_code == 201, created.text
        return username

    def new_team(self, prefix: str, regions: list[str]) -> tuple[str, str]:
        """A team of this test alone: (name, team id)."""
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        created = self.api(
            "POST", "/api/v1/admin/teams", "admin", json={"name": name, "regions": regions}
        )
        assert created.status_code == 201, created.text
        return name, str(created.json()["team_id"])

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await fetch(self.central, sql, *args)


def start_platform(group: ProcessGroup, central: ServerLocation, env: dict[str, str]) -> Platform:
    """Start `up` and wait until it has said it is up (demo data in place)."""
    port = port_block(1 + len(REGIONS))
    up = group.start(
        "up",
        "up",
        "--port", str(port),
        "--regions", ",".join(REGIONS),
        "--demo-password", PASSWORD,
        "--reset",
        env=cli_env(central, env),
        port=port,
    )  # fmt: skip
    up.wait_ready(timeout=UP_TIMEOUT)

    def said_it_is_up() -> bool:
        if not up.alive:
            raise AssertionError(f"`up` exited early:\n{up.describe()}")
        return "is up" in up.log()

    wait_until(said_it_is_up, timeout=UP_TIMEOUT, message=up.describe)
    return Platform(central, up)


def _platform_env(data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    return {
        "EVENT_REVIEW_ENVIRONMENT": "development",
        "EVENT_REVIEW_DATA_DIR": str(data_dir),
        "EVENT_REVIEW_WRITEBACK_BACKOFF_SECONDS": "0.2",
        **extra,
    }


async def _stop_platform(group: ProcessGroup, central: ServerLocation) -> None:
    group.stop_all()
    for code in REGIONS:
        await drop_database(central.with_database(regional_database_name(central.database, code)))


@pytest.fixture
def platform_env() -> dict[str, str]:
    """Extra environment of the `up` process; a test overrides this fixture to tune it."""
    return {}


@pytest.fixture
async def platform(
    chromium_path: str,
    fresh_db: ServerLocation,
    tmp_path: Path,
    platform_env: dict[str, str],
) -> AsyncIterator[Platform]:
    """The whole platform (central + eu + us, demo users, simulated events) on a fresh database.

    Depends on `chromium_path` so that, without a browser, nothing starts at all.
    """
    del chromium_path
    env = _platform_env(tmp_path / "data", platform_env)
    with process_group(tmp_path / "logs") as group:
        try:
            yield start_platform(group, fresh_db, env)
        finally:
            await _stop_platform(group, fresh_db)


@asynccontextmanager
async def _session_platform(
    template_db: ServerLocation, tmp_path_factory: pytest.TempPathFactory, name: str
) -> AsyncIterator[Platform]:
    central = await clone_database(template_db)
    root = tmp_path_factory.mktemp(name)
    with process_group(root / "logs") as group:
        try:
            yield start_platform(group, central, _platform_env(root / "data", {}))
        finally:
            await _stop_platform(group, central)
            await drop_database(central)


@pytest.fixture(scope="session")
async def shared_platform(
    chromium_path: str, template_db: ServerLocation, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """One platform with the default settings for every browser test that needs
    nothing special; started on first use, stopped at the end of the run."""
    del chromium_path
    async with _session_platform(template_db, tmp_path_factory, "shared-platform") as platform:
        yield platform


@pytest.fixture(scope="session")
async def forms_platform(
    chromium_path: str, template_db: ServerLocation, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """A second shared platform, with the example review forms applied by the operator's
    command (`event-review forms apply examples/forms.yaml`): collisions get the
    collision form, EU lane departures the sensor-fault triage. The other tests
    review collisions with the default form, so they keep `shared_platform`; the
    tests of forms, corrections, escalation and QA share this one."""
    del chromium_path
    async with _session_platform(template_db, tmp_path_factory, "forms-platform") as platform:
        run_ok(platform.central, "forms", "apply", str(EXAMPLE_FORMS))
        yield platform


# -- pages ---------------------------------------------------------------------


@dataclass
class BrowserSession:
    """One browser tab at 1280x800, with every console error and failed request kept."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    async def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await self.page.screenshot(path=str(path))
        return path

    async def readme_screenshot(self, name: str) -> None:
        """docs/screenshots/NAME.png, when EVENT_REVIEW_README_SCREENSHOTS=1: a calm
        picture, with the panels scrolled to the top and no toast in the corner."""
        if os.environ.get(README_SCREENSHOTS_ENV) != "1":
            return
        from playwright.async_api import expect

        await self.page.evaluate(
            "document.querySelectorAll('.scroll').forEach(e => e.scrollTo(0, 0))"
        )
        await expect(self.page.locator("#toasts .toast")).to_have_count(0, timeout=10_000)
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(README_SCREENSHOTS / f"{name}.png"))

    async def login(self, base_url: str, username: str, page: Page | None = None) -> None:
        page = page or self.page
        await page.goto(base_url + "/")
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.locator("#topbar").wait_for(state="visible")

    async def new_tab(self) -> Page:
        """Another tab of the same browser: same cookies and storage, its own memory."""
        page = await self.context.new_page()
        page.set_default_timeout(15_000)
        self.watch(page)
        return page

    def watch(self, page: Page) -> None:
        page.on(
            "console",
            lambda m: (
                self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))


class OpenSession(Protocol):
    """The `new_session` fixture: a browser of its own (a fresh context) with one tab."""

    def __call__(
        self, name: str, viewport: ViewportSize = ..., device_scale_factor: float = ...
    ) -> Awaitable[BrowserSession]: ...


@pytest.fixture
async def new_session(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Open browser tabs; each gets a final screenshot, pass or fail, when the test ends."""
    opened: list[tuple[str, BrowserSession]] = []

    async def open_session(
        name: str, viewport: ViewportSize = VIEWPORT, device_scale_factor: float = 1
    ) -> BrowserSession:
        context = await browser.new_context(
            viewport=viewport,
            device_scale_factor=device_scale_factor,
            locale="en-GB",
            timezone_id="UTC",
        )
        page = await context.new_page()
        page.set_default_timeout(15_000)
        session = BrowserSession(context, page)
        session.watch(page)
        opened.append((name, session))
        return session

    yield open_session
    for name, session in opened:
        try:
            await session.screenshot(f"{request.node.name}-{name}-final")
        finally:
            await session.context.close()
