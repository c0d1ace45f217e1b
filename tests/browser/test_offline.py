"""Offline after the first visit: the service worker (sw.js), in real Chromium.

Each test serves a site on a port of its own, under the sub-path /ch11/ as GitHub
Pages serves a project site, so registrations and caches never leak between tests.
"Offline" is real: the test server stops answering (and records what still asked)
as well as ``context.set_offline(True)``, because Chromium's offline emulation does
not reach a service worker's own fetches. The local Pyodide core has no numpy, so the
cells run pure Python.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

import build
from browser.helpers import (
    SUBPATH, axe_violations, cells, let_time_pass, near, new_page, output, run, set_code, with_clock,
)

ROOT = Path(__file__).resolve().parents[2]


FIRST_RUN_MS = 90_000  # Pyodide's first start, on a small shared machine, with a worker caching it
CORE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json", "memory-snapshot.gz")
CACHES_JS = """async () => {
    const out = {};
    for (const name of await caches.keys())
        out[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
    return out;
}"""


# ── a server whose site can be swapped and whose network can be cut ──────────


class Network:
    def __init__(self, directory: Path, subpath: str):
        self.directory = directory
        self.subpath = subpath
        self.offline = False
        self.answered: list[str] = []
        self.refused: list[str] = []
        self.httpd = None
        self.worker_released = threading.Event()  # sw.js is answered only once this is set
        self.worker_released.set()

    def stop(self):
        """The server goes away (its port is free again)."""
        if self.httpd:
            self.httpd.stop()
            self.httpd = None


def start_server(network: Network, port: int = 0):
    class Handler(build.site_handler(network.directory, network.subpath)):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(network.directory), **kwargs)  # a new deploy: another folder

        def do_GET(self):
            if network.offline:
                network.refused.append(self.path)
                self.close_connection = True  # no answer at all, as with no network
                return
            if self.path.endswith("/sw.js"):
                network.worker_released.wait(timeout=300)
            network.answered.append(self.path)
            super().do_GET()

    return build.local_server(port, Handler).start()


@pytest.fixture
def served():
    """``served(directory, subpath=SUBPATH, port=0)`` → (url, network)."""
    running = []

    def serve(directory: Path, subpath: str = SUBPATH, port: int = 0):
        network = Network(directory, subpath)
        network.httpd = start_server(network, port)
        running.append(network)
        return network.httpd.origin + subpath, network

    yield serve
    for network in running:
        network.stop()


# The page registers its worker once it has been quiet a while after the load (offline.js,
# quiet.js); the tests let that time pass at once on the page's clock.
QUIET_WAIT_MS = 8000


def open_page(context_factory, **options):
    page = with_clock(new_page(context_factory, service_workers="allow", **options))
    page.warnings = []
    page.on("console", lambda m: m.type == "warning" and page.warnings.append(m.text))
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return page.context, page


def offline_state(page):
    return page.locator("#offline-state")


def saved_for_offline(page):
    """The page's quiet wait passes, the worker registers and saves; the masthead says so."""
    let_time_pass(page, QUIET_WAIT_MS)
    expect(offline_state(page)).to_have_text("Available offline", timeout=60_000)


def cached(page) -> dict[str, list[str]]:
    return page.evaluate(CACHES_JS)


def python_cache(page) -> list[str]:
    return next((urls for name, urls in cached(page).items() if " python-" in name), [])


# What cells.js says once the page's Python has loaded packages (the worker's word)
REPORT_PACKAGES = "(p) => document.dispatchEvent(new CustomEvent('python-files', {detail: {packages: p}}))"


def wait_for_python_cached(page, timeout_s=120):
    """Until the Python cache holds the whole core and nothing is still being saved."""
    deadline = time.monotonic() + timeout_s
    while True:
        names = {u.rsplit("/", 1)[-1] for u in python_cache(page)}
        if set(CORE) <= names and offline_state(page).inner_text() == "Available offline":
            return
        assert time.monotonic() < deadline, f"the runtime was never cached: {sorted(names)}"
        page.wait_for_timeout(250)


def run_cell(page, code: str, timeout=FIRST_RUN_MS):
    cell = cells(page).first
    expect(cell.get_by_role("button", name="Run")).to_be_visible()  # the cell is mounted
    set_code(cell, code, editor_ms=30_000)
    run(cell, timeout=timeout)
    return output(cell)


def built_copy(project_copy: Path, out: Path, *extra: str) -> Path:
    done = subprocess.run(
        [sys.executable, str(project_copy / "build.py"), "--pyodide", "local", "--out", str(out), "-q", *extra],
        cwd=project_copy, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return out


# ── a second visit needs no network ───────────────────────────────────────────


def test_after_one_visit_text_math_instruments_quizzes_and_python_work_offline(context_factory, served, site):
    url, network = served(site)
    context, page = open_page(context_factory)
    page.goto(url)
    saved_for_offline(page)
    # under a sub-path the worker's scope is the folder of index.html
    assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.scope)") == url
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == url + "sw.js"
    # the reader runs a cell: Python comes from the network once and is kept
    expect(run_cell(page, "print(sum(i * i for i in range(10)))")).to_have_text("285\n")
    wait_for_python_cached(page)

    network.offline = True
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026 Frontier")
    expect(offline_state(page)).to_have_text("Available offline")
    # math: laid out as MathML in its own font, from the cache
    display = page.locator('math[display="block"]').first
    display.scroll_into_view_if_needed()
    assert "STIX Two Math" in display.evaluate("e => getComputedStyle(e).fontFamily")
    page.wait_for_function(
        """() => document.fonts.ready.then(() => true) &&
            [...document.fonts].some((f) => f.family.includes("STIX Two Math") && f.status === "loaded")""",
        timeout=15_000,
    )
    assert page.evaluate("[...document.fonts].filter((f) => f.status === 'error').map((f) => f.family)") == []
    # an instrument follows its slider, and its chart (Plotly, loaded lazily) is drawn
    explorer = page.locator('figure.instrument[data-instrument="scaling-explorer"]')
    slider = explorer.get_by_role("slider", name="Context length")
    slider.focus()
    slider.press("End")
    expect(explorer.locator('[data-readout="ratio"]')).to_have_text("4,096×")
    expect(explorer.locator(".instrument-chart .main-svg").first).to_be_visible(timeout=30_000)
    # a quiz checks an answer
    quiz = near(page.locator("#q-doubling"))
    spec = json.loads(quiz.get_attribute("data-quiz"))
    quiz.get_by_label("Your answer").fill(f"{spec['answer']:g}")
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.get_by_role("status")).to_contain_text("Right")
    # a pure-Python cell runs on the cached core, in a fresh interpreter
    expect(run_cell(page, "print(sum(i * i for i in range(100)))")).to_have_text("328350\n")

    # Nothing reached the network but the browser's own check for a new sw.js.
    assert set(network.refused) <= {f"{SUBPATH}sw.js"}, network.refused
    assert page.watch.outside == []
    assert page.watch.failed == []
    assert page.watch.console_errors == []
    assert page.dialogs == []


