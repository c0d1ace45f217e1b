"""The benchmark: our chapter page against a PyScript peer page, side by side.

    .venv/bin/python tests/bench/run.py [--runs 5] [--cycles 20] [--out bench-results.json]

What it does:

* builds the site with ``--pyodide local`` into a temporary folder and serves it, with
  the peer page, from one static server of its own on 127.0.0.1 (gzip for text and
  wasm, as a static host would; correct MIME types for .mjs and .wasm). The peer is the
  same chapter with PyScript running its cells (``tests/bench/peer.py`` makes it from the
  built page; PyScript's ``@pyscript/core`` is copied from node_modules). Both pages
  load the very same Pyodide files: ours from ``site/assets/pyodide/``, the peer's
  interpreter is pointed at that folder;
* drives Debian's Chromium with Playwright, alternating ours and the peer (A B A B),
  ``--runs`` times each, every navigation in a fresh browser with a fresh profile;
* soaks Stop and Run (``--soaks`` times each page, alternated; the figures are the
  medians): one more visit of each page stops a runaway loop and runs a
  cell once, takes the page's JS heap (after a garbage collection) and the resident
  memory of the Chromium processes (with service workers stopped, as a reader's
  browser has them 30 s after their last event: ``soak_reading``), does ``--cycles``
  more Stop/Run cycles (20 by default, 0 skips) and takes both again;
* prints a table of medians and ours/peer ratios, the budgets as PASS/FAIL lines,
  and writes everything to a JSON file (``bench-results.json``, git-ignored).

The cells' code imports numpy, which the local Pyodide core does not have (no
wheels offline), so every Run timing uses the same pure-Python cell in both pages,
typed into the editor of the same cell (``BENCH_CELL``): ``print(sum(i*i for i in range(10_000)) + K)``
with a different K per run, so each run waits for its own output line.

Budgets are reported, not enforced: the script exits 0 when it measured, non-zero
only when it could not (no browser, build failed, no run of a page completed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import http.server
import json
import mimetypes
import operator
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import build  # noqa: E402  (the local server and its MIME types, as --serve and the tests have them)
sys.path.insert(0, str(ROOT / "tests"))
from chromium import CHROMIUM, FLAGS, UNSEEN_UI, launch_options  # noqa: E402
sys.path.insert(0, str(HERE))
from peer import PeerError, chapter_peer  # noqa: E402

# Only the Stop/Run soak calls window.gc() before it reads the JS heap.
SOAK_FLAGS = ["--js-flags=--expose-gc"]
PYSCRIPT_DIST = ROOT / "node_modules/@pyscript/core/dist"
LIGHTHOUSE = ROOT / "node_modules/.bin/lighthouse"
BENCH_CELL = "scaling_costs"  # the cell both pages type the bench's code into
BENCH_CODE = "print(sum(i*i for i in range(10_000)) + {k})"
BENCH_VALUE = sum(i * i for i in range(10_000))
STOP_CODE = "while True:\n    pass"
SLIDERS = ("Context length", "Bit-width")
SLIDER_MOVES = 100
STANDBY_RSS_BUDGET = 160 * 10**6  # bytes: one more Python in Chromium's memory (README)
PEER_IDLE_S = 8.0            # how long the peer sits idle before its "after warm-up" run
WARMUP_WAIT_S = 30.0         # longest wait for our warm-up to finish
IDLE_CHECK_S = 6.0           # how long the page is left alone to see that Python does not start by itself
RUN_TIMEOUT_S = 60.0         # longest wait for one Run's output (a cold start included)

KINDS = ("html", "our_js", "third_party_js", "css", "fonts", "pyodide", "other")
# Files of ours that are third-party code: the esbuild bundle of CodeMirror 6.
BUNDLED_THIRD_PARTY = ("assets/js/editor.js",)


def log(message: str) -> None:
    print(message, flush=True)


# ── serving ───────────────────────────────────────────────────────────────────

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/wasm",
                "application/x-ipynb+json")


class Served:
    """Files under one folder, read once, with their gzip form (level 6) ready."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.cache: dict[Path, tuple[bytes, bytes | None, str]] = {}
        self.lock = threading.Lock()
        self.requested: list[str] = []  # each request's path, in order

    def get(self, path: Path):
        with self.lock:
            if path not in self.cache:
                body = path.read_bytes()
                kind = build.MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                packed = gzip.compress(body, 6, mtime=0) if kind.startswith(COMPRESSIBLE) else None
                self.cache[path] = (body, packed, kind)
            return self.cache[path]

    def warm(self) -> None:
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                self.get(path.resolve())


def make_handler(served: Served):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.respond(head=False)

        def do_HEAD(self):
            self.respond(head=True)

        def respond(self, head: bool):
            rel = unquote(urlparse(self.path).path).lstrip("/")
            served.requested.append(rel)
            path = (served.root / rel).resolve()
            if served.root not in path.parents and path != served.root:
                return self.plain(403, b"forbidden\n", head)
            if path.is_dir():
                if not self.path.split("?")[0].endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", urlparse(self.path).path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path = path / "index.html"
            if not path.is_file():
                return self.plain(404, b"not found\n", head)
            body, packed, kind = served.get(path)
            use_gzip = packed is not None and "gzip" in self.headers.get("Accept-Encoding", "")
            payload = packed if use_gzip else body
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "max-age=600")  # as GitHub Pages sends
            if packed is not None:
                self.send_header("Vary", "Accept-Encoding")
            if use_gzip:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            if not head:
                self.wfile.write(payload)

        def plain(self, code: int, text: bytes, head: bool):
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            if not head:
                self.wfile.write(text)

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def serving(root: Path, served: Served | None = None):
    """Serve `root` on 127.0.0.1; yields the base URL. Pass `served` to read its requests."""
    served = served or Served(root)
    served.warm()
    httpd = build.local_server(0, make_handler(served)).start()
    try:
        yield httpd.origin + "/"
    finally:
        httpd.stop()


# ── staging: the built site and the peer page in one folder ──────────────────


