"""What every real-browser test shares: Chromium (Debian's build) driven by Playwright against
the app served for real on a free local port. Registered as a plugin by tests/conftest.py, so a
browser test asks for the fixtures (``browser``, ``live_server``, ``open_page``) by name and
imports only the helpers.

Data is committed and emptied after each test like the rest of the suite. Screenshots go to
test-artifacts/ for a human to look at. Every journey also fails on a Content-Security-Policy
violation or a JavaScript error.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}



def _no_browser(reason: str) -> None:
    """Skip on a developer's machine without a browser; under CI a missing browser is a
    failure (a failed install must not turn every browser test into a quiet skip)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true, so the browser tests may not skip")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api():
    if not CHROMIUM.exists():
        _no_browser(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _no_browser("Playwright is not installed (pip install -e '.[dev]')")
    return sync_api


@pytest.fixture(scope="module")
def browser(playwright_api):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The app on a real socket; stopped before the tables are emptied."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class Problems:
    """What a page complained about: console errors and warnings (Chromium reports CSP
    violations there: "Refused to load/apply/execute … Content Security Policy …"), uncaught
    exceptions, and responses that failed."""

    # Chromium asks for /favicon.ico on its own; the app has none yet (a 404, not a defect
    # of the page under test).
    IGNORED_PATHS = ("/favicon.ico",)

    def __init__(self, page) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("response", self._on_response)

    def _ignored(self, url: str) -> bool:
        return url.split("?")[0].endswith(self.IGNORED_PATHS)

    def _on_console(self, message) -> None:
        if self._ignored(message.location.get("url", "")):
            return
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            self.console.append(f"{message.type}: {message.text} ({message.location})")

    def _on_response(self, response) -> None:
        if response.status >= 400 and not self._ignored(response.url):
            self.failed.append(f"{response.status} {response.url}")

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]

    def assert_none(self) -> None:
        assert not self.csp_violations, self.csp_violations
        assert not self.errors, self.errors
        assert not self.console, self.console
        assert not self.failed, self.failed


@pytest.fixture
def open_page(browser, live_server):
    """open_page(viewport) -> (page, problems); every page is checked for problems at the end."""
    contexts = []

    def _open(viewport=DESKTOP, **options):
        context = browser.new_context(
            viewport=viewport, base_url=live_server, locale="vi-VN", **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        return page, Problems(page)

    yield _open
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, prefix: str) -> None:
    page.goto("/login")
    shot(page, f"{prefix}-login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/")
    assert page.get_by_role("button", name="Đăng xuất").is_visible()


def confirming(page) -> list[str]:
    """Accept the next confirmation the page asks (data-confirm); the list gets its text."""
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    return asked


def assert_fits_width(page) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"page is {overflow[0]}px wide in a {overflow[1]}px viewport"
