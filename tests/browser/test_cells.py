"""Live Python cells in real Chromium, against the local Pyodide core (no numpy wheel).

Runs use pure-Python code only: the local core has no numpy, which is also how the
"package cannot be downloaded" case is tested. Pyodide's first start takes seconds
on a small machine, so waits for a first run are generous.
"""

from __future__ import annotations

import gzip
import re
import time

import pytest
from playwright.sync_api import expect

import build
from session import MAX_LINES
from browser.helpers import (
    DONE, FIRST_RUN_MS, RUN_MS, SUBPATH, axe_violations, cells, let_time_pass, near, open_page, output, run, set_code,
    status, wait_until, with_clock,
)


# ── helpers ──────────────────────────────────────────────────────────────────


def editor_text(cell) -> str:
    """Every line of the editor's code, read as a reader on a screen tall enough for the
    whole editor reads it: CodeMirror draws only the lines near the window."""
    page, editor = cell.page, cell.locator(".cm-editor")
    size = page.viewport_size
    height = editor.evaluate("e => Math.ceil(e.getBoundingClientRect().height)")
    if height + 100 > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height + 100})
    editor.evaluate("e => { e.scrollIntoView({ block: 'start' }); "
                    "return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); }")
    text = "\n".join(cell.locator(".cm-content .cm-line").all_text_contents()).replace("\u200b", "")
    page.set_viewport_size(size)
    return text


def prerun_text(cell) -> str:
    """The build's printed output in the cell (charts redraw, so they are left out), as
    the page holds it: its section may not have been laid out yet."""
    return output(cell).locator("pre.cell-stdout").first.text_content()


# ── editing and running ──────────────────────────────────────────────────────


def test_the_editor_loads_only_when_the_reader_engages(page, server):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    all_cells = open_page(page, server)
    cell = all_cells.first
    page.wait_for_timeout(500)
    assert not [u for u in requests if u.endswith("/assets/js/editor.js")]
    assert not [u for u in requests if "/assets/pyodide/" in u], "Pyodide loaded before a Run or idle warm-up"
    expect(cell.locator(".cell-source pre.code")).to_be_visible()
    cell.locator(".cell-source pre").click()
    expect(cell.locator(".cm-editor")).to_be_visible(timeout=10_000)
    assert [u for u in requests if u.endswith("/assets/js/editor.js")]
    original = cell.get_attribute("data-cell")
    assert f"{original}" and "import" in editor_text(cell)
    # visible text is "Run"; the accessible name says which cell
    run_button = cell.get_by_role("button", name="Run")
    expect(run_button).to_have_text("Run")
    names = page.locator(".cell-run").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert len(set(names)) == len(names) == all_cells.count()


def test_edit_and_run_a_cell(live_page):
    page = live_page
    cell = cells(page).first
    prerun = prerun_text(cell)
    assert prerun.strip()
    set_code(cell, "total = sum(range(10))\nprint('total is', total)")
    expect(output(cell).locator("pre.cell-stdout").first).to_have_text(prerun)  # kept until the run
    run(cell)
    expect(output(cell).locator("pre.cell-stdout")).to_have_text("total is 45\n")
    expect(output(cell).locator(".plot")).to_have_count(0)
    assert page.watch.console_errors == []
    assert page.watch.outside == []


@pytest.mark.parametrize("keys", ["Shift+Enter", "Control+Enter"])
def test_keyboard_runs_the_cell(live_page, keys):
    page = live_page
    cell = cells(page).first
    set_code(cell, "print('from the keyboard')")
    cell.locator(".cm-content").press(keys)
    expect(status(cell)).to_have_text(DONE, timeout=FIRST_RUN_MS)
    expect(output(cell)).to_contain_text("from the keyboard")
    assert "\n" not in editor_text(cell)  # the key ran the cell; it typed nothing


def test_shift_enter_on_the_pre_rendered_code_runs_it(page, server):
    cell = open_page(page, server).first
    pre = cell.locator(".cell-source pre")
    pre.focus()
    pre.press("Enter")
    expect(cell.locator(".cm-editor")).to_be_visible(timeout=10_000)
    expect(cell.locator(".cm-content")).to_be_focused()


