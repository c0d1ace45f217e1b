"""What a first-time reader meets, at 1280×900 in light and 390×844 in dark:
equations that fit or say they scroll, lines of readable length, charts whose parts
do not overlap, and contents one tap away on a phone."""

from __future__ import annotations

import json
import math
import re

import pytest
from playwright.sync_api import expect

from browser.helpers import (
    CHARTS_MS, DESKTOP, FIRST_RUN_MS, PHONE, SAVE_DATA, as_opened, axe_violations, cells, laid_out, let_time_pass, near, new_page,
    set_code, status, wait_until, with_clock, with_connection,
)

# the same two screens as pages loaded once for the module (see as_opened)
SHARED_SCREENS = [pytest.param("desktop", id="1280-light"), pytest.param("phone", id="390-dark")]


@pytest.fixture
def screen_page(request):
    """The module's shared page on the screen the test is parametrized with."""
    return as_opened(request.getfixturevalue(f"shared_{request.param}_page"))


def open_at(context_factory, server, screen, fragment=""):
    page = new_page(context_factory, **screen)
    page.goto(server + fragment)
    return laid_out(page)


def wait_for_equations(page):
    expect(page.locator("html[data-equations-measured='1']")).to_be_attached()


# ── equations ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("screen_page", SHARED_SCREENS, indirect=True)
def test_every_display_equation_fits_or_shows_that_it_scrolls(screen_page):
    page = screen_page
    wait_for_equations(page)
    boxes = page.locator(".math.display")
    assert boxes.count() >= 6
    desktop = page.options is DESKTOP
    for i in range(boxes.count()):
        box = boxes.nth(i)
        frame = box.locator("xpath=..")
        name = box.evaluate("b => b.closest('figure')?.id || b.closest('section').id + ' (in the text)'")
        box.scroll_into_view_if_needed()
        content, visible = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        if desktop:
            assert content <= visible + 1, f"{name}: {content}px of formula in a {visible}px box at 1280px"
        if content <= visible + 1:
            expect(frame.locator(".scroll-cue-end")).to_be_hidden()
            expect(box).not_to_have_attribute("tabindex", "0")
            continue
        # it scrolls: the right edge fades, an arrow shows, the keyboard can scroll it
        expect(frame.locator(".scroll-cue-end"), name).to_be_visible()
        expect(frame.locator(".scroll-cue-start"), name).to_be_hidden()
        # the fade eases in over 0.15 s: wait for the settled value
        wait_until(page, lambda: frame.evaluate("f => getComputedStyle(f, '::after').opacity") == "1",
                   f"{name}: the fade at the right edge shows")
        expect(box).to_have_attribute("tabindex", "0")
        label = box.evaluate("b => b.closest('figure.equation')?.querySelector('.anchor').textContent || 'Equation'")
        expect(box).to_have_attribute("aria-label", f"{label}, wider than the page: scroll sideways or use the arrow keys")
        box.focus()
        for _ in range(60):
            page.keyboard.press("ArrowRight")
            if box.evaluate("b => b.scrollLeft >= b.scrollWidth - b.clientWidth - 1"):
                break
        page.wait_for_timeout(300)  # let a smooth scroll settle
        assert box.evaluate("b => b.scrollLeft >= b.scrollWidth - b.clientWidth - 1"), f"{name}: keys did not reach the end"
        expect(frame.locator(".scroll-cue-end")).to_be_hidden()
        expect(frame.locator(".scroll-cue-start")).to_be_visible()
        # a tap on the arrow goes back
        frame.locator(".scroll-cue-start").click()
        wait_until(page, lambda: box.evaluate("b => b.scrollLeft < b.scrollWidth - b.clientWidth - 1"),
                   f"{name} scrolled back")
    assert page.watch.console_errors == []


def test_body_lines_stay_readable_at_desktop(shared_desktop_page):
    page = as_opened(shared_desktop_page)
    longest = page.evaluate(
        """() => {
        let best = '';
        for (const p of document.querySelectorAll('main p')) {
          if (p.closest('.instrument-body, .cell-output, .quiz-form')) continue;
          const lines = new Map();
          const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
          for (let n; (n = walker.nextNode()); ) {
            if (n.parentElement.closest('math')) continue;
            for (let i = 0; i < n.length; i++) {
              const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
              const rect = r.getClientRects()[0];
              if (!rect) continue;
              const key = Math.round(rect.top / 4);
              lines.set(key, (lines.get(key) || '') + n.data[i]);
            }
          }
          for (const line of lines.values()) if (line.length > best.length) best = line;
        }
        return best;
    }"""
    )
    # counted without inline math, so a line with math holds fewer characters still
    assert len(longest) <= 80, f"{len(longest)} characters: {longest!r}"