def build_site(out: Path, *flags: str) -> None:
    """Build the site with ``--pyodide local`` (and `flags`) into `out`; exits if it fails."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--pyodide", "local", *flags, "--out", str(out), "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: the site ({' '.join(flags) or 'as it ships'}) did not build:\n{done.stdout}{done.stderr}")


def stage(into: Path) -> dict:
    """Build the site (--pyodide local) into `into/site`, the peer into `into/peer`."""
    started = time.perf_counter()
    build_site(into / "site")
    peer = into / "peer"
    if not PYSCRIPT_DIST.is_dir():
        raise SystemExit("bench: node_modules/@pyscript/core is missing: run 'npm ci'")
    shutil.copytree(PYSCRIPT_DIST, peer / "pyscript", ignore=shutil.ignore_patterns("*.map"))
    ours = (into / "site" / "index.html").read_text(encoding="utf-8")
    try:
        page = chapter_peer(ours, ROOT / "runnable")
    except PeerError as error:
        raise SystemExit(f"bench: the peer could not be made from the built page: {error}") from None
    (peer / "index.html").write_text(page, encoding="utf-8")
    notes = []
    pyodide_version = json.loads((ROOT / "node_modules/pyodide/package.json").read_text())["version"]
    pyscript_version = json.loads((PYSCRIPT_DIST.parent / "package.json").read_text())["version"]
    return {"seconds": time.perf_counter() - started, "notes": notes,
            "pyodide": pyodide_version, "pyscript": pyscript_version}


def classify(url: str) -> str:
    path = urlparse(url).path
    name = path.rsplit("/", 1)[-1]
    if "/assets/pyodide/" in path:
        return "pyodide"
    if name.endswith((".woff2", ".woff", ".ttf", ".otf")):
        return "fonts"
    if name.endswith(".css"):
        return "css"
    if name.endswith(".html") or path.endswith("/"):
        return "html"
    if name.endswith((".js", ".mjs")):
        if "/pyscript/" in path or "/vendor/" in path or any(path.endswith(p) for p in BUNDLED_THIRD_PARTY):
            return "third_party_js"
        return "our_js"
    return "other"


def gz9(data: bytes) -> int:
    return len(gzip.compress(data, 9, mtime=0))


# ── the browser ───────────────────────────────────────────────────────────────


class Visit:
    """One fresh browser (new profile folder) with one page, its requests and guard."""

    def __init__(self, playwright, base: str, kind: str, *, probe_interactive: bool = False,
                 extra_flags: list[str] | None = None):
        self.kind = kind
        self.base = base
        self.outside: list[str] = []
        self.requests: list = []
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        self.workers = 0
        self.context = None
        self.alive: set = set()  # the page's workers not yet closed
        self.closed_at: dict = {}  # worker → time.monotonic() of its close
        self.ended_by_stop: set = set()  # the workers alive at the last Stop, one of them ended by it
        self.stopped_at = 0.0  # time.monotonic() of the last Stop
        self.profile = tempfile.mkdtemp(prefix="bench-profile-")
        try:
            self._open(playwright, probe_interactive, extra_flags or [])
        except Exception:
            self.close()
            raise

    def _open(self, playwright, probe_interactive: bool, extra_flags: list[str]):
        self.context = playwright.chromium.launch_persistent_context(
            self.profile, **launch_options(playwright.chromium, FLAGS + extra_flags), headless=True,
            viewport={"width": 1280, "height": 800}, timeout=60_000,
        )
        # Only requests that leave 127.0.0.1 are intercepted (the pattern is matched
        # by the browser side), so local requests pay nothing for the guard.
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])(?!data:)(?!blob:)"), self._guard)
        self.context.add_init_script(path=str(HERE / "bench.js"))
        if self.kind == "ours":
            self.context.add_init_script(script="window.__bench && __bench.watchWorkers();")
        if probe_interactive:
            self.context.add_init_script(
                script=f"document.addEventListener('readystatechange', () => window.__bench && "
                       f"__bench.pollInteractive({json.dumps(SLIDERS[0])}, 30000), {{once: true}});"
            )
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("worker", self._on_worker)
        self.page.on("dialog", lambda d: d.accept())  # PyScript's Stop asks "Stop evaluating this code?"
        self.page.set_default_timeout(30_000)

    def _on_worker(self, worker):
        self.workers += 1
        self.alive.add(worker)

        def closed(w):
            self.alive.discard(w)
            self.closed_at[w] = time.monotonic()

        worker.on("close", closed)

    def _guard(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def url(self) -> str:
        return self.base + ("site/" if self.kind == "ours" else "peer/")

    def close(self):
        if self.context is not None:
            with contextlib.suppress(Exception):
                self.context.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- helpers -------------------------------------------------------------

    def timing(self) -> dict:
        return self.page.evaluate("""() => {
            const n = performance.getEntriesByType('navigation')[0];
            return {timeOrigin: performance.timeOrigin, load: n ? n.loadEventEnd : null,
                    dcl: n ? n.domContentLoadedEventEnd : null, now: performance.now()};
        }""")

    def wait_ms(self, ms: float):
        self.page.wait_for_timeout(ms)

    def pyodide_requests(self) -> list:
        return [r for r in self.requests if "/assets/pyodide/" in r.url]

    def first_pyodide_request_ms(self, time_origin: float) -> float | None:
        """When the first Pyodide file was requested, in the page's performance.now()."""
        started = [r.timing["startTime"] for r in self.pyodide_requests() if r.timing]
        return min(started) - time_origin if started else None

    def bytes_before(self, cutoff_epoch_ms: float, staged: Path) -> dict:
        """Bytes on the wire of the requests started before the cutoff, by kind, and
        the gzip -9 size of our HTML, CSS and JS among them."""
        by_kind = {k: 0 for k in KINDS}
        counts = {k: 0 for k in KINDS}
        gz = {"html": 0, "css": 0, "our_js": 0, "third_party_js": 0}
        raw = {"html": 0, "css": 0, "our_js": 0, "third_party_js": 0}
        files = []
        for request in list(self.requests):
            if not request.url.startswith(self.base):
                continue
            started = request.timing.get("startTime", -1) if request.timing else -1
            if started is None or started < 0 or started > cutoff_epoch_ms:
                continue
            kind = classify(request.url)
            try:
                response = request.response()
                size = request.sizes()["responseBodySize"] if response else 0
            except Exception:
                size = 0
            by_kind[kind] += size
            counts[kind] += 1
            rel = unquote(urlparse(request.url).path).lstrip("/")
            local = staged / rel
            if local.is_dir():
                local = local / "index.html"
            if kind in gz and local.is_file():
                data = local.read_bytes()
                gz[kind] += gz9(data)
                raw[kind] += len(data)
            files.append({"url": request.url[len(self.base):], "kind": kind, "bytes": size})
        # The service worker's script is fetched by register() once the page is idle,
        # which the page's request events do not show: our JS counts it whenever the
        # page has one to register.
        worker = self.page.evaluate("""() => {
            const name = document.getElementById("main")?.dataset.serviceWorker;
            return name ? new URL(name, document.baseURI).href : null;
        }""")
        if self.kind == "ours" and worker and worker.startswith(self.base):
            data = (staged / unquote(urlparse(worker).path).lstrip("/")).read_bytes()
            gz["our_js"] += gz9(data)
            raw["our_js"] += len(data)
            files.append({"url": worker[len(self.base):], "kind": "our_js", "bytes": None})
        return {"wire": by_kind, "count": counts, "gzip9": gz, "raw": raw, "files": files,
                "wire_total": sum(by_kind.values()),
                "gzip9_html_css_js": sum(gz.values()), "gzip9_own_js": gz["our_js"]}

    # -- cells ---------------------------------------------------------------

    def bench_cell(self) -> str:
        """The cell that runs the bench's code: the same cell of the chapter on both pages."""
        selector = f'script[data-cell="{BENCH_CELL}"]' if self.kind == "peer" else f'figure.cell[data-cell="{BENCH_CELL}"]'
        self.page.wait_for_selector(selector, state="attached", timeout=30_000)
        return BENCH_CELL

    def cell(self, name: str):
        if self.kind == "peer":
            return self.page.locator(f'script[data-cell="{name}"] + py-editor')
        return self.page.locator(f'figure.cell[data-cell="{name}"]')

    def run_button(self, name: str):
        if self.kind == "peer":
            return self.cell(name).locator(".py-editor-run-button")
        return self.cell(name).get_by_role("button", name=re.compile(r"^Run\b"))

    def stop_button(self, name: str):
        if self.kind == "peer":  # PyScript's Run button turns into Stop while running
            return self.cell(name).locator(".py-editor-run-button.running")
        return self.cell(name).get_by_role("button", name=re.compile(r"^Stop\b"))

    def set_code(self, name: str, code: str):
        """Replace the cell's code as a reader would: click in the editor, select all, type."""
        content = self.cell(name).locator(".cm-content").first
        if self.kind == "ours" and not content.count():
            # Our cells show the build's highlighted code until the reader engages;
            # a click swaps in the editor.
            self.cell(name).locator(".cell-source pre").first.click()
        content.wait_for(state="visible", timeout=30_000)
        content.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(code)
        text = content.inner_text().replace("\u00a0", " ")
        if code.splitlines()[0].strip() not in text:
            raise RuntimeError(f"could not type into the editor of {name}: it shows {text[:80]!r}")

    def timed_run(self, name: str, k: int, timeout_s: float = RUN_TIMEOUT_S) -> float:
        """Type the bench cell, click Run, return ms from the click to its output line."""
        self.set_code(name, BENCH_CODE.format(k=k))
        expected = str(BENCH_VALUE + k)
        button = self.run_button(name)
        button.wait_for(state="visible", timeout=30_000)
        self.page.evaluate("([kind, name, text, t]) => __bench.armText(kind, name, text, t)",
                           [self.kind, name, expected, timeout_s * 1000])
        clicks_before = self.page.evaluate("__bench.clicks.length")
        button.click()
        t1 = self.page.evaluate("__bench.collectText()")
        clicks = self.page.evaluate("__bench.clicks.map(c => c.t)")
        if t1 is None:
            raise RuntimeError(f"no output {expected} within {timeout_s:.0f} s; cell: "
                               f"{self.page.evaluate('([k, n]) => __bench.cellState(k, n)', [self.kind, name])}")
        if len(clicks) <= clicks_before:
            raise RuntimeError("the Run click was not seen by the page")
        self.last_click_at, self.last_output_at = clicks[clicks_before], t1
        return t1 - clicks[clicks_before]

    def standby(self) -> dict:
        """Our page's standby Python as <main> says it: {ready, heap (bytes)}; the peer
        has none."""
        if self.kind != "ours":
            return {"ready": None, "heap": None}
        return self.page.evaluate("(() => { const m = document.getElementById('main');"
                                  " return {ready: m?.dataset.standby === 'ready',"
                                  " heap: Number(m?.dataset.standbyHeap) || null}; })()")

    def stop_latency(self, name: str, k: int = 90, standby_started: bool = False) -> dict:
        """Run `while True: pass`, press Stop, time until the cell accepts a new run;
        then run the bench cell (with `k`) and time that run too. With `standby_started`,
        our page's Stop waits until the standby has started, so that the memory read
        just before it holds the whole standby."""
        self.set_code(name, STOP_CODE)
        rss_before_loop = chromium_rss_bytes()
        self.run_button(name).click()
        stop = self.stop_button(name)
        if self.kind == "ours":
            self.page.wait_for_selector(f'figure.cell[data-cell="{name}"][data-state="running"]',
                                        timeout=RUN_TIMEOUT_S * 1000)
        else:
            stop.wait_for(state="attached", timeout=10_000)
        # Let the loop spin in Python for a while (after a cold start, the runtime
        # may still be loading when Stop becomes available: wait for that too).
        self.wait_ms(1500)
        self.page.evaluate("([kind, name, t]) => __bench.armIdle(kind, name, t)", [self.kind, name, 30_000])
        # ours starts a Python in reserve once a run has gone on for a moment: is it
        # there at the Stop, how large is its WebAssembly heap, and how much did
        # Chromium's memory grow while the loop ran (ours: the reserve, as far as it
        # has started; all of it with `standby_started`)
        if standby_started and self.kind == "ours":
            self.page.wait_for_selector('main[data-standby="ready"]', state="attached", timeout=30_000)
        rss_at_stop = chromium_rss_bytes()
        standby = self.standby()
        clicks_before = self.page.evaluate("__bench.clicks.length")
        self.ended_by_stop, self.stopped_at = set(self.alive), time.monotonic()
        stop.click()
        t1 = self.page.evaluate("__bench.collectIdle()")
        clicks = self.page.evaluate("__bench.clicks.map(c => c.t)")
        if t1 is None:
            raise RuntimeError("the cell did not accept a new run within 30 s of Stop; cell: "
                               f"{self.page.evaluate('([k, n]) => __bench.cellState(k, n)', [self.kind, name])}")
        result = {"stop_ms": t1 - clicks[clicks_before], "standby_at_stop": standby["ready"],
                  "standby_heap": standby["heap"], "rss_before_loop": rss_before_loop, "rss_at_stop": rss_at_stop,
                  "rss_loop_growth": rss_at_stop - rss_before_loop}
        try:
            result["run_after_stop_ms"] = self.timed_run(name, k)
        except Exception as error:  # noqa: BLE001 - reported, not fatal
            result["run_after_stop_error"] = str(error)
        return result