def test_tab_indents_and_escape_then_tab_leaves_the_editor(page, server):
    cell = open_page(page, server).first
    set_code(cell, "if True:")
    content = cell.locator(".cm-content")
    content.press("End")
    content.press("Enter")
    content.press("Tab")
    assert editor_text(cell).startswith("if True:\n")
    expect(content).to_be_focused()  # Tab stayed in the editor
    content.press("Escape")
    page.keyboard.press("Tab")
    expect(cell.get_by_role("button", name="Run")).to_be_focused()
    hint = page.locator("#" + content.get_attribute("aria-describedby"))
    expect(hint).to_contain_text("Escape, then Tab")


def test_a_name_defined_in_one_cell_is_seen_by_the_next(live_page):
    page = live_page
    first, second = cells(page).first, cells(page).nth(1)
    run(first, "shared_answer = 41")
    run(second, "print(shared_answer + 1)", timeout=RUN_MS)
    expect(output(second)).to_contain_text("42")


def test_a_traceback_shows_the_cells_own_line_numbers(live_page):
    page = live_page
    cell = cells(page).first
    name = cell.get_attribute("data-cell")
    code = "x = 1\ny = 2\n\ndef f():\n    raise ValueError('boom')\n\nf()"
    run(cell, code, expect_done=False)
    expect(status(cell)).to_contain_text("Error", timeout=FIRST_RUN_MS)
    error = output(cell).locator("pre.cell-error")
    expect(error).to_contain_text(f'File "<cell {name}>", line 7, in <module>')
    expect(error).to_contain_text(f'File "<cell {name}>", line 5, in f')
    expect(error).to_contain_text("raise ValueError('boom')")
    expect(error).to_contain_text("ValueError: boom")
    text = error.inner_text()
    assert "session.py" not in text and "pyodide" not in text.lower()


def test_a_syntax_error_points_at_the_line(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "a = 1\nb = (2,\nprint(a b)", expect_done=False)
    expect(output(cell).locator("pre.cell-error")).to_contain_text("SyntaxError", timeout=FIRST_RUN_MS)
    expect(output(cell).locator("pre.cell-error")).to_contain_text("line ")


# ── stopping ─────────────────────────────────────────────────────────────────


def stop_runaway(cell):
    """Run an endless loop and Stop it. How soon Stop answers (budget: 1 s) is a figure
    of `make bench`, not a timed assertion here, where a busy machine would decide it."""
    run(cell, "while True:\n    pass", expect_done=False)
    expect(status(cell)).to_have_text("Running…", timeout=FIRST_RUN_MS)
    stop = cell.get_by_role("button", name="Stop")
    expect(stop).to_have_attribute("aria-disabled", "false")
    stop.click()
    expect(status(cell)).to_contain_text("Stopped", timeout=RUN_MS)


def test_stop_ends_a_runaway_loop_and_the_next_run_works(live_page):
    page = live_page
    cell = cells(page).first
    stop_runaway(cell)
    expect(status(cell)).to_contain_text("session restarted")
    workers = page.evaluate("performance.getEntriesByType('resource').filter(e => e.name.endsWith('webworker.js')).length")
    assert workers >= 1
    run(cell, "print('alive again')")
    expect(output(cell)).to_contain_text("alive again")
    assert page.watch.console_errors == []