# ── charts ────────────────────────────────────────────────────────────────────

CHART_PARTS = """p => {
  const box = (el) => {
    if (!el) return null;
    const b = el.getBoundingClientRect();
    return b.width && b.height ? {left: b.left, top: b.top, right: b.right, bottom: b.bottom} : null;
  };
  const head = p.previousElementSibling?.classList.contains('plot-head') ? p.previousElementSibling : null;
  const texts = (sel) => [...p.querySelectorAll(sel)].map(box).filter(Boolean);
  return {
    parts: {
      title: box(head?.querySelector('.plot-title')),
      legend: box(head?.querySelector('.plot-legend')),
      'x-axis title': box(p.querySelector('.g-xtitle text')),
      'y-axis title': box(p.querySelector('.g-ytitle text')),
      toolbar: box(p.querySelector('.modebar')),
    },
    xticks: texts('.xtick text'),
    yticks: texts('.ytick text'),
  };
}"""


def overlap(a, b) -> bool:
    return a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5


def drawn_charts(page):
    plots = page.locator(".cell .plot")
    assert plots.count() >= 3
    for i in range(plots.count()):
        plot = plots.nth(i)
        plot.scroll_into_view_if_needed()
        expect(plot.locator(".main-svg").first).to_be_visible(timeout=CHARTS_MS)
        yield plot


@pytest.mark.parametrize("screen_page", SHARED_SCREENS, indirect=True)
def test_legend_axis_titles_and_toolbar_never_overlap(screen_page):
    page = screen_page
    for plot in drawn_charts(page):
        name = plot.get_attribute("aria-label")
        plot.hover()  # the toolbar shows
        found = plot.evaluate(CHART_PARTS)
        parts = {k: v for k, v in found["parts"].items() if v}
        assert {"x-axis title", "y-axis title", "toolbar"} <= parts.keys(), (name, parts.keys())
        names = list(parts)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not overlap(parts[a], parts[b]), f"{name}: the {a} overlaps the {b}"
        for tick in found["xticks"]:
            assert not overlap(tick, parts["x-axis title"]), f"{name}: an x tick label overlaps the axis title"
        for tick in found["yticks"]:
            assert not overlap(tick, parts["y-axis title"]), f"{name}: a y tick label overlaps the axis title"
        # all of it inside the figure
        right = plot.evaluate("p => p.closest('figure').getBoundingClientRect().right")
        assert all(box["right"] <= right + 1 for box in parts.values()), name
    assert page.watch.console_errors == []


SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def tick_value(label: str) -> float:
    """A tick label read back: 512, 1K, 2M, 0.01, 1,000, 10¹², 2×10⁻³."""
    label = label.replace("\u2212", "-").replace(",", "")
    if label.endswith("K"):
        return float(label[:-1]) * 1024
    if label.endswith("M"):
        return float(label[:-1]) * 1024**2
    if "10" in label and label.translate(SUPERSCRIPT) != label:
        mantissa, _, power = label.partition("10")
        return float(mantissa.rstrip("×") or 1) * 10 ** int(power.translate(SUPERSCRIPT))
    return float(label)


@pytest.mark.parametrize("screen_page", SHARED_SCREENS, indirect=True)
def test_log_axes_have_readable_ticks(screen_page):
    page = screen_page
    logs = 0
    for plot in drawn_charts(page):
        figure = plot.evaluate("p => JSON.parse(p.dataset.figure)")
        for axis in ("x", "y"):
            if figure["layout"][f"{axis}axis"]["type"] != "log":
                continue
            logs += 1
            labels = plot.evaluate(f"p => [...p.querySelectorAll('.{axis}tick text')].map(t => t.textContent)")
            values = [tick_value(label) for label in labels]
            assert len(values) >= 2 and values == sorted(set(values)), (axis, labels)
            # a label per tick, none of Plotly's bare in-between digits (3 4 5 … 9)
            assert all(v > 0 for v in values), labels
            data = [v for t in figure["traces"] for v in t[axis] if v]
            if all(v == 2 ** round(math.log2(v)) for v in data) and max(data) <= 2**30:
                assert all(v == 2 ** round(math.log2(v)) for v in values), labels
                assert all(label.isdigit() or label[:-1].isdigit() for label in labels), labels
    assert logs >= 2
    # the token axis of the cost chart reads 512, 1K, 2K …
    costs = page.locator("#cell-scaling_costs .plot")
    labels = costs.evaluate("p => [...p.querySelectorAll('.xtick text')].map(t => t.textContent)")
    assert labels[-1] == "1M" and len(labels) >= 4, labels
    if page.options is DESKTOP:
        assert labels[:4] == ["512", "1K", "2K", "4K"], labels


