"""Real Chromium against the built site, served on 127.0.0.1 under a sub-path.

The site is built once per test session with ``--pyodide local`` (the npm core), and
served at ``http://127.0.0.1:PORT/ch11/`` as GitHub Pages serves a project site.
Requests for any other host are aborted and recorded, so a test that leaves the
machine fails instead of hanging.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import build
from chromium import CHROMIUM, FLAGS, launch_options
from browser.helpers import (
    DESKTOP, PHONE, SAVE_DATA, SUBPATH, as_opened, cells, laid_out, new_page, run, with_connection,
)

CHROMIUM_FLAGS = [
    *FLAGS,
    # V8 compiles Python's WebAssembly function by function as it is first called, not
    # whole at each start: each of the suite's many fresh Pythons starts ~0.4 s sooner.
    "--js-flags=--expose-gc --wasm-lazy-compilation",
]
# Requests a service worker makes are routed (and guarded) like the page's own.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site(built_site_local) -> Path:
    return built_site_local


@pytest.fixture(scope="session")
def server(site):
    httpd = build.local_server(0, build.site_handler(site, SUBPATH)).start()
    yield httpd.origin + SUBPATH
    httpd.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is not at {CHROMIUM}; CI must install Debian's chromium")
        pytest.skip(f"Chromium is not at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(**launch_options(playwright.chromium, CHROMIUM_FLAGS))
        yield instance
        instance.close()


class PageWatch:
    """Console errors, failed requests and off-machine requests seen by a page."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.outside: list[str] = []

    def clear(self):
        self.console_errors.clear()
        self.failed.clear()
        self.outside.clear()

    def attach(self, page):
        # A request still in flight when the test leaves the page (another goto, a
        # reload) is cancelled by the browser, not failed by the page: each request is
        # tagged with the document that made it, and only such a cancel is let pass.
        document = {"n": 0}
        made_by: dict = {}

        def on_request(request):
            if request.is_navigation_request() and request.frame.parent_frame is None:
                document["n"] += 1  # (a navigation request of the page always has its frame)
            made_by[request] = document["n"]

        def on_failed(request):
            left_behind = made_by.pop(request, document["n"]) < document["n"]
            # The page's icon is the browser's own request, made once the page has
            # loaded: a test that goes on at once can cancel it before its document's
            # number is known (seen under load). A missing icon still fails (>= 400).
            icon = request.url.split("?")[0].endswith("/favicon.svg")
            if not ((left_behind or icon) and "ERR_ABORTED" in (request.failure or "")):
                self.failed.append(f"{request.url} {request.failure}")

        def on_navigated(frame):
            if frame.parent_frame is None and frame.url.startswith("about:"):
                document["n"] += 1  # a page left for about:blank makes no request

        page.on("request", on_request)
        page.on("framenavigated", on_navigated)
        page.on("requestfinished", lambda r: made_by.pop(r, None))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", on_failed)
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))


# Every URL but this machine's own server and inline data: what a page must not request.
OUTSIDE = re.compile(r"^(?!(?:https?://(?:127\.0\.0\.1|localhost)(?::\d+)?/|data:|blob:))")


def _new_context(browser, **options):
    # No service worker unless a test asks for one (test_offline.py): a worker would
    # answer requests that tests route, and precache the site in every context.
    options.setdefault("service_workers", "block")
    context = browser.new_context(**options)
    watch = PageWatch()

    def guard(route):
        watch.outside.append(route.request.url)
        route.abort()

    # A pattern, not a function: Playwright matches it in its driver, so a request to
    # 127.0.0.1 goes on without a round trip through Python (a page makes ~90).
    context.route(OUTSIDE, guard)
    return context, watch


@pytest.fixture
def context_factory(browser):
    made = []

    def make(**options):
        context, watch = _new_context(browser, **options)
        made.append(context)
        return context, watch

    yield make
    for context in made:
        context.close()


@pytest.fixture
def watched_page(context_factory, server):
    """A fresh page (own storage) with a watch on errors and requests."""
    return new_page(context_factory)


@pytest.fixture
def page(watched_page):
    return watched_page


def _shared_page(browser, server, save_data=True, **options):
    """A watched page in a context of its own, loaded once for a whole test module. The
    tests that share it read it and run no cell; unless ``save_data`` is false, it is a
    Save-Data reader's page, so a chart hovered or a cell kept in view starts no Python
    that no test uses (and that would hold the charts back while it starts)."""
    def make(**context_options):
        context, watch = _new_context(browser, **context_options)
        if save_data:
            with_connection(context, **SAVE_DATA)
        return context, watch

    page = new_page(make, **options)
    page.options = options
    page.goto(server)
    laid_out(page)
    return page.context, page


@pytest.fixture(scope="module")
def shared_page(browser, server):
    """The chapter loaded once per test module, for tests that only read it or put back
    what they change: each is spared a page load and the charts' first drawing."""
    context, page = _shared_page(browser, server)
    yield page
    context.close()


@pytest.fixture(scope="module")
def shared_desktop_page(browser, server):
    context, page = _shared_page(browser, server, **DESKTOP)
    yield page
    context.close()


@pytest.fixture(scope="module")
def shared_phone_page(browser, server):
    context, page = _shared_page(browser, server, **PHONE)
    yield page
    context.close()


@pytest.fixture
def read_page(shared_page):
    return as_opened(shared_page)


@pytest.fixture(scope="module")
def python_page(browser, server):
    """One page per test module whose Python has started, for the tests that need a
    running Python but not a new one: each is spared a page load and a start."""
    context, page = _shared_page(browser, server, save_data=False)
    run(cells(page).first, "print('started')")
    yield page
    context.close()


@pytest.fixture
def live_page(python_page):
    """The module's page with Python started, as a reader would come back to it: every
    cell Reset to its own code and output (which also stops a run), the default window
    and colour scheme, and a watch that starts empty."""
    page = as_opened(python_page)
    for cell in cells(page).all():
        touched = cell.get_attribute("data-state") not in (None, "idle", "reset")
        if touched or cell.locator(".cell-edited").is_visible():
            cell.get_by_role("button", name=re.compile(r"^Reset Code ")).click()
    return page


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