def test_a_run_that_goes_on_starts_a_standby_python_that_the_run_after_stop_uses(live_page):
    page = live_page
    warnings, workers = [], []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    page.on("worker", lambda worker: workers.append(worker))
    cell = cells(page).first
    main = page.locator("main")
    stop_runaway(cell)  # (a standby an earlier test's long run left is used up)
    expect(status(cell)).to_contain_text("session restarted")
    expect(main).not_to_have_attribute("data-standby", "ready")
    run(cell, "print('short')")
    started = len(workers)
    page.wait_for_timeout(3000)
    assert len(workers) == started and main.get_attribute("data-standby") is None  # a short run starts none
    # a run that goes on may be one the reader stops: a second Python starts meanwhile
    run(cell, "while True:\n    pass", expect_done=False)
    expect(main).to_have_attribute("data-standby", "ready", timeout=FIRST_RUN_MS)
    heap = int(main.get_attribute("data-standby-heap"))
    assert heap >= 2**20, heap  # the started standby's WebAssembly memory, in bytes
    cell.get_by_role("button", name="Stop").click()
    expect(status(cell)).to_contain_text("session restarted")
    expect(main).not_to_have_attribute("data-standby", "ready")  # it took over
    cell.evaluate("""figure => {
        window.__states = [];
        new MutationObserver(() => __states.push(figure.dataset.state))
            .observe(figure, {attributes: true, attributeFilter: ["data-state"]});
    }""")
    draw = "import random\nprint(random.random())"
    run(cell, draw)
    first_draw = output(cell).inner_text()
    states = page.evaluate("__states")
    assert "running" in states and "loading" not in states, states
    # each Python is restored from the same memory snapshot, yet draws its own numbers
    stop_runaway(cell)
    run(cell, draw)
    assert 0 < float(first_draw) < 1 and output(cell).inner_text() != first_draw
    assert not any("snapshot" in w for w in warnings), warnings  # all were restored
    assert page.watch.console_errors == []


def spoiled_digest(site):
    """The site's snapshot whose digest of the memory its difference was taken against
    (memory-image.js: the header's third word) no longer matches: undoing it would give
    Python a wrong memory."""
    unpacked = bytearray(gzip.decompress((site / build.PYODIDE_SNAPSHOT).read_bytes()))
    assert unpacked[:4] == b"ch11"
    unpacked[8] ^= 1
    return gzip.compress(bytes(unpacked), 1)


@pytest.mark.parametrize(("served", "said"), [
    (lambda site: gzip.compress(b"not a memory snapshot" * 8), "(not a memory snapshot of this site)"),
    (spoiled_digest, "(the snapshot's difference was taken against another module's memory)"),
], ids=["not-a-snapshot", "made-against-another-module"])
def test_a_snapshot_that_cannot_be_restored_costs_only_time(page, server, site, served, said):
    body = served(site)
    page.route("**/memory-snapshot.gz", lambda route: route.fulfill(body=body, content_type="application/gzip"))
    warnings = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    cell = open_page(page, server).first
    run(cell, "import random\nprint(sum(range(10)), 0 <= random.random() < 1)", timeout=FIRST_RUN_MS)
    expect(output(cell)).to_have_text("45 True\n")
    assert any(f"snapshot could not be used {said}" in w for w in warnings), warnings
    assert page.watch.console_errors == [] and page.watch.failed == []


def test_stop_on_a_queued_cell_cancels_it_and_two_cells_queue(live_page):
    page = live_page
    first, second = cells(page).first, cells(page).nth(1)
    run(first, "print('warm')")
    set_code(first, "import time\ntime.sleep(1.5)\nmarker = 'first'\nprint('first done')")
    set_code(second, "print('second sees', marker)")
    first.get_by_role("button", name="Run").click()
    second.get_by_role("button", name="Run").click()
    expect(status(second)).to_contain_text("Queued")
    expect(status(first)).to_have_text(DONE, timeout=RUN_MS)
    expect(status(second)).to_have_text(DONE, timeout=RUN_MS)
    expect(output(second)).to_contain_text("second sees first")
    # queued then stopped: it never runs
    set_code(second, "print('must not run')")
    first.get_by_role("button", name="Run").click()
    second.get_by_role("button", name="Run").click()
    expect(status(second)).to_contain_text("Queued")
    second.get_by_role("button", name="Stop").click()
    expect(status(second)).to_have_text("Stopped before it ran.")
    expect(status(first)).to_have_text(DONE, timeout=RUN_MS)
    page.wait_for_timeout(300)
    assert "must not run" not in output(second).inner_text()


