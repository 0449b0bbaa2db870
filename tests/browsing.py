"""The app in headless Chromium, for the browser tests: the app served by uvicorn on a free local port, the page
of one user (``Site``) or a context per user (``Users``), and the Chromium they run in. Importing this module
skips the importing test module where Debian's chromium, playwright or uvicorn is missing."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is needed to serve the app to the browser")

DESKTOP = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000
# every page records what the Content-Security-Policy refused (injected by the browser, so not itself refused)
CSP_WATCH = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  e => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, thread: threading.Thread, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it answered")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn did not answer on port {port} within {seconds} s")


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """The app over real HTTP on a free port of 127.0.0.1, in a uvicorn thread, stopped afterwards."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
    thread.start()
    try:
        _wait_for_port(port, thread)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive(), "uvicorn did not stop"


@dataclass
class Site:
    base: str
    page: sync_api.Page
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def assert_no_csp_violations(self) -> None:
        """Nothing the pages need was refused by the Content-Security-Policy (console or violation events)."""
        logged = [m for m in self.console if "Content Security Policy" in m]
        events = self.page.evaluate("() => window.__cspViolations || []")
        assert not logged and not events, f"CSP refused something: {logged} {events}"

    def assert_only_local_requests(self) -> None:
        assert self.requests, "the browser made no requests at all"
        foreign = [u for u in self.requests if not u.startswith(self.base + "/")]
        assert not foreign, f"requests left the local server (CDN?): {foreign}"


@dataclass
class Users:
    """A browser context per user; every request any of them makes and every 5xx answer is kept."""

    browser: sync_api.Browser
    base: str
    requests: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # every confirmation an irreversible step asked (accepted)
    contexts: list[sync_api.BrowserContext] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def _on_response(self, response: sync_api.Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def anonymous(self) -> sync_api.Page:
        context = self.browser.new_context(viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("response", self._on_response)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", self._confirm)
        return page

    def _confirm(self, dialog: sync_api.Dialog) -> None:
        self.asked.append(dialog.message)
        dialog.accept()

    def log_in(self, username: str) -> sync_api.Page:
        page = self.anonymous()
        page.goto(self.url("/login"))
        page.fill("#f-username", username)
        page.fill("#f-password", PASSWORD)
        page.locator("form[action^='/login'] button[type=submit]").click()
        page.wait_for_url(self.url("/dashboard"))
        return page

    def done(self, page: sync_api.Page) -> None:
        page.context.close()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _nav(page: sync_api.Page, label: str) -> None:
    page.locator("#mainnav").get_by_role("link", name=label, exact=True).click()


@contextlib.contextmanager
def chromium() -> Iterator[sync_api.Browser]:
    """Debian's headless Chromium, driven by playwright."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@contextlib.contextmanager
def site_on(browser: sync_api.Browser, base: str) -> Iterator[Site]:
    """A desktop page on the server at ``base`` that records its requests, its console and what the CSP refused."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    s = Site(base, page)
    page.on("request", lambda r: s.requests.append(r.url))
    page.on("console", lambda m: s.console.append(m.text))
    yield s
    context.close()