# ── the measurements of one page in one run ──────────────────────────────────


def visit_passive(playwright, base: str, kind: str, staged: Path, run: int) -> dict:
    """Fresh profile. Bytes before any action (to load + 1 s); that Python does not
    start with the page left alone; then the bench's cell scrolled into view and kept
    there, as a reader about to run it does: when Python starts and when it is ready;
    then the run after that warm-up, a second run, slider latency and Stop."""
    out: dict = {}
    with Visit(playwright, base, kind) as visit:
        visit.page.goto(visit.url(), wait_until="load", timeout=60_000)
        timing = visit.timing()
        wait = max(0.0, timing["load"] + 1000 - timing["now"])
        visit.wait_ms(wait)
        cutoff = timing["timeOrigin"] + timing["load"] + 1000
        out["load_ms"] = timing["load"]
        out["bytes"] = visit.bytes_before(cutoff, staged)
        out["pyodide_bytes_before_action"] = out["bytes"]["wire"]["pyodide"]
        name = visit.bench_cell()
        out["cell"] = name

        # Python starts on a sign of intent only: not with the page left alone, but
        # once a cell's code has stayed in view for a moment. Times are from the scroll.
        warm = {"flag": None}
        if kind == "ours":
            visit.wait_ms(max(0.0, IDLE_CHECK_S * 1000 - wait))
            warm["started_idle"] = visit.first_pyodide_request_ms(timing["timeOrigin"]) is not None
            scrolled = visit.page.evaluate(
                "(n) => { document.querySelector(`figure.cell[data-cell='${n}'] .cell-source`)"
                ".scrollIntoView({block: 'center'}); return performance.now(); }", name)
            deadline = time.monotonic() + WARMUP_WAIT_S
            flag_done = None
            while time.monotonic() < deadline:
                state = visit.page.evaluate(WARM_STATE_JS)
                if state.get("ready"):
                    flag_done = state
                    break
                visit.wait_ms(100)
            first = visit.first_pyodide_request_ms(timing["timeOrigin"])
            warm["start_ms"] = first - scrolled if first is not None and not warm["started_idle"] else None
            warm["started"] = first is not None
            warm["done"] = bool(flag_done)
            warm["done_ms"] = flag_done.get("t") - scrolled if flag_done else None
            warm["flag"] = flag_done.get("how") if flag_done else WARM_STATE_HELP
            if not flag_done and warm["started"]:
                # No flag: fall back to "every Pyodide file has arrived" plus 1 s.
                visit.wait_ms(1000)
        else:
            visit.wait_ms(PEER_IDLE_S * 1000)
            warm["start_ms"] = visit.first_pyodide_request_ms(timing["timeOrigin"])
            warm["started"] = warm["start_ms"] is not None
            warm["done"] = False
            warm["flag"] = f"PyScript has no warm-up: this run comes after {PEER_IDLE_S:.0f} s idle"
        out["warmup"] = warm

        for key, k, fn in (
            ("first_output_warm_ms", 2 * run + 1000, lambda k: visit.timed_run(name, k)),
            ("second_run_after_warm_ms", 2 * run + 2000, lambda k: visit.timed_run(name, k)),
        ):
            try:
                out[key] = fn(k)
            except Exception as error:  # noqa: BLE001
                out[key] = None
                out.setdefault("errors", []).append(f"{key}: {error}")

        if kind == "ours":
            out["slider"] = {}
            for label in SLIDERS:
                try:
                    out["slider"][label] = slider_latency(visit, label)
                except Exception as error:  # noqa: BLE001
                    out["slider"][label] = None
                    out.setdefault("errors", []).append(f"slider {label}: {error}")
        try:
            out.update(visit.stop_latency(name))
        except Exception as error:  # noqa: BLE001
            out["stop_ms"] = None
            out.setdefault("errors", []).append(f"stop: {error}")
        out["outside_requests"] = list(visit.outside)
        out["page_errors"] = list(visit.errors)
    return out


