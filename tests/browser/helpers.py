"""What the browser tests do on the page, written once: open a watched page, find a cell,
put code into its editor and run it, read its status and output, and audit the page with
axe-core. The site is served under its sub-path by ``build.site_handler``.

Imported as ``browser.helpers`` (``tests`` is on pytest's ``pythonpath``); the fixtures
stay in ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from conftest import SUBPATH

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules/axe-core/axe.min.js"

FIRST_RUN_MS = 60_000  # Pyodide starts in a few seconds here; leave room for a busy machine
CHARTS_MS = 45_000  # the charts' first drawing, Plotly's 1 MB included, when a test draws them all at once
RUN_MS = 30_000
DONE = re.compile(r"Done in [\d,]+ ms")
# the two screens a first-time reader is most likely to bring
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"}
PHONE = {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "has_touch": True}


# ── pages ────────────────────────────────────────────────────────────────────

# Save-Data on a fast connection: the page starts Python only when a cell is Run
# (cells.js, meteredOrSlow), not when a cell is hovered, focused or kept in view, and
# shows the same page otherwise.
SAVE_DATA = {"saveData": True, "effectiveType": "4g"}


def with_connection(context, **connection):
    """Every page of ``context`` reports ``connection`` (``saveData``, ``effectiveType``)
    as ``navigator.connection``, from before the page's own scripts run."""
    context.add_init_script(
        "Object.defineProperty(navigator, 'connection', {value: Object.assign(new EventTarget(), %s)})"
        % json.dumps(connection)
    )
    return context


def new_page(context_factory, **options):
    """A page in a new browser context made with ``options``; ``page.watch`` holds its
    console errors, failed requests and requests that tried to leave the machine."""
    context, watch = context_factory(**options)
    page = context.new_page()
    watch.attach(page)
    page.watch = watch
    return page


def wait_until(page, condition, what: str, timeout_ms: int = 3000):
    """Poll ``condition()`` from here (the page's CSP refuses Playwright's polled string
    predicates)."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting until {what}")


def with_clock(page):
    """Give the page Playwright's clock before it loads: time flows as usual, and
    ``let_time_pass`` can add minutes of a reader's time in an instant."""
    page.clock.install()
    return page


def let_time_pass(page, ms: int, step: int = 1000):
    """``ms`` of the page's time (timers, Date) pass at once, in steps, each followed by
    a moment of real time for what the timers start (promises, fetches, a worker)."""
    for _ in range(max(1, ms // step)):
        page.clock.fast_forward(step)
        page.wait_for_timeout(30)


# Playwright's own default window, which a test on a shared page may change for a while
VIEWPORT = {"width": 1280, "height": 720}


def laid_out(page):
    """Wait until every section of a plain visit has been released (static/js/head.js):
    before that, a held-back section is not laid out and every box in it measures zero."""
    page.wait_for_function("() => !document.documentElement.classList.contains('sections-pending')")
    return page


def near(locator):
    """Scroll ``locator`` into view, as a reader does before using it: a quiz's form joins
    the page only as the reader nears the quiz (static/js/quiz.js)."""
    locator.scroll_into_view_if_needed()
    return locator


def as_opened(page):
    """A shared page put back as its context opened it: window, colour scheme and
    screen media, and a watch that starts empty."""
    page.set_viewport_size(page.options.get("viewport", VIEWPORT))
    page.emulate_media(media="screen", color_scheme=page.options.get("color_scheme", "light"))
    page.watch.clear()
    return page


def no_errors(page):
    # (not a test module: pytest does not rewrite these asserts, so they say what they saw)
    assert page.watch.console_errors == [], page.watch.console_errors
    assert page.watch.failed == [], page.watch.failed
    assert page.watch.outside == [], page.watch.outside


# What the dark scheme can change: site.css's dark scheme sets colours and nothing else
# (test_build.py checks), so in it only the rules that read colours can find more.
COLOUR_RULES = ("color-contrast", "link-in-text-block")


def axe_violations(page, within: str | None = None) -> list[str]:
    """axe-core's violations in the whole page, or in the elements that the selector
    ``within`` picks: one line per element; in the dark scheme, those of the
    ``COLOUR_RULES``. axe-core is evaluated by the driver, as the page's
    Content-Security-Policy does not govern it, so the page keeps its policy."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(f"() => {{ {AXE.read_text(encoding='utf-8')}\n}}")
    options = {"resultTypes": ["violations"]}
    if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches"):
        options["runOnly"] = {"type": "rule", "values": list(COLOUR_RULES)}
    return page.evaluate(
        """async ([within, options]) => (await axe.run(within ?? document, options))
            .violations.flatMap((v) => v.nodes.map((n) =>
                `${v.id} (${v.impact}): ${n.target.join(" ")} :: ${n.failureSummary}`))""",
        [within, options],
    )


# ── cells ────────────────────────────────────────────────────────────────────


def cells(page):
    return page.locator("figure.cell[data-cell]")


def open_page(page, server):
    """Go to the chapter and wait until its cells are mounted; returns the cells."""
    page.goto(server)
    laid_out(page)
    expect(cells(page).first).to_be_visible()
    expect(cells(page).first.get_by_role("button", name="Run")).to_be_visible()
    return cells(page)


def status(cell):
    return cell.get_by_role("status")


def output(cell):
    return cell.locator(".cell-output")


def set_code(cell, code: str, *, editor_ms: int = 10_000):
    """Open the editor (a click on the code) and replace the code with ``code``."""
    editor = cell.locator(".cm-content")
    # the code, or the editor that replaced it (a cell with saved edits opens its editor
    # by itself once the page is idle, so which of the two is there can change)
    cell.locator(".cell-source pre, .cm-content").first.click()
    expect(editor).to_be_visible(timeout=editor_ms)
    editor.click()
    editor.press("ControlOrMeta+a")
    cell.page.keyboard.insert_text(code)
    expect(editor).to_contain_text(code.splitlines()[0])


def run(cell, code: str | None = None, *, timeout=FIRST_RUN_MS, expect_done=True):
    """Press Run (after putting ``code`` into the editor, if given) and, unless
    ``expect_done`` is false, wait until the status says it is done."""
    if code is not None:
        set_code(cell, code)
    cell.get_by_role("button", name="Run").click()
    if expect_done:
        expect(status(cell)).to_have_text(DONE, timeout=timeout)