def test_python_started_before_the_worker_took_over_is_kept_too(context_factory, served, site):
    url, network = served(site)
    network.worker_released.clear()  # the worker comes late on this first visit
    context, page = open_page(context_factory)
    page.goto(url)
    expect(run_cell(page, "print('early')")).to_have_text("early\n")
    assert page.evaluate("navigator.serviceWorker.controller") is None
    network.worker_released.set()
    saved_for_offline(page)
    wait_for_python_cached(page)

    network.offline = True
    context.set_offline(True)
    page.reload()
    expect(run_cell(page, "print('late')")).to_have_text("late\n")
    assert set(network.refused) <= {f"{SUBPATH}sw.js"}, network.refused
    assert page.watch.console_errors == [] and page.watch.outside == []


def test_python_files_and_assets_are_answered_from_the_cache_without_the_worker_running(context_factory, served, site):
    url, network = served(site)
    context, page = open_page(context_factory)
    page.goto(url)
    saved_for_offline(page)
    expect(run_cell(page, "print('kept')")).to_have_text("kept\n")
    wait_for_python_cached(page)
    # The browser answers from Python's cache and from the site's by the worker's static
    # routes, and from the network what the cache does not have; a file outside assets/
    # (the page, the notebook) still goes through the worker.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    routed = {}
    cdp.on("Network.responseReceived", lambda e: routed.__setitem__(
        e["response"]["url"], e["response"].get("serviceWorkerRouterInfo", {})))

    def source(u):
        page.evaluate("(u) => fetch(u).then((r) => r.arrayBuffer())", u)
        page.wait_for_timeout(100)
        info = routed.get(u, {})
        return info.get("matchedSourceType"), info.get("actualSourceType")

    assert source(url + "assets/pyodide/pyodide-lock.json") == ("cache", "cache")
    assert source(url + "assets/pyodide/not-kept.whl") == ("cache", "network")
    assert source(url + "assets/favicon.svg") == ("cache", "cache")
    assert source(url + "assets/js/no-such-file.js") == ("cache", "network")
    assert source(url + "chapter-11.ipynb") == (None, None)  # the worker's fetch handler