def test_run_twice_quickly_runs_once(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "count = 0")
    set_code(cell, "count += 1\nprint('count', count)")
    button = cell.get_by_role("button", name="Run")
    button.evaluate("b => { b.click(); b.click(); }")  # a double click faster than any run
    expect(status(cell)).to_have_text(DONE, timeout=RUN_MS)
    page.wait_for_timeout(500)
    expect(output(cell)).to_have_text("count 1\n")


# ── output ───────────────────────────────────────────────────────────────────


def test_printed_html_is_shown_as_text(live_page):
    page = live_page
    cell = cells(page).first
    payload = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
    run(cell, f"print({payload!r})\nimport sys\nprint({payload!r}, file=sys.stderr)")
    expect(output(cell).locator("pre.cell-stdout")).to_contain_text(payload)
    expect(output(cell).locator(".cell-stderr")).to_contain_text(payload)
    assert output(cell).locator("img, b").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None


def test_cell_code_cannot_reach_the_page(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "import js\nprint(type(js).__name__, hasattr(js, 'document'))")
    expect(output(cell)).to_contain_text("False")
    run(cell, "import js\njs.document.body.innerHTML = 'gone'", expect_done=False)
    expect(output(cell).locator("pre.cell-error")).to_contain_text("AttributeError", timeout=RUN_MS)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def wait_at_bottom(pre):
    """Until the output box has scrolled to its last line."""
    at_bottom = "p => p.scrollHeight > p.clientHeight && p.scrollTop + p.clientHeight >= p.scrollHeight - 4"
    wait_until(pre.page, lambda: pre.evaluate(at_bottom), "the output box scrolled to its last line", 10_000)


def test_a_long_output_keeps_its_last_line_in_view_unless_the_reader_scrolled_up(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "import time\nfor i in range(300):\n    print('line', i)\n    if i == 150: time.sleep(0.5)")
    pre = output(cell).locator("pre.cell-stdout")
    expect(pre).to_contain_text("line 299")
    wait_at_bottom(pre)
    # scrolled up while lines arrive: the box stays where the reader put it
    run(cell, "import time\nfor i in range(300):\n    print('line', i, flush=i == 100)\n    if i == 100: time.sleep(2)",
        expect_done=False)
    expect(pre).not_to_contain_text("line 299")  # the first run's box is gone
    expect(pre).to_contain_text("line 100")
    # the box has followed its text; the reader scrolls it back up while more is to come
    wait_at_bottom(pre)
    pre.evaluate("p => { p.scrollTop = 0; }")
    expect(pre).not_to_contain_text("line 101", timeout=100)
    expect(status(cell)).to_have_text(DONE, timeout=RUN_MS)
    expect(pre).to_contain_text("line 299")
    page.wait_for_timeout(200)
    assert pre.evaluate("p => p.scrollTop") == 0


def test_a_million_lines_are_capped_and_the_page_stays_responsive(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "print('ready')")
    run(cell, "for i in range(1_000_000):\n    print(i)", expect_done=False)
    expect(status(cell)).to_have_text("Running…", timeout=RUN_MS)
    started = time.perf_counter()
    assert page.evaluate("1 + 1") == 2
    quiz = near(page.locator(".quiz").first)
    quiz.get_by_label("Your answer").fill("abc")
    quiz.get_by_role("button", name="Check").click()
    expect(quiz.get_by_role("status")).not_to_have_text("", timeout=2_000)
    assert time.perf_counter() - started < 3
    expect(status(cell)).to_have_text(DONE, timeout=120_000)
    expect(output(cell)).to_contain_text("Output truncated")
    text = output(cell).locator("pre.cell-stdout").inner_text()
    lines = text.splitlines()
    assert lines[0] == "0" and lines[-1] == str(MAX_LINES - 1) and len(lines) == MAX_LINES
    assert page.evaluate("1 + 1") == 2