def test_each_chart_toolbar_is_one_tab_stop_with_a_visible_focus_ring(shared_desktop_page):
    page = as_opened(shared_desktop_page)
    for plot in drawn_charts(page):
        stops = plot.evaluate("p => [...p.querySelectorAll('.modebar-btn')].filter(b => b.tabIndex >= 0).length")
        assert stops == 1, f"{plot.get_attribute('aria-label')}: {stops} tab stops in its toolbar"
    plot = page.locator("#cell-scaling_costs .plot")
    toolbar = plot.get_by_role("toolbar", name="Chart tools (arrow keys move between them)")
    # from the cell's last button before its output, Tab lands on the toolbar's one stop
    page.mouse.move(0, 0)  # no pointer over the chart: only the keyboard shows the toolbar
    first = toolbar.get_by_role("button").first
    page.locator("#cell-scaling_costs").get_by_role("button", name="Reset Code").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if first.evaluate("b => b === document.activeElement"):
            break
    expect(first).to_be_focused()
    ring = first.evaluate("b => [getComputedStyle(b).outlineStyle, parseFloat(getComputedStyle(b).outlineWidth)]")
    assert ring[0] == "solid" and ring[1] >= 2, ring
    # shown, once a fade from an earlier hover has run its course
    expect(toolbar.locator(".modebar-group").first, "the toolbar is invisible while it has focus").to_have_css("opacity", "1")
    page.keyboard.press("ArrowRight")
    second = toolbar.get_by_role("button").nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("End")
    expect(toolbar.get_by_role("button").last).to_be_focused()
    page.keyboard.press("Tab")  # one press leaves the toolbar
    assert not toolbar.evaluate("t => t.contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")  # and comes back to the button used last
    expect(toolbar.get_by_role("button").last).to_be_focused()


# ── finding the way on a phone ───────────────────────────────────────────────


def finger(page, locator):
    """A tap where the element is on screen (Playwright's own tap first scrolls a
    sticky element to where it would be unstuck)."""
    box = locator.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_on_a_phone_the_contents_are_one_tap_away_and_name_the_current_section(context_factory, server):
    page = open_at(context_factory, server, PHONE)
    nav = page.get_by_role("navigation", name="Sections of this chapter")
    toggle = nav.get_by_role("button", name="Contents")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="11.3")).to_be_hidden()  # folded
    page.evaluate("document.getElementById('s11-4').scrollIntoView()")
    page.mouse.wheel(0, 2000)
    expect(toggle).to_contain_text("11.4")
    box = toggle.bounding_box()
    assert 0 <= box["y"] <= 20 and box["height"] >= 44, box  # at the top of the window, a finger's size
    page.wait_for_timeout(600)  # the wheel's smooth scroll ends
    page.evaluate("window.seen = document.elementFromPoint(200, 600)")
    seen = page.evaluate("seen.getBoundingClientRect().top")
    finger(page, toggle)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    link = nav.get_by_role("link", name="11.5")
    expect(link).to_be_visible()
    expect(nav.get_by_role("link", name="11.4")).to_have_attribute("aria-current", "location")
    assert abs(page.evaluate("seen.getBoundingClientRect().top") - seen) < 2  # the page stays where it was
    finger(page, link)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_contain_text("11.5")
    top = page.evaluate("document.getElementById('s11-5').getBoundingClientRect().top")
    bar = nav.evaluate("n => n.getBoundingClientRect().bottom")
    assert top >= bar - 1, "the section's start is hidden under the contents bar"
    # Escape folds the list and gives focus back to the button
    finger(page, toggle)
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    finger(page, nav.get_by_role("link", name="Top"))
    page.wait_for_timeout(300)
    assert page.evaluate("scrollY") < 5
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()