def test_failed_responses_are_never_cached(context_factory, served, site):
    url, network = served(site)
    context, page = open_page(context_factory)
    page.goto(url)
    saved_for_offline(page)
    missing = url + "assets/pyodide/numpy-0.0-missing.whl"
    assert page.evaluate("(u) => fetch(u).then((r) => r.status)", missing) == 404
    assert page.evaluate("(u) => fetch(u).then((r) => r.status)", url + "assets/no-such-file.js") == 404
    page.wait_for_timeout(300)
    everything = [u for urls in cached(page).values() for u in urls]
    assert missing not in everything and url + "assets/no-such-file.js" not in everything
    assert network.answered.count(f"{SUBPATH}assets/pyodide/numpy-0.0-missing.whl") == 1
    # asked again, it goes to the network again (nothing was kept)
    assert page.evaluate("(u) => fetch(u).then((r) => r.status)", missing) == 404
    assert network.answered.count(f"{SUBPATH}assets/pyodide/numpy-0.0-missing.whl") == 2


# ── Pyodide from its CDN (the published site) ────────────────────────────────


class RoutedCDN:
    """Pyodide's CDN, answered from node_modules/pyodide with its CORS header, for the
    page and its service worker alike; ``opaque-probe.txt`` is answered without one."""

    def __init__(self, context):
        self.prefix = build.PYODIDE_CDN.format(version=build.pyodide_version(ROOT))
        self.offline = False
        self.asked: list[str] = []
        self.extra: dict[str, bytes] = {}  # files the CDN has besides node_modules/pyodide's
        context.route(self.prefix + "**", self.answer)

    def answer(self, route):
        name = route.request.url[len(self.prefix):]
        self.asked.append(name)
        if self.offline:
            route.abort("internetdisconnected")
            return
        if name == "opaque-probe.txt":
            route.fulfill(status=200, body="no CORS header", content_type="text/plain")
            return
        if name in self.extra:
            route.fulfill(status=200, body=self.extra[name], headers={"Access-Control-Allow-Origin": "*"})
            return
        path = ROOT / "node_modules/pyodide" / name
        if "/" in name or not path.is_file():
            route.fulfill(status=404, body="", headers={"Access-Control-Allow-Origin": "*"})
            return
        route.fulfill(status=200, body=path.read_bytes(), headers={
            "Access-Control-Allow-Origin": "*",
            "Content-Type": build.MIME_TYPES.get(path.suffix, "application/octet-stream"),
        })


def test_pyodide_from_its_cdn_is_kept_and_opaque_responses_are_not(context_factory, served, built_site):
    url, network = served(built_site)  # as deployed: Pyodide from its CDN
    context, page = open_page(context_factory)
    cdn = RoutedCDN(context)
    page.goto(url)
    saved_for_offline(page)
    assert cdn.asked == []  # nothing of Python before the reader asks for it
    expect(run_cell(page, "print(6 * 7)")).to_have_text("42\n")
    wait_for_python_cached(page)
    python = python_cache(page)
    # Pyodide from its CDN; the snapshot of its memory from the site, made for that release
    assert url + build.PYODIDE_SNAPSHOT in python
    assert all(u.startswith(cdn.prefix) for u in python if u != url + build.PYODIDE_SNAPSHOT)
    # a response without CORS (opaque) reaches the page but is not kept
    probe = cdn.prefix + "opaque-probe.txt"
    assert page.evaluate("(u) => fetch(u, {mode: 'no-cors'}).then((r) => r.type)", probe) == "opaque"
    page.wait_for_timeout(300)
    assert probe not in [u for urls in cached(page).values() for u in urls]
    assert page.evaluate("(u) => fetch(u, {mode: 'no-cors'}).then((r) => r.type)", probe) == "opaque"
    assert cdn.asked.count("opaque-probe.txt") == 2

    asked_online = len(cdn.asked)
    network.offline = cdn.offline = True
    context.set_offline(True)
    page.reload()
    expect(offline_state(page)).to_have_text("Available offline")
    expect(run_cell(page, "print(7 * 6)")).to_have_text("42\n")
    assert cdn.asked[asked_online:] == []  # Python came from the cache alone
    assert set(network.refused) <= {f"{SUBPATH}sw.js"}, network.refused
    assert page.watch.outside == [] and page.watch.console_errors == []