def test_plot_xy_on_plain_lists_draws_a_chart_without_an_import(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "plot_xy([1, 2, 1048576], [1, 4, 9], title='Squares')\nprint('drawn')")
    chart = output(cell).locator(".plot")
    expect(chart).to_have_attribute("aria-label", "Chart: Squares")
    expect(chart.locator(".js-plotly-plot, .main-svg").first).to_be_visible(timeout=15_000)
    assert output(cell).locator(".js-plotly-plot").count() == 1
    rows = output(cell).locator("details.plot-data tbody tr")
    # the same strings the build prints under its charts (plotting.format_number)
    expect(rows.nth(2)).to_have_text("1,048,5769")
    expect(output(cell)).to_contain_text("drawn")


def test_input_and_sys_exit_are_handled(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "name = input('Your name? ')", expect_done=False)
    expect(output(cell).locator("pre.cell-error")).to_contain_text(
        "input() is not available in the page", timeout=FIRST_RUN_MS
    )
    run(cell, "import sys\nprint('before')\nsys.exit(3)\nprint('after')", expect_done=False)
    expect(status(cell)).to_contain_text("sys.exit(3)", timeout=RUN_MS)
    expect(output(cell)).to_contain_text("before")
    assert "after" not in output(cell).locator("pre.cell-stdout").inner_text()
    run(cell, "def down(n):\n    return down(n + 1)\n\ndown(0)", expect_done=False)
    expect(output(cell).locator("pre.cell-error")).to_contain_text("RecursionError", timeout=RUN_MS)
    run(cell, "print('still here')", timeout=RUN_MS)
    expect(output(cell)).to_have_text("still here\n")


def test_memory_exhaustion_and_a_dying_interpreter_leave_the_page_working(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "big = [0] * 2 ** 30  # 4 GB of pointers: more than wasm32 can address", expect_done=False)
    expect(output(cell).locator("pre.cell-error")).to_contain_text("MemoryError", timeout=FIRST_RUN_MS)
    run(cell, "import os\nos._exit(1)", expect_done=False)
    expect(status(cell)).to_contain_text("The Python runtime crashed", timeout=RUN_MS)
    expect(status(cell)).to_contain_text("session restarted")
    run(cell, "print('a new session')", timeout=FIRST_RUN_MS)
    expect(output(cell)).to_have_text("a new session\n")


# ── failures, reset, persistence ─────────────────────────────────────────────


def test_numpy_that_cannot_be_downloaded_says_so_and_run_works_again(live_page):
    page = live_page
    wheels = []

    def on_request(request):
        if request.url.endswith(".whl"):
            wheels.append(request.url)

    page.on("request", on_request)
    cell = cells(page).first
    prerun = prerun_text(cell)
    run(cell, "import numpy as np\nprint(np.arange(3))", expect_done=False)
    expect(status(cell)).to_contain_text("Could not download numpy from http", timeout=FIRST_RUN_MS)
    expect(status(cell)).to_contain_text("Try Run again")
    expect(output(cell).locator("pre.cell-stdout").first).to_have_text(prerun)  # the build's output is kept
    expect(output(cell).locator(".plot").first).to_be_attached()
    assert len(wheels) == 1 and "/numpy-" in wheels[0]
    cell.get_by_role("button", name="Run").click()  # a retry really tries again, and says so again
    deadline = time.monotonic() + RUN_MS / 1000
    while len(wheels) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(wheels) == 2
    expect(status(cell)).to_contain_text("Could not download numpy", timeout=RUN_MS)
    run(cell, "print('no numpy needed')", timeout=RUN_MS)
    expect(output(cell)).to_have_text("no numpy needed\n")
    # now the output is a live run's, and the message does not pretend it is the build's
    run(cell, "import numpy", expect_done=False)
    expect(status(cell)).to_contain_text("Could not download numpy", timeout=RUN_MS)
    expect(status(cell)).not_to_contain_text("pre-run output")
    expect(output(cell)).to_have_text("no numpy needed\n")
    page.remove_listener("request", on_request)