def visit_cold(playwright, base: str, kind: str, run: int) -> dict:
    """Fresh profile. Instruments interactive, then Run at once (cold), then again."""
    out: dict = {}
    with Visit(playwright, base, kind, probe_interactive=True) as visit:
        visit.page.goto(visit.url(), wait_until="load", timeout=60_000)
        timing = visit.timing()
        out["load_ms"] = timing["load"]
        result = visit.page.evaluate("__bench.collectInteractive()")
        out["instruments_interactive_ms"] = result.get("t") if result else None
        if not result or result.get("t") is None:
            out.setdefault("errors", []).append(
                f"instruments: no slider labelled {SLIDERS[0]!r} changed an aria-live readout in 30 s")
        name = visit.bench_cell()
        before = len(visit.pyodide_requests())
        out["pyodide_requests_before_cold_click"] = before
        try:
            out["first_output_cold_ms"] = visit.timed_run(name, 2 * run + 3000)
            # Our page starts Python when the reader presses on a cell's code or points
            # at Run, so by the click it may already be loading. The time from the first
            # Pyodide request to the output compares the two start-ups; where Python is
            # ready before the click, it also counts the wait for the click (an upper
            # bound of the start-up, never in our favour).
            first = visit.first_pyodide_request_ms(timing["timeOrigin"])
            if first is not None:
                out["first_output_cold_from_pyodide_ms"] = visit.last_output_at - first
                out["cold_python_head_start_ms"] = visit.last_click_at - first
        except Exception as error:  # noqa: BLE001
            out["first_output_cold_ms"] = None
            out.setdefault("errors", []).append(f"cold: {error}")
        try:
            out["second_run_ms"] = visit.timed_run(name, 2 * run + 4000)
        except Exception as error:  # noqa: BLE001
            out["second_run_ms"] = None
            out.setdefault("errors", []).append(f"second: {error}")
        out["outside_requests"] = list(visit.outside)
        out["page_errors"] = list(visit.errors)
    return out


# ── the Stop/Run soak ─────────────────────────────────────────────────────────