def test_packages_python_loaded_are_kept_and_one_that_fails_is_said_and_tried_again(
    context_factory, served, built_site
):
    url, network = served(built_site)
    context, page = open_page(context_factory)
    cdn = RoutedCDN(context)
    page.goto(url)
    saved_for_offline(page)
    expect(run_cell(page, "print(6 * 7)")).to_have_text("42\n")
    wait_for_python_cached(page)
    # What the page's Python says it has loaded (cells.js passes on the worker's word):
    # a file of the CDN's, one the CDN cannot give yet, and two that are not Python's
    # (one only seems to be: its ".." leads out of Pyodide's folder).
    wheel, late, other = cdn.prefix + "package.json", cdn.prefix + "late-0.0-py3-none-any.whl", url + "assets/favicon.svg"
    escape = cdn.prefix + "../escape.json"
    page.evaluate(REPORT_PACKAGES, [wheel, late, other, escape])
    expect(offline_state(page)).to_have_text("Available offline, but not Python yet: it could not be saved")
    python = python_cache(page)
    assert wheel in python and late not in python and other not in python
    assert not [u for urls in cached(page).values() for u in urls if "escape.json" in u]
    assert not [name for name in cdn.asked if "escape" in name]
    # said once, in the console, with the file's address
    assert [w for w in page.warnings if late in w] == [
        f"Not saved for offline use: {late}: TypeError: Failed to execute 'add' on 'Cache': Request failed"]
    # The browser stops the idle worker, which forgets all it knew; the page remembers
    # what its Python used, and on the next visit the file that failed is kept.
    cdp = context.new_cdp_session(page)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")
    cdn.extra["late-0.0-py3-none-any.whl"] = b"a wheel"
    page.reload()
    expect(offline_state(page)).to_have_text("Available offline")
    assert late in python_cache(page)
    assert page.watch.console_errors == [] and page.watch.outside == []


# ── a new build ───────────────────────────────────────────────────────────────


def test_a_new_build_is_offered_with_a_notice_and_replaces_the_old_one(
    context_factory, served, site, project_copy, tmp_path
):
    sentence = "A sentence that only the second build has."
    chapter = project_copy / "chapter" / "11-5-race.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
    second = built_copy(project_copy, tmp_path / "second")

    url, network = served(site)
    context, page = open_page(context_factory)
    page.goto(url)
    saved_for_offline(page)
    first_caches = set(cached(page))

    network.directory = second  # deployed at the same address
    page.reload()
    let_time_pass(page, QUIET_WAIT_MS)
    notice = page.locator("#update-notice")
    expect(notice).to_contain_text("This chapter has been updated.", timeout=90_000)
    expect(notice).to_have_attribute("role", "status")  # polite: said when the reader pauses
    # until the reader reloads, the page is the first build, whole
    expect(page.get_by_text(sentence)).to_have_count(0)
    assert network.answered.count(SUBPATH) == 1  # the reload was answered from the first build's cache
    assert network.answered.count(f"{SUBPATH}index.html") == 2  # each build's install
    expect(notice).to_be_visible()
    assert axe_violations(page, "#update-notice") == []  # the page as a whole: test_audits.py
    notice.get_by_role("button", name="Reload").click()
    expect(page.get_by_text(sentence)).to_be_attached(timeout=30_000)
    expect(notice).to_be_empty()
    expect(offline_state(page)).to_have_text("Available offline", timeout=30_000)
    now = cached(page)
    old_site = {name for name in first_caches if " python-" not in name}
    assert not old_site & set(now), "the first build's cache was not deleted"
    assert len([name for name in now if " python-" not in name]) == 1
    assert page.watch.console_errors == [] and page.watch.outside == []


# ── where there are no service workers ───────────────────────────────────────


NO_WORKER = {
    # Playwright's own switch replaces register() with a no-op
    "blocked": None,
    # browsers or settings without the API
    "missing": "delete Navigator.prototype.serviceWorker;",
    # private modes that refuse registration
    "refused": """navigator.serviceWorker.register = () =>
        Promise.reject(new DOMException("Service workers are off in this window", "SecurityError"));""",
}