def test_on_a_desktop_the_contents_stay_open_beside_the_text(shared_desktop_page):
    page = as_opened(shared_desktop_page)
    nav = page.get_by_role("navigation", name="Sections of this chapter")
    expect(nav.get_by_role("button", name="Contents")).to_be_hidden()
    page.evaluate("document.getElementById('s11-3').scrollIntoView()")
    expect(nav.get_by_role("link", name="11.3")).to_be_in_viewport()
    expect(nav.get_by_role("link", name="Back to top")).to_be_in_viewport()


def column_in_view(page, family: str) -> bool:
    return page.locator("#instrument-architecture-matrix .table-scroll").first.evaluate(
        """(wrap, family) => {
            const cell = wrap.querySelector(`thead [data-family="${family}"]`).getBoundingClientRect();
            const labels = wrap.querySelector('tbody th').getBoundingClientRect();
            const box = wrap.getBoundingClientRect();
            if (!box.width) throw new Error("the matrix is not laid out");
            return cell.left >= labels.right - 1 && cell.right <= box.right + 1;
        }""",
        family,
    )


def test_on_a_phone_the_matrix_keeps_the_family_being_changed_in_view(context_factory, server):
    page = open_at(context_factory, server, PHONE)
    matrix = page.locator("#instrument-architecture-matrix")
    matrix.scroll_into_view_if_needed()
    # laid out: until then the box is no scroll container (widget.js whenLaidOut)
    wrap = matrix.locator(".instrument-live .table-scroll").first
    expect(wrap).to_have_attribute("data-measured", "")
    assert not column_in_view(page, "hybrid"), wrap.evaluate(  # four columns do not fit a phone
        "w => [w.scrollLeft, w.scrollWidth, w.clientWidth, w.getBoundingClientRect().toJSON(), scrollX]")
    slider = matrix.get_by_role("slider", name="Attention layers: 1 in every k")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    wait_until(page, lambda: column_in_view(page, "hybrid"), "the hybrid's column is in view")
    # what the slider changed is said beside it too, the table's rows being far below
    line = matrix.locator(".hybrid-line")
    expect(line).to_be_visible()
    flops = matrix.locator('[data-readout="flops-hybrid"]').text_content()
    expect(line).to_contain_text(flops)
    # switching a family back on brings its column into view
    toggle = matrix.get_by_role("button", name="SSM (Mamba-2)", exact=True)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    wait_until(page, lambda: column_in_view(page, "ssm"), "the SSM column is in view")


def test_on_a_phone_the_race_table_reads_without_sideways_scrolling(shared_phone_page):
    page = as_opened(shared_phone_page)
    table = page.locator("#s11-5 table.stacks")
    table.scroll_into_view_if_needed()
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1 && t.getBoundingClientRect().right <= innerWidth")
    hybrid = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Hybrid"))
    expect(hybrid.get_by_role("cell").first).to_be_visible()
    label = hybrid.get_by_role("cell").first.evaluate("c => getComputedStyle(c, '::before').content")
    assert label == '"Token-mix cost: "', label


# ── Python: downloaded on a sign of intent, with its progress in bytes ─────────


def watch_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: "/assets/pyodide/" in r.url and seen.append(r.url))
    return seen


def record_statuses(page, cell_id: str):
    """Every text the cell's status and download bar take, in order."""
    page.evaluate(
        """id => {
            const cell = document.getElementById(id);
            window.__said = [];
            window.__bytes = [];
            const status = cell.querySelector('.cell-status');
            new MutationObserver(() => __said.push(status.textContent)).observe(status, {childList: true, characterData: true, subtree: true});
            const meter = cell.querySelector('.cell-download progress');
            new MutationObserver(() => __bytes.push(meter.getAttribute('aria-valuetext'))).observe(meter, {attributes: true, attributeFilter: ['aria-valuetext']});
        }""",
        cell_id,
    )


def test_python_downloads_only_on_a_sign_of_intent(context_factory, server):
    page = with_clock(new_page(context_factory, **DESKTOP))
    seen = watch_requests(page)
    page.goto(server)
    let_time_pass(page, 60_000, step=5000)  # a minute of reading, and every timer of the page with it
    assert seen == [], "Python was downloaded with no sign of intent"
    assert page.locator("main").get_attribute("data-runtime") is None
    # a cell passed by on the way does not count
    cell = cells(page).first
    cell.locator(".cell-source").scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    page.evaluate("scrollTo(0, 0)")
    page.wait_for_timeout(100)
    let_time_pass(page, 10_000)
    assert seen == [], "a cell scrolled past started Python"
    assert page.locator("main").get_attribute("data-runtime") is None  # set the moment Python is asked for
    # a cell kept in view does
    page.evaluate("document.querySelector('figure.cell .cell-source').scrollIntoView({block: 'center'})")
    expect(page.locator("main[data-runtime='ready']")).to_be_attached(timeout=FIRST_RUN_MS)
    assert any(u.endswith("pyodide.asm.wasm") for u in seen)
    assert page.watch.console_errors == []