def chromium_rss_bytes() -> int:
    """Resident memory (VmRSS) of the Chromium processes under this one, in bytes: the
    browser Playwright launched (or this process did) and its renderer, GPU and utility
    processes, not the Playwright driver between them. A page shared by several
    processes counts in each."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                pass
    total = 0
    todo = [(pid, False) for pid in children.get(os.getpid(), [])]
    while todo:
        pid, inside = todo.pop()
        if not inside:
            with contextlib.suppress(OSError):
                inside = Path(os.readlink(f"/proc/{pid}/exe")).name.startswith("chrom")
        if inside:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        todo.extend((child, inside) for child in children.get(pid, []))
    return total


def soak_reading(visit: Visit, cdp) -> dict:
    """The page's JS heap after a full garbage collection (CDP Performance.getMetrics:
    the page's main thread, not its workers), the Chromium processes' resident memory,
    and the workers started so far. Taken in the same quiet state each time: a second
    after the last run, a short one, and once the worker that the last Stop ended has
    closed. Chromium gives a terminated worker that is busy in a loop 2 s before it
    ends it by force, and its memory goes with it: without that wait, a page whose run
    after Stop comes sooner would be read with the old worker still there. (A Stop
    that interrupts Python instead of ending its worker, in a cross-origin isolated
    page, would fail the soak here; neither page is isolated.) How long after the Stop
    that worker closed is recorded, and whether our page then holds a standby Python
    (it should not: a short run starts none, and the Stop before it used the one the
    runaway loop started).

    The memory is read with service workers stopped (CDP ServiceWorker.stopAllWorkers),
    and also just before (``rss_sw_running``; the difference is ``sw_freed``). Chromium
    stops a service worker 30 s after its last event, but one that DevTools is attached
    to, as Playwright is to every service worker of its contexts, runs until the browser
    closes. Our page registers its worker at the first quiet moment of the soak, which
    then installs it and keeps Python's files; from then on the soak gives it nothing to
    do (its routes answer Python's files without it), so by the last reading a reader's
    browser would have stopped it, and Playwright's would not (stopping it there freed 8
    to 13 MB in single readings, 5 December). At the first reading it may still be at
    work, or not yet registered. The peer has none."""
    visit.wait_ms(1000)
    # Every worker alive at the last Stop has closed but the one that took over (ours:
    # the standby, if it was there; a fresh worker is not among them). Cycles come
    # faster than Chromium ends a busy worker, so a worker that an earlier Stop ended
    # may still be closing at this one: its closing says nothing of this Stop's.
    while len(visit.alive) > 1 and time.monotonic() - visit.stopped_at < 15:
        visit.wait_ms(50)
    if len(visit.alive) > 1:
        log(f"soak: {len(visit.alive)} workers still alive 15 s after the last Stop; read with them")
    ended = [visit.closed_at[w] for w in visit.ended_by_stop if w in visit.closed_at]
    if visit.ended_by_stop and not ended:
        raise RuntimeError("no worker closed within 15 s of the last Stop")
    ended_after = max(ended) - visit.stopped_at if ended else None
    standby = visit.standby()["ready"]
    if not visit.page.evaluate("typeof window.gc === 'function'"):
        raise RuntimeError("window.gc is missing: the soak's browser needs --js-flags=--expose-gc")
    visit.page.evaluate("window.gc()")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    visit.wait_ms(1000)  # each memory reading a second after what came before it
    running = chromium_rss_bytes()
    cdp.send("ServiceWorker.stopAllWorkers")
    visit.wait_ms(1000)
    rss = chromium_rss_bytes()
    return {"js_heap": metrics["JSHeapUsedSize"], "rss": rss, "rss_sw_running": running, "sw_freed": running - rss,
            "standby_ready": standby,
            "workers": visit.workers, "workers_alive": len(visit.alive), "stopped_worker_closed_after_s": ended_after}


def visit_soak(playwright, base: str, kind: str, cycles: int) -> dict:
    """Fresh profile. A first run (so Python is up), then one Stop/Run cycle (the runaway
    loop stopped, the bench cell run), a reading; `cycles` more cycles, a reading again.
    Every Stop ends the running Python on both pages (the peer's PyScript editor ends
    its worker and makes a fresh one; ours swaps in the standby or starts a new worker),
    so the cycles show whether what a Stop leaves behind is freed."""
    out: dict = {"cycles": cycles, "stop_ms": [], "run_after_stop_ms": []}
    with Visit(playwright, base, kind, extra_flags=SOAK_FLAGS) as visit:
        visit.page.goto(visit.url(), wait_until="load", timeout=60_000)
        cdp = visit.context.new_cdp_session(visit.page)
        cdp.send("Performance.enable")
        cdp.send("ServiceWorker.enable")  # for stopAllWorkers (soak_reading)
        name = visit.bench_cell()

        def cycle(i: int) -> None:
            # the first Stop waits for our standby to have started: what it added to
            # Chromium's memory then is its whole cost
            result = visit.stop_latency(name, k=6000 + i, standby_started=(i == 0))
            if "run_after_stop_error" in result:
                raise RuntimeError(f"cycle {i}: the run after Stop: {result['run_after_stop_error']}")
            if i == 0:
                out["loop_rss_growth"] = result["rss_loop_growth"]
            out["stop_ms"].append(result["stop_ms"])
            out["run_after_stop_ms"].append(result["run_after_stop_ms"])

        try:
            visit.timed_run(name, 5999)
            cycle(0)
            out["first"] = soak_reading(visit, cdp)
            for i in range(1, cycles + 1):
                cycle(i)
            out["last"] = soak_reading(visit, cdp)
        except Exception as error:  # noqa: BLE001
            out["fatal"] = f"{type(error).__name__}: {error}"
        out["cycles_done"] = max(0, len(out["stop_ms"]) - 1)
        out["workers_started"] = visit.workers
        out["console_errors"] = list(visit.console_errors) + list(visit.errors)
        out["outside_requests"] = list(visit.outside)
    return out


# How the bench knows our warm-up is done. It looks, in order, for a window
# flag, a data attribute on <main>, and a cell status that says the runtime is ready.
WARM_STATE_HELP = ("no readiness signal found: the page should set window.__pyodideReady = true "
                   "(or <main data-runtime='ready'>) when the warm-up has finished")
WARM_STATE_JS = """() => {
  const t = performance.now();
  if (window.__pyodideReady === true) return {ready: true, t, how: "window.__pyodideReady"};
  const main = document.querySelector('main#main');
  const rt = main && (main.dataset.runtime || main.dataset.pyodideState);
  if (rt && /^(ready|warm|loaded)$/i.test(rt)) return {ready: true, t, how: "main[data-runtime]=" + rt};
  const w = window.__bench && __bench.workerReady();
  if (w !== null && w !== undefined) return {ready: true, t: w, how: "the worker's {type: 'ready'} message, "
      + "seen by the bench's probe (the page exposes no flag; main[data-runtime='ready'] would do)"};
  return {ready: false};
}"""


def slider_latency(visit: Visit, label: str) -> dict:
    page = visit.page
    deadline = time.monotonic() + 30
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate("(l) => __bench.sliderReady(l)", label)
        if state == "ok":
            break
        if state == "chart not drawn":
            page.evaluate("(l) => { const i = [...document.querySelectorAll('figure.instrument')]"
                          ".find(f => f.textContent.includes(l)); if (i) i.scrollIntoView({block: 'center'}); }", label)
        visit.wait_ms(200)
    if state != "ok":
        raise RuntimeError(f"slider {label!r} not ready: {state}")
    samples = page.evaluate("([l, n]) => __bench.sliderLatency(l, n)", [label, SLIDER_MOVES])
    return {"samples": samples}


# ── build time and Lighthouse ─────────────────────────────────────────────────


def build_times(repeats: int) -> dict:
    """`python build.py` in a clean copy of the tree (no .cache, no _site), with
    node_modules symlinked; the copying is setup and is not timed."""
    skip = {".git", ".venv", "node_modules", "_site", ".cache", "test-artifacts", ".pytest_cache",
            ".hypothesis", "bench-results.json"}
    times, errors = [], []
    for _ in range(repeats):
        tree = Path(tempfile.mkdtemp(prefix="bench-build-"))
        try:
            for item in ROOT.iterdir():
                if item.name in skip or item.name.startswith(".build-"):
                    continue
                if item.is_dir():
                    shutil.copytree(item, tree / item.name, ignore=shutil.ignore_patterns("__pycache__", ".cache"))
                else:
                    shutil.copy2(item, tree / item.name)
            (tree / "node_modules").symlink_to(ROOT / "node_modules")
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "build.py", "-q"], cwd=tree, capture_output=True, text=True,
                                  timeout=300)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                errors.append((done.stdout + done.stderr)[-500:])
            else:
                times.append(elapsed)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
    return {"seconds": times, "median_s": statistics.median(times) if times else None, "errors": errors}


def lighthouse(url: str, out_json: Path) -> dict:
    # UNSEEN_UI stays on here: chrome-launcher passes a --disable-features of its own,
    # and Chromium would keep only a second one.
    flags = " ".join(["--headless=new", *FLAGS])
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out_json}", "--quiet",
               f"--chrome-flags={flags}", "--max-wait-for-load=60000"]
    if not LIGHTHOUSE.exists():
        return {"error": "node_modules/.bin/lighthouse is missing: run 'npm ci'", "seconds": 0.0}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": "Lighthouse took more than 240 s", "seconds": time.perf_counter() - started}
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or not out_json.is_file():
        return {"error": (done.stdout + done.stderr)[-800:], "seconds": elapsed}
    report = json.loads(out_json.read_text(encoding="utf-8"))
    scores = {key: (round(cat["score"] * 100) if cat.get("score") is not None else None)
              for key, cat in report["categories"].items()}
    failing = {}
    for key, cat in report["categories"].items():
        failed = []
        for ref in cat["auditRefs"]:
            audit = report["audits"].get(ref["id"], {})
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failed.append({"id": ref["id"], "score": audit["score"], "weight": ref["weight"],
                               "value": audit.get("displayValue")})
        failing[key] = failed
    metrics = {a: report["audits"][a].get("numericValue") for a in (
        "first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
        "speed-index", "interactive") if a in report["audits"]}
    return {"scores": scores, "failing_audits": failing, "metrics": metrics, "seconds": elapsed,
            "runtime_error": report.get("runtimeError"), "warnings": report.get("runWarnings", [])}


# ── summary ───────────────────────────────────────────────────────────────────


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, q):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    rank = q / 100 * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def summarise(runs: dict, lighthouse_runs: dict, build: dict, soak: dict | None = None) -> dict:
    s: dict = {}
    soak = soak or {}

    def field(kind, *path):
        values = []
        for run in runs[kind]:
            value = run
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            values.append(value)
        return values

    for kind in ("ours", "peer"):
        k = {}
        for key in KINDS:
            k[f"bytes_{key}"] = median(field(kind, "passive", "bytes", "wire", key))
        k["bytes_total"] = median(field(kind, "passive", "bytes", "wire_total"))
        k["gzip9_html_css_js"] = median(field(kind, "passive", "bytes", "gzip9_html_css_js"))
        k["gzip9_own_js"] = median(field(kind, "passive", "bytes", "gzip9_own_js"))
        k["pyodide_bytes_before_action"] = max((v for v in field(kind, "passive", "pyodide_bytes_before_action")
                                                if v is not None), default=None)
        k["load_ms"] = median(field(kind, "passive", "load_ms"))
        k["instruments_interactive_ms"] = median(field(kind, "cold", "instruments_interactive_ms"))
        k["first_output_cold_ms"] = median(field(kind, "cold", "first_output_cold_ms"))
        k["first_output_cold_from_pyodide_ms"] = median(field(kind, "cold", "first_output_cold_from_pyodide_ms"))
        k["cold_python_head_start_ms"] = median(field(kind, "cold", "cold_python_head_start_ms"))
        k["first_output_warm_ms"] = median(field(kind, "passive", "first_output_warm_ms"))
        k["second_run_ms"] = median(field(kind, "cold", "second_run_ms"))
        k["second_run_after_warm_ms"] = median(field(kind, "passive", "second_run_after_warm_ms"))
        k["stop_ms"] = median(field(kind, "passive", "stop_ms"))
        k["run_after_stop_ms"] = median(field(kind, "passive", "run_after_stop_ms"))
        k["standby_at_stop_runs"] = sum(1 for v in field(kind, "passive", "standby_at_stop") if v)
        k["standby_heap_bytes"] = median(field(kind, "passive", "standby_heap"))
        k["rss_before_loop"] = median(field(kind, "passive", "rss_before_loop"))
        k["rss_at_stop"] = median(field(kind, "passive", "rss_at_stop"))
        k["rss_loop_growth"] = median(field(kind, "passive", "rss_loop_growth"))
        warm = field(kind, "passive", "warmup")
        k["warmup_started_runs"] = sum(1 for w in warm if w and w.get("started"))
        k["warmup_started_idle_runs"] = sum(1 for w in warm if w and w.get("started_idle"))
        k["warmup_start_ms"] = median([w.get("start_ms") for w in warm if w])
        k["warmup_done_ms"] = median([w.get("done_ms") for w in warm if w])
        k["warmup_signal"] = next((w.get("flag") for w in warm if w), None)
        for label in SLIDERS:
            pooled = {"readout": [], "chart": [], "frame": [], "both": [], "handler": []}
            misses = 0
            for run in runs[kind]:
                entry = ((run.get("passive") or {}).get("slider") or {}).get(label)
                if not entry:
                    continue
                for sample in entry["samples"]:
                    for key in ("readout", "chart", "frame", "handler"):
                        pooled[key].append(sample.get(key))
                    if sample["readout"] is None or sample["chart"] is None:
                        misses += 1
                    else:
                        pooled["both"].append(max(sample["readout"], sample["chart"]))
            slug = "slider_" + re.sub(r"\W+", "_", label.lower()).strip("_")
            if pooled["both"] or misses:
                k[f"{slug}_median_ms"] = median(pooled["both"])
                k[f"{slug}_p95_ms"] = percentile(pooled["both"], 95)
                k[f"{slug}_readout_median_ms"] = median(pooled["readout"])
                k[f"{slug}_chart_median_ms"] = median(pooled["chart"])
                k[f"{slug}_frame_median_ms"] = median(pooled["frame"])
                k[f"{slug}_handler_median_ms"] = median(pooled["handler"])
                k[f"{slug}_handler_p95_ms"] = percentile(pooled["handler"], 95)
                k[f"{slug}_moves"] = len(pooled["both"]) + misses
                k[f"{slug}_missed"] = misses
        lh = [r for r in lighthouse_runs.get(kind, []) if "scores" in r]
        for cat in ("performance", "accessibility", "best-practices", "seo"):
            k[f"lighthouse_{cat}"] = median([r["scores"].get(cat) for r in lh])
        # each reading the median over the soaks; the counts, the worst soak's
        soaks = soak.get(kind) or []

        def reading(when, key):
            return median([s[when][key] for s in soaks if key in (s.get(when) or {})])

        k["soak_soaks"] = len(soaks) or None
        k["soak_cycles"] = min((s.get("cycles_done", 0) for s in soaks), default=None)
        k["soak_cycles_asked"] = soaks[0].get("cycles") if soaks else None
        k["soak_js_heap_first"] = reading("first", "js_heap")
        k["soak_js_heap_last"] = reading("last", "js_heap")
        k["soak_rss_first"] = reading("first", "rss")
        k["soak_rss_last"] = reading("last", "rss")
        k["soak_rss_sw_running_last"] = reading("last", "rss_sw_running")
        k["soak_sw_freed_last"] = reading("last", "sw_freed")
        k["soak_workers"] = min((s["workers_started"] for s in soaks if "workers_started" in s), default=None)
        k["soak_loop_rss_growth"] = median([s["loop_rss_growth"] for s in soaks if "loop_rss_growth" in s])
        k["soak_console_errors"] = (sum(len(s.get("console_errors", [])) for s in soaks) if soaks else None)
        s[kind] = k
    s["build_s"] = build.get("median_s")
    s["ratio"] = {}
    counts = {"soak_soaks", "soak_cycles", "soak_cycles_asked", "soak_workers", "soak_console_errors"}
    no_ratio = counts | {"soak_sw_freed_last"}  # the peer has no service worker: what it frees is noise
    for key, ours in s["ours"].items():
        peer = s["peer"].get(key)
        if key in no_ratio:
            continue
        if isinstance(ours, (int, float)) and isinstance(peer, (int, float)) and peer and not isinstance(ours, bool):
            s["ratio"][key] = ours / peer
    return s


# A budget's comparison, written once: it decides PASS or FAIL and is printed with the limit.
COMPARE = {"≤": operator.le, "<": operator.lt, "≥": operator.ge}


def budgets(s: dict) -> list[dict]:
    o = s["ours"]
    rows = []

    def check(name, value, sign, limit, unit=""):
        rows.append({"budget": name, "value": value, "limit": limit, "unit": unit, "sign": sign,
                     "status": "n/a" if value is None or limit is None
                     else ("PASS" if COMPARE[sign](value, limit) else "FAIL")})

    check("our HTML+CSS+JS before any action, gzipped", o["gzip9_html_css_js"], "≤", 600_000, "B")
    check("our own JS before any action, gzipped", o["gzip9_own_js"], "≤", 40_000, "B")
    check("Pyodide bytes before any action", o["pyodide_bytes_before_action"], "≤", 0, "B")
    check("runs where Python started with the page left alone", o.get("warmup_started_idle_runs"), "≤", 0)
    check("instruments interactive", o["instruments_interactive_ms"], "≤", 1000, "ms")
    check("first output, cold", o["first_output_cold_ms"], "≤", 4000, "ms")
    check("first output, after warm-up", o["first_output_warm_ms"], "≤", 300, "ms")
    check("re-run", o["second_run_ms"], "≤", 50, "ms")
    for label in SLIDERS:
        slug = "slider_" + re.sub(r"\W+", "_", label.lower()).strip("_")
        check(f"slider '{label}' median (readout and chart)", o.get(f"{slug}_median_ms"), "≤", 16, "ms")
    check("stop", o["stop_ms"], "≤", 1000, "ms")
    check("first output of the run after Stop", o["run_after_stop_ms"], "≤", 1000, "ms")
    check("build from a clean tree", s["build_s"], "≤", 3.0, "s")
    check("Lighthouse performance", o["lighthouse_performance"], "≥", 98)
    for cat in ("accessibility", "best-practices", "seo"):
        check(f"Lighthouse {cat}", o[f"lighthouse_{cat}"], "≥", 100)
    for key, label in (("bytes_total", "bytes before any action"), ("first_output_cold_ms", "first output, cold"),
                       ("stop_ms", "stop")):
        check(f"ours better than the peer: {label} (ours/peer)", s["ratio"].get(key), "<", 1.0, "×")
    for key, label, limit in (("first_output_cold_from_pyodide_ms", "Python start-up from its first request", 1.0),
                              ("second_run_ms", "the run right after the cold one", 1.2),
                              ("run_after_stop_ms", "first output of the run after Stop", 1.0)):
        check(f"ours at most {limit:g}× the peer: {label} (ours/peer)", s["ratio"].get(key), "≤", limit, "×")
    check("ours at least the peer: Lighthouse performance (ours/peer)", s["ratio"].get("lighthouse_performance"),
          "≥", 1.0, "×")
    # Every other figure that both pages have and where one side is plainly the better
    # (the lower; for Lighthouse's scores, the higher): ours ahead of the peer's or level.
    for key, label, sign in (("gzip9_html_css_js", "HTML+CSS+JS before any action, gzipped", "≤"),
                             ("load_ms", "load event", "≤"),
                             ("instruments_interactive_ms", "instruments interactive", "≤"),
                             ("first_output_warm_ms", "first output after the warm-up (peer: after idle)", "≤"),
                             ("second_run_after_warm_ms", "second run after the warm-up", "≤"),
                             ("soak_js_heap_last", "Stop/Run soak: JS heap after the further cycles", "≤"),
                             ("soak_rss_last", "Stop/Run soak: Chromium memory after the further cycles", "≤"),
                             ("lighthouse_accessibility", "Lighthouse accessibility", "≥"),
                             ("lighthouse_best-practices", "Lighthouse best practices", "≥"),
                             ("lighthouse_seo", "Lighthouse SEO", "≥")):
        check(f"ours level with the peer or ahead: {label} (ours/peer)", s["ratio"].get(key), sign, 1.0, "×")
    # The Stop/Run soak: what the further cycles add stays within the memory of the
    # first (the page's JS heap at most twice its size plus 5 MiB, the Chromium
    # processes at most twice theirs), every Stop started a new Python, nothing was
    # logged as an error.
    heap, rss, asked = o.get("soak_js_heap_first"), o.get("soak_rss_first"), o.get("soak_cycles_asked")
    check("Stop/Run soak: JS heap after the further cycles (≤ 2 × after one + 5 MiB)", o.get("soak_js_heap_last"),
          "≤", None if heap is None else 2 * heap + 5 * 2**20, "B")
    check("Stop/Run soak: Chromium memory after the further cycles (≤ 2 × after one)", o.get("soak_rss_last"),
          "≤", None if rss is None else 2 * rss, "B")
    check("Stop/Run soak: workers started (one per Stop at least)", o.get("soak_workers"),
          "≥", None if asked is None else asked + 1)
    check("Stop/Run soak: console errors", o.get("soak_console_errors"), "≤", 0)
    # The standby Python's whole cost in memory: what Chromium's grew by while the soak's
    # first loop ran and the standby started beside it (its Stop waits for the standby).
    check("standby Python, started: all it added to Chromium's memory", o.get("soak_loop_rss_growth"),
          "≤", STANDBY_RSS_BUDGET, "B")
    return rows


def fmt(value, unit="") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "B" or (isinstance(value, (int, float)) and unit == "bytes"):
        if abs(value) >= 1_000_000:
            return f"{value / 1e6:.2f} MB"
        if abs(value) >= 1000:
            return f"{value / 1e3:.1f} kB"
        return f"{value:.0f} B"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "×":
        return f"{value:.2f}×" if value >= 0.1 else f"{value:.3f}×"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


TABLE = [
    ("bytes before any action: HTML", "bytes_html", "B"),
    ("bytes before any action: our JS", "bytes_our_js", "B"),
    ("bytes before any action: third-party JS", "bytes_third_party_js", "B"),
    ("bytes before any action: CSS", "bytes_css", "B"),
    ("bytes before any action: fonts", "bytes_fonts", "B"),
    ("bytes before any action: Pyodide", "bytes_pyodide", "B"),
    ("bytes before any action: other", "bytes_other", "B"),
    ("bytes before any action: total (wire)", "bytes_total", "B"),
    ("HTML+CSS+JS before any action, gzip -9", "gzip9_html_css_js", "B"),
    ("own JS before any action, gzip -9", "gzip9_own_js", "B"),
    ("load event", "load_ms", "ms"),
    ("instruments interactive", "instruments_interactive_ms", "ms"),
    ("Python started with the page left alone (runs)", "warmup_started_idle_runs", ""),
    ("warm-up started after a cell was kept in view (runs)", "warmup_started_runs", ""),
    ("warm-up: first Pyodide request, from the scroll", "warmup_start_ms", "ms"),
    ("warm-up: ready, from the scroll", "warmup_done_ms", "ms"),
    ("first output, cold", "first_output_cold_ms", "ms"),
    ("first output, cold, from the first Pyodide request", "first_output_cold_from_pyodide_ms", "ms"),
    ("cold: Python started this long before the Run click", "cold_python_head_start_ms", "ms"),
    ("first output, after warm-up (peer: after idle)", "first_output_warm_ms", "ms"),
    ("second run (after cold)", "second_run_ms", "ms"),
    ("second run (after warm-up)", "second_run_after_warm_ms", "ms"),
    ("slider Context length: readout and chart, median", "slider_context_length_median_ms", "ms"),
    ("slider Context length: readout and chart, p95", "slider_context_length_p95_ms", "ms"),
    ("slider Context length: readout alone (median)", "slider_context_length_readout_median_ms", "ms"),
    ("slider Context length: chart alone (median)", "slider_context_length_chart_median_ms", "ms"),
    ("slider Context length: synchronous input handler (median)", "slider_context_length_handler_median_ms", "ms"),
    ("slider Context length: to the frame that paints it (median)", "slider_context_length_frame_median_ms", "ms"),
    ("slider Bit-width: readout and chart, median", "slider_bit_width_median_ms", "ms"),
    ("slider Bit-width: readout and chart, p95", "slider_bit_width_p95_ms", "ms"),
    ("slider Bit-width: readout alone (median)", "slider_bit_width_readout_median_ms", "ms"),
    ("slider Bit-width: chart alone (median)", "slider_bit_width_chart_median_ms", "ms"),
    ("slider Bit-width: synchronous input handler (median)", "slider_bit_width_handler_median_ms", "ms"),
    ("slider Bit-width: to the frame that paints it (median)", "slider_bit_width_frame_median_ms", "ms"),
    ("stop → cell accepts a new run", "stop_ms", "ms"),
    ("first output of the run after Stop", "run_after_stop_ms", "ms"),
    ("a standby Python was ready at the Stop (runs)", "standby_at_stop_runs", ""),
    ("standby Python: WebAssembly heap", "standby_heap_bytes", "B"),
    ("Chromium memory (RSS) before the runaway loop", "rss_before_loop", "B"),
    ("Chromium memory (RSS) at its Stop (ours: with the standby)", "rss_at_stop", "B"),
    ("Chromium memory the loop's 1.5 s added (ours: the standby)", "rss_loop_growth", "B"),
    ("Lighthouse performance", "lighthouse_performance", ""),
    ("Lighthouse accessibility", "lighthouse_accessibility", ""),
    ("Lighthouse best practices", "lighthouse_best-practices", ""),
    ("Lighthouse SEO", "lighthouse_seo", ""),
    ("Stop/Run soak: soaks (each figure below their median)", "soak_soaks", ""),
    ("Stop/Run soak: cycles after the first", "soak_cycles", ""),
    ("Stop/Run soak: JS heap after one cycle", "soak_js_heap_first", "B"),
    ("Stop/Run soak: JS heap after the further cycles", "soak_js_heap_last", "B"),
    ("Stop/Run soak: Chromium memory (RSS, service workers stopped) after one cycle", "soak_rss_first", "B"),
    ("Stop/Run soak: Chromium memory (RSS, service workers stopped) after the further cycles", "soak_rss_last", "B"),
    ("Stop/Run soak: … the same, read just before they were stopped", "soak_rss_sw_running_last", "B"),
    ("Stop/Run soak: … what stopping them freed", "soak_sw_freed_last", "B"),
    ("Stop/Run soak: workers started", "soak_workers", ""),
    ("Stop/Run soak: Chromium memory its first loop added (ours: the standby, started)", "soak_loop_rss_growth", "B"),
    ("Stop/Run soak: console errors", "soak_console_errors", ""),
]


def print_table(s: dict) -> None:
    width = max(len(row[0]) for row in TABLE) + 2
    log(f"\n{'median of the runs':<{width}}{'ours':>12}{'peer':>12}{'ours/peer':>11}")
    log("─" * (width + 35))
    for label, key, unit in TABLE:
        ours, peer = s["ours"].get(key), s["peer"].get(key)
        ratio = s["ratio"].get(key)
        log(f"{label:<{width}}{fmt(ours, unit):>12}{fmt(peer, unit):>12}{fmt(ratio, '×') if ratio else '':>11}")
    log(f"{'build from a clean tree':<{width}}{fmt(s['build_s'], 's'):>12}")


def markdown_table(s: dict, rows: list[dict]) -> str:
    """The table for the README's "Measuring" section."""
    lines = ["| median of the runs | ours | peer | ours/peer |", "|---|---:|---:|---:|"]
    for label, key, unit in TABLE:
        ours, peer, ratio = s["ours"].get(key), s["peer"].get(key), s["ratio"].get(key)
        if ours is None and peer is None:
            continue
        lines.append(f"| {label.strip()} | {fmt(ours, unit)} | {fmt(peer, unit)} | {fmt(ratio, '×') if ratio else ''} |")
    lines.append(f"| build from a clean tree | {fmt(s['build_s'], 's')} | | |")
    lines += ["", "| budget | value | limit | |", "|---|---:|---:|---|"]
    for row in rows:
        lines.append(f"| {row['budget']} | {fmt(row['value'], row['unit'])} | {row['sign']} {fmt(row['limit'], row['unit'])} "
                     f"| {row['status']} |")
    return "\n".join(lines)