@pytest.mark.parametrize("how", list(NO_WORKER))
def test_without_service_workers_the_page_is_as_before(context_factory, served, site, how):
    url, network = served(site)
    context, watch = context_factory(service_workers="block" if how == "blocked" else "allow")
    if NO_WORKER[how]:
        context.add_init_script(script=NO_WORKER[how])
    page = with_clock(context.new_page())
    watch.attach(page)
    page.goto(url, wait_until="load")
    let_time_pass(page, QUIET_WAIT_MS)  # past the moment the page would register a worker
    assert page.evaluate("navigator.serviceWorker?.controller ?? null") is None
    expect(page.locator("#offline-fact")).to_be_hidden()
    expect(page.locator("#update-notice")).to_be_empty()
    quiz = near(page.locator("#q-doubling"))
    quiz.get_by_label("Your answer").fill("1")
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.get_by_role("status")).to_contain_text("Not quite")
    assert f"{SUBPATH}sw.js" not in network.answered
    assert watch.console_errors == [] and watch.failed == [] and watch.outside == []


# ── a full storage quota ─────────────────────────────────────────────────────


def precache_bytes(site: Path) -> int:
    source = (site / "sw.js").read_text(encoding="utf-8")
    listed = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source, re.S).group(1))
    return sum((site / rel).stat().st_size for rel in listed)


@pytest.mark.parametrize("fills", ["at install", "with the runtime"])
def test_a_full_quota_is_said_in_the_console_and_the_page_works_online(context_factory, served, site, fills):
    url, network = served(site)
    context, page = open_page(context_factory)
    # room for less than the page (install fails), or for the page but not Python
    quota = 500_000 if fills == "at install" else precache_bytes(site) + 3_000_000
    cdp = context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": url.split(SUBPATH)[0], "quotaSize": quota})
    page.goto(url)
    full = re.compile("storage for this site is full")
    if fills == "at install":
        let_time_pass(page, QUIET_WAIT_MS)
        deadline = time.monotonic() + 60
        while not any(full.search(w) for w in page.warnings):
            assert time.monotonic() < deadline, f"no warning; warnings: {page.warnings}"
            page.wait_for_timeout(250)
        assert any(w.startswith("The chapter was not saved for offline reading") for w in page.warnings)
        expect(page.locator("#offline-fact")).to_be_hidden()
        assert page.evaluate("navigator.serviceWorker.controller") is None
        assert [name for name in cached(page)] == []  # what was saved before the quota ran out is gone
        expect(run_cell(page, "print('still online')")).to_have_text("still online\n")
    else:
        saved_for_offline(page)
        expect(run_cell(page, "print('runs all the same')")).to_have_text("runs all the same\n")
        expect(offline_state(page)).to_have_text(
            "Available offline, but not Python: the browser's storage for this site is full", timeout=60_000
        )
        assert any(w.startswith("Not saved for offline use:") and full.search(w) for w in page.warnings)
    assert page.watch.console_errors == [] and page.watch.outside == []
    assert page.dialogs == []


# ── the author's server ──────────────────────────────────────────────────────


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch_until(url: str, wanted: str, log: Path, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if wanted in response.read().decode("utf-8"):
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} never had {wanted!r}; the server said:\n{log.read_text()}"
        time.sleep(0.5)


def test_build_serve_shows_every_rebuild_even_after_a_production_visit(context_factory, served, site, project_copy):
    port = free_port()
    # A production build was read at this address before: its worker and caches are there.
    url, production = served(site, subpath="/", port=port)
    context, page = open_page(context_factory)
    page.goto(url)
    saved_for_offline(page)
    assert any(name.startswith("llm-field-manual ") for name in cached(page))
    production.stop()

    log = project_copy / "serve.log"
    server = subprocess.Popen(  # the author serves the working tree at the same address
        [sys.executable, str(project_copy / "build.py"), "--serve", "--port", str(port), "-q"],
        cwd=project_copy, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )
    try:
        fetch_until(url, "</main>", log)
        fetch_until(url + "sw.js", "registration.unregister()", log)
        # The production worker answers this reload from its cache, but the browser finds
        # the new sw.js, which deletes the caches, unregisters and reloads the page.
        page.reload()
        expect(page.locator("main:not([data-service-worker])")).to_be_attached(timeout=60_000)
        deadline = time.monotonic() + 30
        while page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") or cached(page):
            assert time.monotonic() < deadline, "the production worker or its caches stayed"
            page.wait_for_timeout(250)
        assert page.evaluate("navigator.serviceWorker.controller") is None
        expect(page.locator("#offline-fact")).to_have_count(0)  # the development page registers none

        chapter = project_copy / "chapter" / "11-5-race.md"
        for n in (1, 2):
            sentence = f"Edit number {n}, made while serving."
            chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
            fetch_until(url, sentence, log)
            page.reload()
            expect(page.get_by_text(sentence)).to_be_attached()
        assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
        assert page.watch.console_errors == []
    finally:
        server.terminate()
        server.wait(timeout=10)