@pytest.mark.parametrize("connection", [SAVE_DATA, {"saveData": False, "effectiveType": "2g"}])
def test_no_download_ahead_of_a_run_under_save_data_or_on_a_slow_connection(context_factory, server, connection):
    context, watch = context_factory(**DESKTOP)
    with_connection(context, **connection)
    page = with_clock(context.new_page())
    watch.attach(page)
    seen = watch_requests(page)
    page.goto(server)
    cell = cells(page).first
    cell.locator(".cell-source").scroll_into_view_if_needed()
    cell.hover()
    cell.get_by_role("button", name="Run").focus()
    let_time_pass(page, 30_000, step=5000)
    assert seen == [], f"Python downloaded ahead of a Run under {connection}"
    set_code(cell, "print('asked for')")  # the local Pyodide has no numpy: pure Python
    assert seen == []
    cell.get_by_role("button", name="Run").click()  # asked for: now it comes
    expect(status(cell)).to_contain_text("Done in", timeout=FIRST_RUN_MS)
    assert seen
    # without the memory snapshot, which would double the download
    assert not any(u.endswith("memory-snapshot.gz") for u in seen), seen


def test_the_download_shows_its_progress_in_bytes_and_a_restart_reuses_it(context_factory, server):
    page = open_at(context_factory, server, PHONE)
    cell = cells(page).first
    cell_id = cell.get_attribute("id")
    record_statuses(page, cell_id)
    run = cell.get_by_role("button", name="Run")
    run.click()  # as it stands; the local Pyodide lacks its numpy, which is said after the download
    meter = cell.get_by_role("progressbar", name="Python download")
    expect(status(cell)).not_to_contain_text("Python", timeout=FIRST_RUN_MS)
    expect(meter).to_be_hidden()
    said = page.evaluate("__said")
    shown = page.evaluate("__bytes")
    total = sum(page.evaluate("JSON.parse(document.getElementById('main').dataset.pyodideSizes)").values())
    assert f"Downloading Python ({total / 1e6:.1f} MB)…" in said, said
    assert not any("∞" in s or "NaN" in s for s in said + shown)
    assert float(shown[0].split(" of ")[0]) < 2, shown  # seen from (nearly) the start
    assert shown[-1] == f"{total / 1e6:.1f} of {total / 1e6:.1f} MB downloaded", shown
    values = [float(s.split(" of ")[0]) for s in shown]
    assert values == sorted(values) and len(set(values)) >= 3, shown
    # a status line that does not repeat itself while the bytes move
    assert said.count(f"Downloading Python ({total / 1e6:.1f} MB)…") == 1, said
    # Stop restarts Python; the restart says it reuses the files already downloaded
    page.evaluate("__said.length = 0; __bytes.length = 0")
    set_code(cell, "while True: pass")
    run.click()
    expect(status(cell)).to_contain_text("Running")
    cell.get_by_role("button", name="Stop").click()
    expect(status(cell)).to_contain_text(
        "Stopped: the session restarted (from the files already downloaded)")
    set_code(cell, "print('again')")
    run.click()
    expect(status(cell)).to_contain_text("Done in", timeout=FIRST_RUN_MS)
    said = page.evaluate("__said")
    assert not any(s.startswith("Downloading") for s in said), said
    assert page.evaluate("__bytes") == []  # no download bar: nothing to download
    # Reset during a run says that the session restarted, as Stop does
    set_code(cell, "while True: pass")
    run.click()
    expect(status(cell)).to_contain_text("Running")
    cell.get_by_role("button", name="Reset Code").click()
    expect(status(cell)).to_have_text(
        "Reset to the original code and its pre-run output. The run was stopped and the Python session "
        "restarted, so names defined by other cells are gone; run those cells again.")
    assert page.watch.console_errors == []


# ── the smaller things a reader notices ─────────────────────────────────────