def test_a_runtime_that_cannot_be_downloaded_says_so_and_run_can_retry(page, server):
    blocked = {"on": True}

    def block(route):
        if blocked["on"]:
            route.abort()
        else:
            route.continue_()

    page.route("**/assets/pyodide/**", block)
    cell = open_page(page, server).first
    prerun = prerun_text(cell)
    run(cell, "print('hello')", expect_done=False)
    expect(status(cell)).to_contain_text("Could not download the Python runtime (Pyodide)", timeout=FIRST_RUN_MS)
    expect(output(cell).locator("pre.cell-stdout").first).to_have_text(prerun)
    blocked["on"] = False
    run(cell)
    expect(output(cell)).to_have_text("hello\n")


def test_reset_restores_the_code_and_the_pre_run_output(page, server):
    cell = open_page(with_clock(page), server).first
    original = cell.locator(".cell-source pre").text_content()
    prerun = prerun_text(cell)
    charts = output(cell).locator(".plot").count()
    run(cell, "print('changed')")
    expect(cell.get_by_text("Edited — Reset restores the original.")).to_be_visible()
    cell.get_by_role("button", name="Reset").click()
    assert editor_text(cell).strip() == original.strip()
    expect(output(cell).locator("pre.cell-stdout").first).to_have_text(prerun)
    expect(output(cell).locator(".plot")).to_have_count(charts)
    output(cell).locator(".plot").first.scroll_into_view_if_needed()  # charts are drawn as they near the view
    let_time_pass(page, 5000)  # once Python has been quiet a while (quiet.js)
    expect(output(cell).locator(".plot .main-svg").first).to_be_visible(timeout=15_000)
    expect(status(cell)).to_have_text("Reset to the original code and its pre-run output.")
    expect(cell.locator(".cell-edited")).to_be_hidden()
    page.wait_for_timeout(600)
    page.reload()
    expect(cells(page).first.locator(".cell-edited")).to_be_hidden()
    assert cells(page).first.locator(".cell-source pre").text_content().strip() == original.strip()


def test_edited_code_survives_a_reload(page, server):
    cell = open_page(page, server).first
    set_code(cell, "kept = 'across reloads'\nprint(kept)")
    page.reload()  # at once: the save that waits for a pause in typing is flushed as the page goes
    cell = cells(page).first
    expect(cell.get_by_text("Edited — Reset restores the original.")).to_be_visible()
    # in the build's <pre>, or in the editor that replaces it once the page is idle
    expect(cell.locator(".cell-source")).to_contain_text("kept = 'across reloads'")
    run(cell)
    expect(output(cell)).to_have_text("across reloads\n")
    page.get_by_role("button", name="Clear my saved answers and code").click()
    expect(page.locator("#clear-saved-status")).to_contain_text("1 edited code cell")
    expect(cell.locator(".cell-edited")).to_be_hidden()
    page.reload()
    expect(cells(page).first.locator(".cell-edited")).to_be_hidden()


# ── cross-origin isolated: Stop interrupts and keeps the session ─────────────


@pytest.fixture(scope="module")
def isolated_server(site):
    class Isolated(build.site_handler(site, SUBPATH)):
        def end_headers(self):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            super().end_headers()

    httpd = build.local_server(0, Isolated).start()
    yield httpd.origin + SUBPATH
    httpd.stop()


def test_when_isolated_stop_interrupts_without_restarting(context_factory, isolated_server):
    context, watch = context_factory()
    page = context.new_page()
    page.goto(isolated_server)
    assert page.evaluate("crossOriginIsolated") is True
    cell = cells(page).first
    run(cell, "kept = 'still here'")
    stop_runaway(cell)
    expect(status(cell)).to_have_text("Stopped. The session is still running.")
    run(cell, "print(kept)", timeout=RUN_MS)
    expect(output(cell)).to_have_text("still here\n")


# ── accessibility and looks ──────────────────────────────────────────────────