# ── main ──────────────────────────────────────────────────────────────────────


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the chapter page against a PyScript peer.")
    parser.add_argument("--runs", type=int, default=5, help="runs of each page, alternated (default 5)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results.json", help="JSON results file")
    parser.add_argument("--lighthouse-runs", type=int, default=3, help="Lighthouse runs per page, alternated (0 skips)")
    parser.add_argument("--build-runs", type=int, default=3, help="clean builds to time (0 skips)")
    parser.add_argument("--cycles", type=int, default=20,
                        help="Stop/Run cycles of each memory soak after the first (0 skips the soaks)")
    parser.add_argument("--soaks", type=int, default=3, help="memory soaks per page, alternated (default 3)")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--pages", default="ours,peer", help=argparse.SUPPRESS)  # for debugging the bench
    args = parser.parse_args(argv)

    if not Path(CHROMIUM).exists():
        log(f"bench: Chromium is not at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        log("bench: playwright is not installed in this Python (make bench sets up .venv)")
        return 2

    began = time.perf_counter()
    results: dict = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_at_start": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {"runs": args.runs, "soak_cycles": args.cycles, "soaks": args.soaks, "slider_moves": SLIDER_MOVES, "bench_code": BENCH_CODE,
                     "peer_idle_s": PEER_IDLE_S, "chromium": CHROMIUM, "flags": FLAGS,
                     "features_disabled_in_visits": list(UNSEEN_UI)},
        "notes": [
            "The cells import numpy, which the local Pyodide core lacks; every Run timing uses "
            f"the same pure-Python cell in both pages: {BENCH_CODE.format(k='K')}",
            "our JS = static/js and instruments/*.js as shipped; third-party JS = Plotly, the esbuild "
            "bundle of CodeMirror (assets/js/editor.js) and PyScript; the peer loads our page's script "
            "for all but its cells, which counts as our JS there too",
            "bytes = response bodies on the wire (gzip from the bench server) of requests started "
            "before load + 1 s, before any action; gzip9 = the same files compressed with gzip -9",
        ],
        "runs": {"ours": [], "peer": []},
    }
    with tempfile.TemporaryDirectory(prefix="bench-stage-") as tmp:
        staged = Path(tmp)
        log("bench: building the site (--pyodide local) and staging the peer page …")
        info = stage(staged)
        results["versions"] = {"pyodide": info["pyodide"], "pyscript_core": info["pyscript"]}
        results["notes"] += info["notes"]
        for note in info["notes"]:
            log(f"bench: note: {note}")
        with serving(staged) as base, sync_playwright() as playwright:
            log(f"bench: serving {staged} at {base} (site/ and peer/)")
            pages = [k for k in ("ours", "peer") if k in args.pages.split(",")]
            for run in range(args.runs):
                for kind in pages:
                    entry: dict = {"run": run, "loadavg_before": os.getloadavg()[0]}
                    for flow, fn in (("cold", lambda: visit_cold(playwright, base, kind, run)),
                                     ("passive", lambda: visit_passive(playwright, base, kind, staged, run))):
                        t = time.perf_counter()
                        try:
                            entry[flow] = fn()
                        except Exception as error:  # noqa: BLE001
                            entry[flow] = {"fatal": f"{type(error).__name__}: {error}",
                                           "trace": traceback.format_exc(limit=4)}
                        errs = entry[flow].get("errors", []) + ([entry[flow]["fatal"]] if "fatal" in entry[flow] else [])
                        log(f"bench: run {run + 1}/{args.runs} {kind:<4} {flow:<7} {time.perf_counter() - t:5.1f} s"
                            + (f"  [{'; '.join(e.splitlines()[0][:160] for e in errs)}]" if errs else ""))
                    entry["loadavg_after"] = os.getloadavg()[0]
                    results["runs"][kind].append(entry)

            # single soaks of one page vary by more than the pages differ: several, alternated
            results["soak"] = {kind: [] for kind in pages}
            for i in range(args.soaks if args.cycles > 0 else 0):
                for kind in pages:
                    t = time.perf_counter()
                    try:
                        entry = visit_soak(playwright, base, kind, args.cycles)
                    except Exception as error:  # noqa: BLE001
                        entry = {"fatal": f"{type(error).__name__}: {error}", "trace": traceback.format_exc(limit=4)}
                    results["soak"][kind].append(entry)
                    errs = entry.get("console_errors", []) + ([entry["fatal"]] if "fatal" in entry else [])
                    log(f"bench: Stop/Run soak {i + 1}/{args.soaks} {kind:<4} 1 + {entry.get('cycles_done', 0)} cycles "
                        f"{time.perf_counter() - t:5.1f} s"
                        + (f"  [{'; '.join(e.splitlines()[0][:160] for e in errs)}]" if errs else ""))

            lh_runs: dict = {"ours": [], "peer": []}
            for i in range(args.lighthouse_runs):
                for kind in pages:
                    url = base + ("site/" if kind == "ours" else "peer/")
                    report = lighthouse(url, staged / f"lighthouse-{kind}-{i}.json")
                    lh_runs[kind].append(report)
                    log(f"bench: Lighthouse {kind:<4} {report.get('scores') or report.get('error', '')[:300]} "
                        f"({report['seconds']:.0f} s)")
            results["lighthouse"] = lh_runs

        if args.build_runs:
            log("bench: timing clean builds …")
            results["build"] = build_times(args.build_runs)
        else:
            results["build"] = {"median_s": None, "seconds": [], "errors": ["skipped"]}

    completed = {kind: sum(1 for e in results["runs"][kind] if "fatal" not in e.get("cold", {})
                           and "fatal" not in e.get("passive", {})) for kind in ("ours", "peer")}
    outside = sum(len(e.get(f, {}).get("outside_requests", [])) for k in ("ours", "peer")
                  for e in results["runs"][k] for f in ("cold", "passive"))
    outside += sum(len(e.get("outside_requests", [])) for soaks in results["soak"].values() for e in soaks)
    results["outside_requests_aborted"] = outside
    results["summary"] = summary = summarise(results["runs"], results["lighthouse"], results["build"], results["soak"])
    results["budgets"] = rows = budgets(summary)
    results["seconds"] = time.perf_counter() - began

    print_table(summary)
    log("")
    for row in rows:
        log(f"{row['status']:<4}  {row['budget']}: {fmt(row['value'], row['unit'])} "
            f"(budget {row['sign']} {fmt(row['limit'], row['unit'])})")
    log(f"\nrequests to hosts other than 127.0.0.1, aborted: {outside}")
    loads = [e.get("loadavg_before") for k in ("ours", "peer") for e in results["runs"][k]]
    if loads:
        log(f"1-minute load average during the runs: {min(loads):.1f} … {max(loads):.1f} on {os.cpu_count()} CPUs"
            + ("  (other work was running: figures are noisy)" if max(loads) > (os.cpu_count() or 1) else ""))
    log(f"completed runs: ours {completed['ours']}/{args.runs}, peer {completed['peer']}/{args.runs}; "
        f"{results['seconds']:.0f} s in all")
    results["markdown"] = markdown_table(summary, rows)
    if args.markdown:
        log("\n" + results["markdown"])
    args.out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    log(f"results: {args.out}")
    if not completed["ours"] or not completed["peer"]:
        log("bench: could not measure (no complete run of a page)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