def test_the_editor_says_how_to_leave_it_while_it_has_focus(context_factory, server):
    page = open_at(context_factory, server, DESKTOP)
    cell = cells(page).first
    hint = cell.get_by_text("Esc, then Tab, to leave the editor")
    expect(hint).to_be_hidden()
    cell.locator(".cell-source pre").click()
    expect(cell.locator(".cm-editor.cm-focused")).to_be_visible(timeout=10_000)
    expect(hint).to_be_visible()
    page.keyboard.press("Tab")  # indents, and stays
    expect(cell.locator(".cm-editor.cm-focused")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(cell.locator(".cm-editor.cm-focused")).to_have_count(0)
    expect(hint).to_be_hidden()


def test_instrument_readouts_are_announced_with_their_labels(context_factory, server):
    page = open_at(context_factory, server, DESKTOP)
    explorer = page.locator("#instrument-scaling-explorer")
    explorer.scroll_into_view_if_needed()
    value = explorer.locator('[data-readout="attention-flops"]')
    expect(value).to_have_text(re.compile(r"^\d\.\de\d+ FLOPs$"))
    # the live region's changed part is the whole <dd>: label and value together
    announced = value.locator("xpath=ancestor::dd[1]")
    expect(announced).to_have_attribute("aria-atomic", "true")
    slider = explorer.get_by_role("slider", name="Context length")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    expect(announced).to_have_text(re.compile(r"^Attention: \d\.\de\d+ FLOPs$"))
    assert explorer.locator("dl[aria-live='polite'] dd").evaluate_all(
        "dds => dds.every(dd => dd.getAttribute('aria-atomic') === 'true' && /^[^:]+: /.test(dd.textContent))")


def test_heading_links_have_names(shared_desktop_page):
    page = as_opened(shared_desktop_page)
    expect(page.get_by_role("link", name="Link to 11.2", exact=True)).to_have_attribute("href", "#s11-2")
    names = page.locator("a.header-anchor").evaluate_all("as => as.map(a => a.getAttribute('aria-label'))")
    assert names and all(n and n.startswith("Link to “") and n.endswith("”") and len(n) > 12 for n in names), names


def test_edited_code_after_a_reload_shows_in_the_editor_and_marks_the_output_as_the_originals(context_factory, server):
    page = open_at(context_factory, server, DESKTOP)
    cell = cells(page).first
    set_code(cell, "print('edited')  # a comment long enough to need more than one line on a phone, surely")
    key = f"llm-field-manual:ch11:code:{cell.get_attribute('id')}"
    wait_until(page, lambda: page.evaluate("k => localStorage.getItem(k)", key) is not None, "the edit is saved")
    page.reload()
    cell = cells(page).first
    note = cell.get_by_text("This output is from the original code, not your edited code")
    expect(note).to_be_visible()
    expect(cell.locator(".cm-editor")).to_be_visible(timeout=10_000)  # as the editor will show it
    expect(cell.locator(".cm-content")).to_contain_text("print('edited')")
    cell.get_by_role("button", name="Reset Code").click()
    expect(note).to_have_count(0)


def test_long_code_lines_are_not_cut_off_on_a_phone(shared_phone_page):
    page = as_opened(shared_phone_page)
    cut = page.locator(".cell-source pre.code").evaluate_all(
        "ps => ps.filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.closest('figure').id)")
    assert cut == []


def test_a_followed_link_marks_where_it_lands_and_offers_the_way_back(context_factory, server):
    page = open_at(context_factory, server, DESKTOP)
    link = page.locator("#q-doubling a[href='#eq-11-1']").first
    link.scroll_into_view_if_needed()
    before = page.evaluate("scrollY")
    link.click()
    target = page.locator("#eq-11-1")
    expect(target).to_have_class(re.compile(r"\blanded\b"))
    back = page.get_by_role("button", name="Back to where you were")
    expect(back).to_be_visible()
    expect(back).to_be_in_viewport()
    back.click()
    wait_until(page, lambda: abs(page.evaluate("scrollY") - before) < 5, "back where the reader was")
    expect(link).to_be_focused()
    expect(back).to_have_count(0)


def test_a_focused_slider_leaves_alt_arrow_to_the_browsers_back(context_factory, server):
    page = open_at(context_factory, server, DESKTOP)
    page.get_by_role("navigation", name="Sections of this chapter").get_by_role("link", name="11.2").click()
    expect(page).to_have_url(re.compile("#s11-2$"))
    slider = page.locator("#instrument-scaling-explorer").get_by_role("slider", name="Context length")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    moved = slider.input_value()
    page.keyboard.press("Alt+ArrowLeft")
    wait_until(page, lambda: page.evaluate("location.hash") == "", "the browser went back")
    assert slider.input_value() == moved
    # the step was written into the entry left, before the way back (not while on it)
    page.keyboard.press("Alt+ArrowRight")
    expect(page).to_have_url(re.compile(r"#instrument-scaling-explorer\?scaling-explorer:n=\d+"))
    assert slider.input_value() == moved


def test_builds_on_is_plain_text_not_look_alike_links(shared_desktop_page):
    page = as_opened(shared_desktop_page)
    facts = page.locator(".facts div").filter(has_text="Builds on")
    expect(facts.locator("dd")).to_contain_text("Ch 03")
    assert facts.locator("dd a, dd .chip").count() == 0
    border = facts.locator("dd span").first.evaluate("s => getComputedStyle(s).borderTopStyle")
    assert border == "none"


def test_printed_on_a4_nothing_overflows_and_controls_give_way_to_values(shared_desktop_page):
    page = as_opened(shared_desktop_page)
    page.set_viewport_size({"width": 718, "height": 1000})
    page.emulate_media(media="print", color_scheme="dark")
    wide = page.locator(".math.display").evaluate_all(
        "bs => bs.filter(b => b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().right > 718)"
        ".map(b => b.closest('[id]').id)")
    assert wide == [], f"equations wider than an A4 line: {wide}"
    expect(page.locator(".header-anchor").first).to_be_hidden()
    explorer = page.locator("#instrument-scaling-explorer")
    expect(explorer.get_by_role("slider").first).to_be_hidden()
    expect(explorer.locator(".control-value").first).to_be_visible()
    expect(explorer.locator(".control-value").first).not_to_be_empty()
    background = page.evaluate("getComputedStyle(document.querySelector('.equation')).backgroundColor")
    assert background == "rgb(255, 255, 255)", background  # paper, even in dark mode


def test_a_printed_output_wider_than_a_phone_takes_focus_and_a_live_one_keeps_it(context_factory, server):
    page = open_at(context_factory, server, PHONE)
    expect(page.locator("html[data-equations-measured]")).to_be_attached()
    printed = page.locator(".cell-output pre.cell-stdout")

    def marked_as_they_scroll() -> list[bool]:
        """Each output scrolled to (its section is laid out as it nears the window):
        marked focusable exactly where it is wider than its box."""
        found = []
        for pre in printed.all():
            pre.scroll_into_view_if_needed()
            scrolls = pre.evaluate("p => p.scrollWidth > p.clientWidth + 1")
            if scrolls:
                expect(pre).to_have_attribute("tabindex", "0")
                expect(pre).to_have_attribute("role", "region")
                expect(pre).to_have_attribute("aria-label", re.compile(r"^Output of .+ \(scrolls sideways\)$"))
            else:
                expect(pre).not_to_have_attribute("tabindex", "0")
                expect(pre).not_to_have_attribute("role", "region")
            found.append(scrolls)
        return found

    assert any(marked_as_they_scroll())
    page.set_viewport_size({"width": 1280, "height": 900})  # measured again: some now fit
    page.wait_for_timeout(300)
    assert not all(marked_as_they_scroll())
    # a live run's output fits here, and stays focusable as the page is measured again
    cell = cells(page).first
    set_code(cell, "print('short')")
    cell.get_by_role("button", name="Run").click()
    expect(cell.get_by_role("status")).to_have_text(re.compile(r"Done in"), timeout=FIRST_RUN_MS)
    live = cell.locator(".cell-output pre.cell-stdout")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.wait_for_timeout(300)
    expect(live).to_have_attribute("tabindex", "0")
    expect(live).to_have_attribute("aria-label", "Output")


def test_printed_charts_are_pictures_drawn_or_not(context_factory, server, screenshots_dir):
    page = open_at(context_factory, server, {"viewport": {"width": 718, "height": 1000}})
    plots = page.locator("figure.cell .plot")
    count = plots.count()
    assert count >= 3
    first = plots.first
    first.scroll_into_view_if_needed()  # the live chart replaces the build's picture
    expect(first.locator(".main-svg").first).to_be_visible(timeout=15_000)
    expect(first.locator(".plot-image")).to_have_count(0)
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for i in range(count):
        plot = plots.nth(i)
        picture = plot.locator(".main-svg, .plot-image").first
        expect(picture).to_be_visible()
        box = picture.bounding_box()
        assert box["width"] > 300 and box["height"] > 150, (i, box)
        # the picture prints instead of its data table
        expect(plot.locator("xpath=following-sibling::details[1]")).to_be_hidden()
    # a chart never drawn prints as the build's picture, with its axis titles and ticks
    last = plots.nth(count - 1)
    expect(last.locator(".plot-image")).to_be_visible()
    expect(last.locator(".plot-image text").first).not_to_be_empty()
    last.screenshot(path=str(screenshots_dir / "print-chart-not-drawn-718.png"))


def test_axe_finds_nothing_on_a_phone_with_the_contents_open_and_a_wrong_answer(context_factory, server):
    page = open_at(context_factory, server, PHONE)
    quiz = near(page.locator("#q-doubling"))
    quiz.get_by_label("Your answer").fill("2")
    quiz.get_by_role("button", name="Check").click()
    tf = near(page.locator("#q-ssm-linear"))
    tf.get_by_role("radio", name="False").check()
    tf.get_by_role("button", name="Check").click()
    page.evaluate("document.getElementById('eq-11-4').scrollIntoView()")
    finger(page, page.get_by_role("button", name="Contents"))
    expect(page.get_by_role("navigation", name="Sections of this chapter").get_by_role("link", name="11.3")).to_be_visible()
    assert axe_violations(page) == []


KATEX_HTML = r"""
const katex = require("katex");
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(items.map((tex) => katex.renderToString(tex, { displayMode: true, strict: "ignore" }))));
"""
# the ink's width (a display formula's box is as wide as the page) and the box's height
CONTENT_BOX = "e => { const r = document.createRange(); r.selectNodeContents(e); return [r.getBoundingClientRect().width, e.getBoundingClientRect().height]; }"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_equation_is_laid_out_as_katex_laid_it_out(browser, shared_desktop_page, shared_phone_page, tmp_path,
                                                         screenshots_dir, viewport):
    """The page's MathML against KaTeX's own HTML layout of the same TeX, equation by
    equation, at desktop and phone width: about as wide and as tall (a formula drawn as a
    flat line of text, or with rows or fractions collapsed, is not). Both pictures are
    kept in test-artifacts/math/ to compare by eye."""
    import subprocess

    from conftest import ROOT

    page = as_opened(shared_desktop_page if viewport == DESKTOP else shared_phone_page)
    equations = page.locator(".math.display")
    texts = [t.strip() for t in equations.locator("annotation").all_text_contents()]
    assert len(texts) == equations.count() >= 6
    typeset = subprocess.run(["node", "-e", KATEX_HTML], input=json.dumps(texts), capture_output=True, text=True,
                             cwd=ROOT, check=True)
    css = (ROOT / "node_modules/katex/dist/katex.min.css").as_uri()
    body = "".join(f'<div class="eq">{html}</div>' for html in json.loads(typeset.stdout))
    before = tmp_path / "katex.html"
    before.write_text(f'<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="{css}">'
                      f'<style>body{{font-size:1.0625rem;margin:0 1rem}} .katex{{font-size:1.21em}}'
                      f'@media (max-width: 30rem) {{ .katex {{ font-size: 1.05em }} }}</style>{body}',
                      encoding="utf-8")
    reference = browser.new_page(**viewport)
    try:
        reference.goto(before.as_uri())
        reference.evaluate("document.fonts.ready")
        out = screenshots_dir / "math"
        out.mkdir(exist_ok=True)
        width = viewport["viewport"]["width"]
        for i in range(len(texts)):
            ours, theirs = equations.nth(i), reference.locator(".eq").nth(i)
            ours.scroll_into_view_if_needed()
            ours.screenshot(path=str(out / f"eq{i + 1}-{width}-mathml.png"))
            theirs.screenshot(path=str(out / f"eq{i + 1}-{width}-katex.png"))
            (w, h), (kw, kh) = ours.locator("math").evaluate(CONTENT_BOX), theirs.locator(".katex-html").evaluate(CONTENT_BOX)
            assert 0.75 < w / kw < 1.33 and 0.75 < h / kh < 1.33, f"{texts[i][:60]}: {w:.0f}×{h:.0f} against KaTeX's {kw:.0f}×{kh:.0f}"
    finally:
        reference.close()