LIVE_CODE = (
    "from plotting import plot_xy\n"
    "squares = [n * n for n in range(1, 9)]\n"
    "print('n² for n = 1…8:', squares)\n"
    "plot_xy(range(1, 9), squares, title='Squares', xlabel='n', ylabel='n²')"
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_in_a_live_cell(live_page, scheme):
    page = live_page
    page.emulate_media(color_scheme=scheme)
    cell = cells(page).first
    run(cell, LIVE_CODE)
    run(cells(page).nth(1), "raise ValueError('shown')", expect_done=False)
    expect(output(cells(page).nth(1)).locator("pre.cell-error")).to_be_visible(timeout=RUN_MS)
    expect(output(cell).locator(".main-svg").first).to_be_visible(timeout=15_000)
    assert axe_violations(page, "figure.cell") == []


@pytest.mark.parametrize("width,scheme", [(375, "light"), (375, "dark"), (1280, "light"), (1280, "dark")])
def test_screenshot_of_a_live_cell(live_page, screenshots_dir, width, scheme):
    page = live_page
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    cell = cells(page).first
    run(cell, LIVE_CODE)
    expect(output(cell).locator(".main-svg").first).to_be_visible(timeout=15_000)
    # the printed line is one piece, before the chart
    expect(output(cell).locator("pre.cell-stdout")).to_have_text("n² for n = 1…8: [1, 4, 9, 16, 25, 36, 49, 64]\n")
    page.wait_for_timeout(300)
    # the cell is taller than the window (its editor shows all the code): shoot the
    # window from the toolbar down, which holds what changed
    toolbar = cell.locator(".cell-toolbar")
    toolbar.evaluate("t => t.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    box = cell.bounding_box()
    top = max(0, toolbar.bounding_box()["y"] - 60)
    page.screenshot(path=str(screenshots_dir / f"cell-live-{width}-{scheme}.png"),
                    clip={"x": box["x"], "y": top, "width": box["width"], "height": 900 - top})


# ── more hostile input ───────────────────────────────────────────────────────


def test_a_minute_of_sleep_is_stopped_and_the_next_run_works(live_page):
    page = live_page
    cell = cells(page).first
    run(cell, "import time\nprint('sleeping')\ntime.sleep(60)\nprint('woke')", expect_done=False)
    expect(status(cell)).to_have_text("Running…", timeout=FIRST_RUN_MS)
    cell.get_by_role("button", name="Stop").click()
    # well before the minute is out (how soon: a figure of make bench, stop_runaway)
    expect(status(cell)).to_contain_text("Stopped", timeout=RUN_MS)
    run(cell, "print('awake')", timeout=FIRST_RUN_MS)
    expect(output(cell)).to_contain_text("awake")
    assert "woke" not in output(cell).inner_text()


def test_run_while_the_runtime_is_still_loading(page, server):
    held = []  # Python's memory snapshot is held back until both cells have been asked to run
    page.route("**/memory-snapshot.gz", lambda route: held.append(route))
    first, second = open_page(page, server).first, cells(page).nth(1)
    set_code(first, "loaded_from = 'first'\nprint('first ran')")
    set_code(second, "print('second ran after', loaded_from)")
    first.get_by_role("button", name="Run").click()
    expect(status(first)).to_contain_text(re.compile("Downloading Python|Loading"), timeout=5_000)
    second.get_by_role("button", name="Run").click()  # the runtime is not ready yet
    first.get_by_role("button", name="Run").click(force=True)  # and a second press on the first (ignored)
    expect(status(second)).to_contain_text(re.compile("Downloading Python|Loading|Queued"))
    assert held, "the snapshot was never asked for"
    for route in held:
        route.continue_()
    expect(status(first)).to_have_text(DONE, timeout=FIRST_RUN_MS)
    expect(status(second)).to_have_text(DONE, timeout=RUN_MS)
    expect(output(second)).to_contain_text("second ran after first")
    assert output(first).inner_text().count("first ran") == 1  # the second press was ignored
    assert page.watch.console_errors == []


def test_a_pure_python_run_makes_no_console_errors_or_failed_requests(page, server):
    cell = open_page(page, server).first
    run(cell, "import json, math\nprint(json.dumps({'pi': round(math.pi, 3)}))")
    expect(output(cell)).to_contain_text('{"pi": 3.142}')
    page.wait_for_timeout(300)
    assert page.watch.console_errors == []
    assert page.watch.failed == []
    assert page.watch.outside == []
