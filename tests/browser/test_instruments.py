"""The three instruments in Chromium, found by role and label: moved by mouse and by
keyboard, read back against the numpy functions (written by the page's own
instruments/format.js, under Node), toggled, shared by URL, lazily charted, and looked at on phone and desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser.helpers import axe_violations, laid_out, new_page, no_errors
from instruments import cost
from instruments import quantization as qz
from instruments import static_views as sv
from instruments.rotation import ROTATION_EXAMPLE, rotation_errors
from instruments.architectures import MODEL_PRESETS, model_costs
from instruments.widget_data import (
    ARCHITECTURE_STATE,
    ARCHITECTURE_WIDTH,
    BIT_WIDTH_START,
    BYTES_PER_VALUE,
    CONTEXT_LENGTHS,
    CONV_WIDTH,
    EXPANSION,
    HEAD_WIDTH,
    HYBRID_PERIODS,
    MATRIX_START,
    MODEL_WIDTHS,
    SCALING_START,
    STATE_SIZES,
)

NAMES = ("scaling-explorer", "architecture-matrix", "bit-width")
BITS_ASCENDING = sorted(qz.BIT_WIDTHS)
SIZES = sorted(qz.MODEL_SIZES, key=qz.MODEL_SIZES.get)
FAMILY_NAMES = ["Transformer", "SSM (Mamba-2)", "Linear / gated attention", "Hybrid"]
FAMILY_IDS = ["transformer", "ssm", "linear-attention", "hybrid"]


# ── what the page should say, from the numpy functions ─────────────────────────
#
# The *_readouts functions give each readout as a placeholder, ``sv.fmt(formatter,
# value)``; ``written`` has instruments/format.js write them, many groups in one Node call.


_WRITTEN: dict[str, str] = {}  # placeholder -> what format.js wrote for it


def written(*groups: dict[str, str]) -> list[dict[str, str]]:
    """Each group's placeholders written out; those not written before in one Node call."""
    new = {text for group in groups for text in group.values()} - _WRITTEN.keys()
    if new:
        texts = sorted(new)
        out = sv.render({str(i): text for i, text in enumerate(texts)})
        _WRITTEN.update((text, out[str(i)]) for i, text in enumerate(texts))
    return [{key: _WRITTEN[text] for key, text in group.items()} for group in groups]


@pytest.fixture(scope="module", autouse=True)
def every_position_written():
    """What the instruments read at each position of their sliders, written in one Node
    call for the whole module rather than one call at each check."""
    written(
        *(scaling_readouts(n, d, N) for n in CONTEXT_LENGTHS for d in MODEL_WIDTHS for N in STATE_SIZES),
        *(matrix_readouts(n, k) for n in CONTEXT_LENGTHS for k in HYBRID_PERIODS),
        *(bit_readouts(b, size) for b in BITS_ASCENDING for size in SIZES),
    )


def scaling_readouts(n: int, d: int, N: int) -> dict[str, str]:
    E, d_h, w, b = EXPANSION, HEAD_WIDTH, CONV_WIDTH, BYTES_PER_VALUE
    return {
        "attention-flops": sv.fmt("formatFlops", cost.attention_flops(n, d)),
        "ssm-flops": sv.fmt("formatFlops", cost.ssm_flops(n, d, N, E=E)),
        "linear-flops": sv.fmt("formatFlops", cost.linear_attention_flops(n, d, d_h)),
        "ratio": sv.fmt("formatRatio", cost.attention_to_ssm_ratio(n, N, E=E)),
        "kv-cache": sv.fmt("formatBytes", cost.kv_cache_bytes(n, d, b)),
        "ssm-state": sv.fmt("formatBytes", cost.ssm_state_bytes(d, N, E=E, conv_width=w, bytes_per_value=b)),
        "linear-state": sv.fmt("formatBytes", cost.linear_attention_state_bytes(d, d_h, b)),
    }


def matrix_readouts(n: int, k: int) -> dict[str, str]:
    d, N, b = ARCHITECTURE_WIDTH, ARCHITECTURE_STATE, BYTES_PER_VALUE
    shape = dict(E=EXPANSION, conv_width=CONV_WIDTH, bytes_per_value=b)
    flops = [cost.attention_flops(n, d), cost.ssm_flops(n, d, N, E=EXPANSION),
             cost.linear_attention_flops(n, d, HEAD_WIDTH), cost.hybrid_flops(n, d, N, k, E=EXPANSION)]
    memory = [cost.kv_cache_bytes(n, d, b), cost.ssm_state_bytes(d, N, **shape),
              cost.linear_attention_state_bytes(d, HEAD_WIDTH, b), cost.hybrid_decode_bytes(n, d, N, k, **shape)]
    out = {}
    for fid, f, m in zip(FAMILY_IDS, flops, memory):
        out[f"flops-{fid}"] = sv.fmt("formatFlops", f)
        out[f"decode_bytes-{fid}"] = sv.fmt("formatBytes", m)
    out["attention-hybrid"] = sv.fmt("formatPeriod", k)
    for preset in MODEL_PRESETS:
        costs = model_costs(preset, n, b)
        out[f"model-kv-{preset.id}"] = sv.fmt("memoryOrNone", costs["kv_cache_bytes"])
        out[f"model-state-{preset.id}"] = sv.fmt("memoryOrNone", costs["state_bytes"])
        out[f"model-total-{preset.id}"] = sv.fmt("formatBytes", costs["decode_bytes"])
    return out


def bit_readouts(b: float, size: str) -> dict[str, str]:
    return {
        "weights": sv.fmt("formatGB", qz.weight_storage_gb(qz.MODEL_SIZES[size], b)),
        "fixed-clip": sv.fmt("formatPercent", qz.fixed_clip_uniform_error(b)),
        "best-clip": sv.fmt("formatPercent", qz.best_clip_uniform_error(b)),
        "bound": sv.fmt("formatPercent", qz.rate_distortion_bound(b)),
        "regime": qz.regime(b),
    }


# ── helpers ───────────────────────────────────────────────────────────────────


def figure(page, name):
    return page.locator(f"#instrument-{name}")


def wait_for_widgets(page):
    for name in NAMES:
        expect(figure(page, name).locator(".instrument-live")).to_be_attached()
    return page


def open_page(page, server, fragment=""):
    page.goto(server + fragment)
    return wait_for_widgets(laid_out(page))


def expect_readouts(fig, expected: dict[str, str]):
    """The readouts show ``expected``: read in one round trip where they already do (the
    widgets render in the input's own handler), else waited for one by one, as
    ``to_have_text`` waits and says what it saw."""
    [expected] = written(expected)
    shown = fig.evaluate(
        "(f, keys) => keys.map((k) => f.querySelector(`[data-readout='${k}']`)?.textContent ?? null)", list(expected)
    )
    def spaced(text):  # whitespace collapsed, as to_have_text compares
        return None if text is None else " ".join(text.split())

    if list(map(spaced, shown)) == list(map(spaced, expected.values())):
        return
    for key, text in expected.items():
        expect(fig.locator(f'[data-readout="{key}"]')).to_have_text(text)


def position(slider) -> int:
    return int(slider.input_value())


def click_at(slider, index: int, count: int):
    """Click the track where the thumb's centre sits at `index` of `count` stops."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    thumb = slider.evaluate("e => parseFloat(getComputedStyle(e).getPropertyValue('--thumb')) * parseFloat(getComputedStyle(document.documentElement).fontSize)")
    x = thumb / 2 + index / (count - 1) * (box["width"] - thumb)
    slider.click(position={"x": x, "y": box["height"] / 2})


def drag(page, slider, from_index: int, to_index: int, count: int):
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    thumb = 20.0
    at = lambda i: box["x"] + thumb / 2 + i / (count - 1) * (box["width"] - thumb)  # noqa: E731
    y = box["y"] + box["height"] / 2
    page.mouse.move(at(from_index), y)
    page.mouse.down()
    page.mouse.move(at(to_index), y, steps=12)
    page.mouse.up()


# ── mounting ──────────────────────────────────────────────────────────────────


def test_widgets_replace_their_tables_and_start_at_the_static_defaults(read_page):
    page = wait_for_widgets(read_page)
    for name in NAMES:
        fig = figure(page, name)
        expect(fig.locator(".instrument-static")).to_have_count(0)
        expect(fig.locator("figcaption")).to_be_attached()
        expect(fig.locator("[aria-live='polite']").first).to_be_attached()
    s, m, b = SCALING_START, MATRIX_START, BIT_WIDTH_START
    expect_readouts(figure(page, "scaling-explorer"), scaling_readouts(s["n"], s["d"], s["N"]))
    expect_readouts(figure(page, "architecture-matrix"), matrix_readouts(m["n"], m["k"]))
    expect_readouts(figure(page, "bit-width"), bit_readouts(b["b"], b["P"]))
    assert page.evaluate("location.hash") == ""  # loading changes no URL
    no_errors(page)


def test_every_control_has_a_unique_visible_label(read_page):
    page = wait_for_widgets(read_page)
    for name in ["Context length", "Context length (architecture matrix)", "Model width (d)", "State size (N)",
                 "Attention layers: 1 in every k", "Bit-width", "Model size"]:
        slider = page.get_by_role("slider", name=name, exact=True)
        expect(slider).to_have_count(1)
        label = page.locator(f"label[for='{slider.get_attribute('id')}']")
        expect(label).to_be_visible()
        assert label.text_content().strip().startswith(name.split(" (architecture")[0])
    for family in FAMILY_NAMES:
        expect(page.get_by_role("button", name=family, exact=True)).to_have_count(1)


def test_readouts_sit_in_polite_live_regions(read_page):
    page = wait_for_widgets(read_page)
    for name, key in [("scaling-explorer", "ratio"), ("bit-width", "weights"), ("architecture-matrix", "flops-ssm")]:
        live = figure(page, name).locator(f'[data-readout="{key}"]').locator("xpath=ancestor::*[@aria-live][1]")
        expect(live).to_have_attribute("aria-live", "polite")


# ── scaling explorer ──────────────────────────────────────────────────────────


def test_scaling_explorer_by_keyboard(page, server):
    open_page(page, server)
    fig = figure(page, "scaling-explorer")
    n = fig.get_by_role("slider", name="Context length")
    width = fig.get_by_role("slider", name="Model width")
    state = fig.get_by_role("slider", name="State size")
    n.focus()
    n.press("Home")
    expect_readouts(fig, scaling_readouts(512, 4096, 128))
    expect(n).to_have_attribute("aria-valuetext", "512 tokens")
    n.press("ArrowRight")
    expect_readouts(fig, scaling_readouts(1024, 4096, 128))
    n.press("End")
    expect_readouts(fig, scaling_readouts(2**20, 4096, 128))
    # by hand: 2**20 / (2 * 128); a Mamba-2 layer keeps 2 * 4096 * (128 + 3) values of 2 bytes
    expect(fig.locator('[data-readout="ratio"]')).to_have_text("4,096×")
    expect(fig.locator('[data-readout="ssm-state"]')).to_have_text("2.15 MB")
    expect(fig.locator('[data-readout="linear-state"]')).to_have_text("1.05 MB")
    width.focus()
    width.press("End")
    expect_readouts(fig, scaling_readouts(2**20, 8192, 128))
    width.press("Home")
    state.focus()
    state.press("Home")
    expect_readouts(fig, scaling_readouts(2**20, 1024, 16))
    expect(state).to_have_attribute("aria-valuetext", "16")
    state.press("ArrowRight")
    expect_readouts(fig, scaling_readouts(2**20, 1024, 32))
    expect(state).to_have_attribute("aria-valuetext", "32")
    no_errors(page)


def test_scaling_explorer_by_mouse(page, server):
    open_page(page, server)
    fig = figure(page, "scaling-explorer")
    n = fig.get_by_role("slider", name="Context length")
    count = len(CONTEXT_LENGTHS)
    for index in (0, 5, count - 1, 2):
        click_at(n, index, count)
        assert position(n) == index
        expect_readouts(fig, scaling_readouts(CONTEXT_LENGTHS[index], 4096, 128))
    drag(page, n, 2, count - 1, count)
    assert position(n) == count - 1
    expect_readouts(fig, scaling_readouts(CONTEXT_LENGTHS[-1], 4096, 128))
    click_at(fig.get_by_role("slider", name="Model width"), 0, len(MODEL_WIDTHS))
    click_at(fig.get_by_role("slider", name="State size"), 0, len(STATE_SIZES))
    expect_readouts(fig, scaling_readouts(CONTEXT_LENGTHS[-1], MODEL_WIDTHS[0], STATE_SIZES[0]))
    # a tick label is a target too
    page.locator("#scaling-explorer-n ~ .ticks .tick", has_text=re.compile(r"^4K$")).click()
    expect_readouts(fig, scaling_readouts(4096, MODEL_WIDTHS[0], STATE_SIZES[0]))
    no_errors(page)


def test_every_scaling_position_reads_as_the_functions_say(page, server):
    """All 12 × 4 × 4 positions, each slider moved as the browser moves it (its value set,
    then an `input` event: what a drag or a key does), all read in one call to the page.
    The keys themselves are tested in test_scaling_explorer_by_keyboard."""
    open_page(page, server)
    fig = figure(page, "scaling-explorer")
    positions = [(length, d, N) for d in MODEL_WIDTHS for N in STATE_SIZES for length in CONTEXT_LENGTHS]
    expected = written(*(scaling_readouts(*at) for at in positions))
    steps = [[CONTEXT_LENGTHS.index(length), MODEL_WIDTHS.index(d), STATE_SIZES.index(N)] for length, d, N in positions]
    sliders = [fig.get_by_role("slider", name=label).element_handle()
               for label in ("Context length", "Model width", "State size")]
    seen = fig.evaluate(
        """(fig, [inputs, steps]) => steps.map((at) => {
          at.forEach((k, s) => { inputs[s].value = String(k); inputs[s].dispatchEvent(new Event("input", {bubbles: true})); });
          return Object.fromEntries([...fig.querySelectorAll("[data-readout]")].map((e) => [e.dataset.readout, e.textContent]));
        })""",
        [sliders, steps],
    )
    for at, got, want in zip(positions, seen, expected, strict=True):
        assert got == want, at


# ── architecture matrix ───────────────────────────────────────────────────────


def test_matrix_family_toggles(page, server):
    open_page(page, server)
    fig = figure(page, "architecture-matrix")
    table = fig.get_by_role("table", name="The four families compared")
    for name in FAMILY_NAMES:
        button = fig.get_by_role("button", name=name, exact=True)
        header = table.get_by_role("columnheader", name=name, exact=True)
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(header).to_be_visible()
        button.click()
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(header).to_be_hidden()
        expect(table.locator(f'td[data-family="{FAMILY_IDS[FAMILY_NAMES.index(name)]}"]:visible')).to_have_count(0)
        button.press("Enter")  # and back, by keyboard
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(header).to_be_visible()
    # hide all but one: the last stays
    for name in FAMILY_NAMES[:3]:
        fig.get_by_role("button", name=name, exact=True).click()
    last = fig.get_by_role("button", name="Hybrid", exact=True)
    last.focus()
    last.press("Space")
    expect(last).to_have_attribute("aria-pressed", "true")
    expect(table.get_by_role("columnheader", name="Hybrid")).to_be_visible()
    expect(fig.get_by_role("status")).to_have_text("At least one family stays shown.")
    # the hybrid's control goes with its column
    expect(fig.get_by_role("slider", name="Attention layers")).to_be_visible()
    fig.get_by_role("button", name="Transformer", exact=True).click()
    last.click()
    expect(fig.get_by_role("slider", name="Attention layers")).to_be_hidden()
    no_errors(page)


def test_matrix_released_models_follow_the_context_length(page, server):
    open_page(page, server)
    fig = figure(page, "architecture-matrix")
    models = fig.get_by_role("table", name=re.compile("Released models"))
    expect(models.get_by_role("row")).to_have_count(1 + len(MODEL_PRESETS))
    expect_readouts(fig, matrix_readouts(131072, 8))
    expect(fig.locator('[data-readout="model-total-llama-3.1-70b"]')).to_have_text("42.9 GB")
    expect(fig.locator('[data-readout="model-kv-mamba2-2.7b"]')).to_have_text("none")
    n = fig.get_by_role("slider", name="Context length")
    n.focus()
    n.press("End")
    expect_readouts(fig, matrix_readouts(2**20, 8))
    n.press("Home")
    expect_readouts(fig, matrix_readouts(512, 8))
    # each model's name links to its entry in the reference list
    for preset in MODEL_PRESETS:
        link = models.get_by_role("link", name=preset.name, exact=True)
        expect(link).to_have_attribute("href", f"#ref-{preset.source}")
        expect(page.locator(f"#ref-{preset.source}")).to_have_count(1)
    # on a phone the table's box scrolls sideways: it becomes a named region the keyboard reaches
    page.set_viewport_size({"width": 375, "height": 800})
    expect(fig.get_by_role("region", name=re.compile("Released models"))).to_have_attribute("tabindex", "0")
    no_errors(page)


def test_matrix_context_and_hybrid_ratio(page, server):
    open_page(page, server)
    fig = figure(page, "architecture-matrix")
    n = fig.get_by_role("slider", name="Context length")
    k = fig.get_by_role("slider", name="Attention layers")
    n.focus()
    n.press("Home")
    expect_readouts(fig, matrix_readouts(512, 8))
    n.press("End")
    expect_readouts(fig, matrix_readouts(2**20, 8))
    k.focus()
    k.press("Home")
    expect_readouts(fig, matrix_readouts(2**20, 1))
    # k = 1 is a pure Transformer
    assert fig.locator('[data-readout="flops-hybrid"]').inner_text() == fig.locator('[data-readout="flops-transformer"]').inner_text()
    for index, period in enumerate(HYBRID_PERIODS):
        click_at(k, index, len(HYBRID_PERIODS))
        assert position(k) == index
        expect_readouts(fig, matrix_readouts(2**20, period))
    click_at(n, 3, len(CONTEXT_LENGTHS))
    expect_readouts(fig, matrix_readouts(CONTEXT_LENGTHS[3], HYBRID_PERIODS[-1]))
    drag(page, n, 3, 8, len(CONTEXT_LENGTHS))
    assert position(n) == 8
    expect_readouts(fig, matrix_readouts(CONTEXT_LENGTHS[8], HYBRID_PERIODS[-1]))
    no_errors(page)


# ── bit-width slider ──────────────────────────────────────────────────────────


def test_bit_width_by_keyboard(page, server):
    open_page(page, server)
    fig = figure(page, "bit-width")
    bits = fig.get_by_label("Bit-width")
    size = fig.get_by_label("Model size")
    bits.focus()
    bits.press("Home")
    expect_readouts(fig, bit_readouts(1.58, "70B"))
    expect(bits).to_have_attribute("aria-valuetext", re.compile(r"^1\.58 bits"))
    bits.press("ArrowRight")
    expect_readouts(fig, bit_readouts(2, "70B"))
    expect(fig.locator('[data-readout="weights"]')).to_have_text("17.5 GB")
    bits.press("End")
    expect_readouts(fig, bit_readouts(16, "70B"))
    bits.press("ArrowLeft")
    expect_readouts(fig, bit_readouts(8, "70B"))
    size.focus()
    size.press("End")
    expect_readouts(fig, bit_readouts(8, "405B"))
    size.press("Home")
    expect_readouts(fig, bit_readouts(8, "7B"))
    no_errors(page)


def test_bit_width_by_mouse_over_every_format(page, server):
    open_page(page, server)
    fig = figure(page, "bit-width")
    bits = fig.get_by_label("Bit-width")
    size = fig.get_by_label("Model size")
    for s, name in enumerate(SIZES):
        click_at(size, s, len(SIZES))
        for index, b in enumerate(BITS_ASCENDING):
            click_at(bits, index, len(BITS_ASCENDING))
            assert position(bits) == index
            expect_readouts(fig, bit_readouts(b, name))
    drag(page, bits, len(BITS_ASCENDING) - 1, 0, len(BITS_ASCENDING))
    assert position(bits) == 0
    expect(fig.locator('[data-readout="regime"]')).to_have_text("only with rotation and codebooks")
    no_errors(page)


def outlier_readouts(b: float, size: str) -> dict[str, str]:
    e = rotation_errors([b], **ROTATION_EXAMPLE)
    return {
        "weights": sv.fmt("formatGB", qz.weight_storage_gb(qz.MODEL_SIZES[size], b)),
        "minmax": sv.fmt("formatPercent", e["plain"][0]),
        "rotated": sv.fmt("formatPercent", e["rotated"][0]),
        "gaussian-reference": sv.fmt("formatPercent", qz.best_clip_uniform_error(b)),
    }


def test_bit_width_weights_mode_shows_rotation_on_heavy_tailed_weights(page, server):
    open_page(page, server)
    fig = figure(page, "bit-width")
    gaussian = fig.get_by_role("button", name="Gaussian", exact=True)
    outliers = fig.get_by_role("button", name="Heavy tails + outliers", exact=True)
    expect(gaussian).to_have_attribute("aria-pressed", "true")
    for key in ("minmax", "rotated", "gaussian-reference"):
        expect(fig.locator(f'[data-readout="{key}"]')).to_be_hidden()
    outliers.click()
    expect(outliers).to_have_attribute("aria-pressed", "true")
    expect(gaussian).to_have_attribute("aria-pressed", "false")
    expect_readouts(fig, outlier_readouts(4, "70B"))
    for key in ("fixed-clip", "best-clip", "bound", "regime"):
        expect(fig.locator(f'[data-readout="{key}"]')).to_be_hidden()
    expect(fig.get_by_role("table")).to_be_hidden()  # the named formats belong to the Gaussian view
    bits = fig.get_by_label("Bit-width")
    bits.focus()
    bits.press("ArrowLeft")
    expect_readouts(fig, outlier_readouts(3, "70B"))
    bits.press("Home")
    expect_readouts(fig, outlier_readouts(1.58, "70B"))
    expect(page).to_have_url(re.compile(r"bit-width:b=1\.58,P=70B,w=outliers$"))
    # the chart follows: three curves, the chosen point on each
    show_chart(page, "bit-width")
    names = page.evaluate("document.querySelector('#instrument-bit-width .instrument-chart').data.map(t => t.name)")
    assert names == ["Min–max rounding", "After random Hadamard rotation", "Gaussian, best clip"]
    expect(fig.locator(".chart-marker circle")).to_have_count(3)
    gaussian.click()
    expect_readouts(fig, bit_readouts(1.58, "70B"))
    expect(fig.locator('[data-readout="minmax"]')).to_be_hidden()
    page.wait_for_function("() => document.querySelector('#instrument-bit-width .instrument-chart').data.length === 8")
    no_errors(page)


def test_bit_width_marks_the_named_formats_at_their_effective_bits(page, server):
    from instruments.formats import FORMATS, format_error_gaussian

    open_page(page, server)
    fig = show_chart(page, "bit-width")
    traces = page.evaluate("document.querySelector('#instrument-bit-width .instrument-chart').data"
                           ".slice(3).map(t => ({name: t.name, x: t.x, y: t.y}))")
    expected = [{"name": f.name, "x": [f.effective_bits()], "y": [format_error_gaussian(f).rmse]} for f in FORMATS]
    assert traces == expected
    table = fig.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + len(FORMATS))
    cells = written(*({"bits": sv.fmt("formatBits", f.effective_bits()),
                       "rmse": sv.fmt("formatPercent", format_error_gaussian(f).rmse)} for f in FORMATS))
    for f, cell in zip(FORMATS, cells):
        row = table.get_by_role("row", name=re.compile("^" + re.escape(f.name)))
        expect(row).to_contain_text(cell["bits"])
        expect(row).to_contain_text(cell["rmse"])
    no_errors(page)


# ── charts ────────────────────────────────────────────────────────────────────


def test_readouts_work_before_the_chart_library_loads(page, server):
    open_page(page, server)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.Plotly") == "undefined"
    page.evaluate("""() => {
        const input = document.getElementById('bit-width-b');
        input.value = '1';
        input.dispatchEvent(new Event('input', {bubbles: true}));
    }""")
    expect_readouts(figure(page, "bit-width"), bit_readouts(2, "70B"))
    assert page.evaluate("typeof window.Plotly") == "undefined"
    figure(page, "bit-width").scroll_into_view_if_needed()
    chart = figure(page, "bit-width").locator(".instrument-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=15_000)
    # drawn at the state set before it loaded
    page.wait_for_function("() => document.querySelector('#instrument-bit-width .chart-marker')?.dataset.x === '2'")
    no_errors(page)


def install_counters(page):
    page.evaluate("""() => {
        const fresh = !window.__calls;
        window.__calls = {newPlot: 0, react: 0, update: 0, restyle: 0, relayout: 0};
        if (!fresh) return;
        for (const name of Object.keys(window.__calls)) {
            const original = window.Plotly[name];
            // calls on the instruments' charts only (a code cell's chart nearby is drawn by plots.js)
            window.Plotly[name] = function (...args) {
                const target = typeof args[0] === 'string' ? document.getElementById(args[0]) : args[0];
                if (target && target.closest && target.closest('figure.instrument')) window.__calls[name] += 1;
                return original.apply(this, args);
            };
        }
    }""")


MARKED = [("scaling-explorer", "scaling-explorer-n", CONTEXT_LENGTHS), ("bit-width", "bit-width-b", BITS_ASCENDING)]


def show_chart(page, name):
    """Scroll to an instrument and wait until its chart and chosen point are drawn."""
    fig = figure(page, name)
    fig.scroll_into_view_if_needed()
    expect(fig.locator(".chart-marker circle").first).to_be_attached(timeout=15_000)
    return fig


def marker_state(page, name):
    """The chosen point as drawn: its x, and for each dot the screen distance to the
    nearest point Plotly drew on the curves (0 when the dot sits on its curve)."""
    return page.evaluate("""(name) => {
        const chart = document.querySelector(`#instrument-${name} .instrument-chart`);
        const svg = chart.querySelector('.chart-marker');
        const centre = (el) => { const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; };
        const points = [...chart.querySelectorAll('.scatterlayer .trace path.point')].map(centre);
        const line = svg.querySelector('line').getBoundingClientRect();
        return {
            x: Number(svg.dataset.x), onTop: chart.lastElementChild === svg, lineX: line.x + line.width / 2,
            dots: [...svg.querySelectorAll('circle')].map((dot) => {
                const [cx, cy] = centre(dot);
                return {cx, miss: Math.min(...points.map(([px, py]) => Math.hypot(px - cx, py - cy)))};
            }),
        };
    }""", name)


def test_the_chosen_point_sits_on_the_curves_and_follows_them(page, server):
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        open_page(page, server)
        for name, slider_id, values in MARKED:
            show_chart(page, name)
            burst(page, slider_id)  # to the last position
            slider = page.locator(f"#{slider_id}")
            slider.focus()
            for _ in range(3):
                slider.press("ArrowLeft")
            state = marker_state(page, name)
            assert state["x"] == values[-4] and state["onTop"], state
            assert len(state["dots"]) == 3  # attention, scan, linear attention; or the three error curves
            for dot in state["dots"]:
                assert dot["miss"] < 1.0, (width, name, state)
                assert abs(dot["cx"] - state["lineX"]) < 1.0, (width, name, state)
    # the curves move under the marker when the model width changes, and it stays on them
    page.locator("#scaling-explorer-d").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(100)
    assert all(dot["miss"] < 1.0 for dot in marker_state(page, "scaling-explorer")["dots"])
    # the window is widened: Plotly redraws at the new size and the marker follows
    page.set_viewport_size({"width": 1000, "height": 900})
    for name, _, _ in MARKED:
        figure(page, name).scroll_into_view_if_needed()
        page.wait_for_function("""(name) => {
            const chart = document.querySelector(`#instrument-${name} .instrument-chart`);
            return chart.querySelector('.main-svg').getBoundingClientRect().width > 600;
        }""", arg=name)
        page.wait_for_timeout(200)
        assert all(dot["miss"] < 1.0 for dot in marker_state(page, name)["dots"]), name
    no_errors(page)


def install_url_write_counter(page):
    # a write still waiting for the controls to rest (an earlier change's) is made first,
    # as the page makes it when it is left (widget.js: pagehide), so that it is not counted
    page.evaluate("""() => {
        window.dispatchEvent(new PageTransitionEvent("pagehide"));
        const fresh = window.__writes === undefined;
        window.__writes = 0;
        if (!fresh) return;
        const original = history.replaceState.bind(history);
        history.replaceState = (...args) => { window.__writes += 1; return original(...args); };
    }""")


def burst(page, slider_id):
    """Every position of a slider, as input events inside one frame."""
    page.evaluate("""(id) => {
        const input = document.getElementById(id);
        for (let i = 0; i <= Number(input.max); i += 1) {
            input.value = String(i);
            input.dispatchEvent(new Event('input', {bubbles: true}));
        }
    }""", slider_id)


def test_an_instrument_that_fails_to_start_leaves_the_rest_of_the_page_working(context_factory, server):
    # the bit-width widget given data it cannot read (the page itself, served spoiled):
    # it says so in the console and keeps its table for readers without JavaScript; the
    # other instruments, and what page.js mounts after them, start as usual
    context, _ = context_factory()
    page = context.new_page()

    def spoiled(route):
        response = route.fetch()
        body = response.text()
        assert '"bit-width":{' in body
        route.fulfill(response=response, body=body.replace('"bit-width":{', '"bit-width":{"bit_widths":7},"x":{', 1))

    page.route(server, spoiled)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(server, wait_until="load")
    expect(page.locator("figure.instrument.mounted")).to_have_count(len(NAMES) - 1)
    expect(figure(page, "bit-width").locator(".instrument-live")).to_have_count(0)
    expect(figure(page, "bit-width").locator(".instrument-body table").first).to_be_visible()
    assert [e for e in errors if e.startswith("Instrument bit-width failed to start:")], errors
    page.get_by_role("button", name="Clear my saved answers and code").click()  # bound after the instruments
    expect(page.get_by_role("status").filter(has_text="No saved answers or code to clear.")).to_be_visible()


def test_moving_the_chosen_point_never_redraws_the_chart(page, server):
    open_page(page, server)
    for name, slider_id, values in MARKED:
        show_chart(page, name)
        install_counters(page)
        install_url_write_counter(page)
        burst(page, slider_id)
        page.wait_for_timeout(300)
        assert marker_state(page, name)["x"] == values[-1]
        assert page.evaluate("window.__writes") == 1  # one URL write for the burst
        slider = page.locator(f"#{slider_id}")
        slider.focus()
        for _ in range(4):
            slider.press("ArrowLeft")
        assert marker_state(page, name)["x"] == values[-5]
        calls = page.evaluate("window.__calls")
        assert sum(calls.values()) == 0, (name, calls)  # Plotly is not called at all
    no_errors(page)


def test_curve_changes_update_in_place_at_most_twice_per_frame(page, server):
    open_page(page, server)
    show_chart(page, "scaling-explorer")
    install_counters(page)
    # a burst inside one frame: the first change drawn at once, the rest folded into one
    burst(page, "scaling-explorer-d")
    page.wait_for_timeout(200)
    calls = page.evaluate("window.__calls")
    assert calls["newPlot"] == 0 and calls["react"] == 0, calls
    assert calls["restyle"] == 2, calls
    drawn = page.evaluate("document.querySelector('#instrument-scaling-explorer .instrument-chart').data[0].y")
    assert drawn == pytest.approx([cost.attention_flops(n, MODEL_WIDTHS[-1]) for n in CONTEXT_LENGTHS])
    no_errors(page)


def test_the_bit_chart_marks_the_four_bit_floor(read_page):
    page = wait_for_widgets(read_page)
    fig = show_chart(page, "bit-width")
    layout = page.evaluate("(() => { const el = document.querySelector('#instrument-bit-width .instrument-chart');"
                           " return {shapes: el.layout.shapes, annotations: el.layout.annotations,"
                           " names: el.data.map(t => t.name), yaxis: el.layout.yaxis.type, xaxis: el.layout.xaxis.type}; })()")
    floor = [s for s in layout["shapes"] if s["type"] == "line" and s["x0"] == 4 and s["x1"] == 4]
    assert floor, layout["shapes"]
    assert any("4-bit floor" in a["text"] for a in layout["annotations"])
    assert layout["yaxis"] == "log"
    assert layout["names"][:3] == ["Uniform, ±3σ clip", "Uniform, best clip", "Rate–distortion bound"]
    expect(fig.locator(".instrument-chart .shapelayer path").first).to_be_attached()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_colours_follow_the_theme(read_page, scheme):
    page = read_page
    page.emulate_media(color_scheme=scheme)
    fig = figure(page, "scaling-explorer")
    fig.scroll_into_view_if_needed()
    chart = fig.locator(".instrument-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=15_000)

    def colours():
        return page.evaluate("""() => {
            const el = document.querySelector('#instrument-scaling-explorer .instrument-chart');
            const css = getComputedStyle(document.documentElement);
            return {line: el.data[0].line.color, accent: css.getPropertyValue('--accent').trim(),
                    font: el.layout.font.color, ink: css.getPropertyValue('--ink').trim()};
        }""")

    c = colours()
    assert c["line"] == c["accent"] and c["font"] == c["ink"]
    other = "light" if scheme == "dark" else "dark"
    page.emulate_media(color_scheme=other)
    page.wait_for_function("""() => {
        const el = document.querySelector('#instrument-scaling-explorer .instrument-chart');
        return el.data[0].line.color === getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();
    }""")
    assert colours()["line"] != c["line"]
    # the chosen point's dots take the new scheme's colours too
    page.wait_for_function("""() => {
        const dot = document.querySelector('#instrument-scaling-explorer .chart-marker circle');
        return dot.getAttribute('fill') === getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();
    }""")
    assert page.watch.console_errors == []


# ── the URL fragment ──────────────────────────────────────────────────────────


def test_a_shared_url_restores_every_instrument(page, server, context_factory):
    open_page(page, server)
    scaling, matrix, bits = (figure(page, name) for name in NAMES)
    n = scaling.get_by_role("slider", name="Context length")
    n.focus()
    n.press("End")
    scaling.get_by_role("slider", name="State size").focus()
    scaling.get_by_role("slider", name="State size").press("Home")
    matrix.get_by_role("button", name="SSM (Mamba-2)", exact=True).click()
    matrix.get_by_role("slider", name="Attention layers").focus()
    matrix.get_by_role("slider", name="Attention layers").press("Home")
    bits.get_by_label("Bit-width").focus()
    bits.get_by_label("Bit-width").press("Home")
    bits.get_by_label("Model size").focus()
    bits.get_by_label("Model size").press("End")
    shared = ("#instrument-bit-width?scaling-explorer:n=1048576,d=4096,N=16;"
              "architecture-matrix:n=131072,k=1,hide=ssm;bit-width:b=1.58,P=405B,w=gaussian")
    expect(page).to_have_url(server + shared)
    url = page.url

    other = new_page(context_factory, viewport={"width": 1280, "height": 900})
    other.goto(url)
    for name in NAMES:
        expect(figure(other, name).locator(".instrument-live")).to_be_attached()
    expect_readouts(figure(other, "scaling-explorer"), scaling_readouts(2**20, 4096, 16))
    expect_readouts(figure(other, "architecture-matrix"), matrix_readouts(131072, 1))
    expect_readouts(figure(other, "bit-width"), bit_readouts(1.58, "405B"))
    expect(figure(other, "architecture-matrix").get_by_role("button", name="SSM (Mamba-2)", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(figure(other, "bit-width").get_by_label("Bit-width")).to_have_value("0")
    expect(figure(other, "scaling-explorer").get_by_role("slider", name="State size")).to_have_value("0")
    # and it scrolled to the instrument the link was made from
    other.wait_for_function("() => Math.abs(document.getElementById('instrument-bit-width').getBoundingClientRect().top) < 120")
    assert other.url == url  # restoring writes nothing
    no_errors(other)
    no_errors(page)


def test_a_hand_written_fragment_and_a_later_hash_change(page, server):
    page.goto(server + "#architecture-matrix:n=1048576,k=4,hide=transformer+hybrid")
    matrix = figure(page, "architecture-matrix")
    expect(matrix.locator(".instrument-live")).to_be_attached()
    expect_readouts(matrix, {k: v for k, v in matrix_readouts(2**20, 4).items() if "ssm" in k or "linear" in k})
    expect(matrix.get_by_role("button", name="Hybrid", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(matrix.get_by_role("slider", name="Attention layers")).to_be_hidden()
    page.wait_for_function("() => Math.abs(document.getElementById('instrument-architecture-matrix').getBoundingClientRect().top) < 120")
    # pasting a new state into the same tab applies it
    page.evaluate("location.hash = '#instrument-scaling-explorer?scaling-explorer:n=2048,d=1024,N=64'")
    expect_readouts(figure(page, "scaling-explorer"), scaling_readouts(2048, 1024, 64))
    page.wait_for_function("() => Math.abs(document.getElementById('instrument-scaling-explorer').getBoundingClientRect().top) < 120")
    # nonsense is ignored, defaults stand
    page.goto(server + "#instrument-bit-width?bit-width:b=7,P=9000B")
    expect_readouts(figure(page, "bit-width"), bit_readouts(4, "70B"))
    # ordinary anchors still work after the instruments have written a fragment
    page.get_by_role("navigation", name="Sections of this chapter").get_by_role("link").first.click()
    assert "?" not in page.evaluate("location.hash")
    no_errors(page)


# ── without JavaScript, and how it looks ──────────────────────────────────────


def test_without_javascript_each_instrument_is_a_table(context_factory, server):
    context, watch = context_factory(java_script_enabled=False)
    page = context.new_page()
    page.goto(server)
    # families and released models; bit-widths and formats; modeled, measured prefill and measured decode
    tables = {"architecture-matrix": 2, "bit-width": 2, "scaling-explorer": 3}
    for name in NAMES:
        fig = figure(page, name)
        table = fig.get_by_role("table")
        expect(table).to_have_count(tables.get(name, 1))
        for i in range(tables.get(name, 1)):
            expect(table.nth(i).locator("caption")).not_to_be_empty()
        expect(fig.locator("figcaption")).to_be_visible()
    expect(figure(page, "scaling-explorer").get_by_role("table").first).to_contain_text("4,096×")
    expect(figure(page, "bit-width").get_by_role("table").first).to_contain_text("17.5 GB")
    matrix = figure(page, "architecture-matrix")
    expect(matrix.get_by_role("columnheader", name="Hybrid")).to_be_visible()
    # by hand: 2 * 131,072 tokens * 80 layers * 8 KV heads * 128 * 2 bytes
    expect(matrix.get_by_role("row", name=re.compile("^Llama-3.1-70B"))).to_contain_text("42.9 GB")


@pytest.mark.parametrize("width,scheme", [(375, "light"), (375, "dark"), (1280, "light"), (1280, "dark")])
def test_instrument_screenshots(read_page, screenshots_dir, width, scheme):
    # tall enough for each figure to fit: an element taller than the viewport makes
    # Chromium re-render the whole 20,000 px page for the shot, which is slow
    # (on a phone the architecture matrix, with its released-model table, is about 2,300 px tall)
    page = read_page
    page.set_viewport_size({"width": width, "height": 2600})
    page.emulate_media(color_scheme=scheme)
    for name in NAMES:
        fig = figure(page, name)
        fig.scroll_into_view_if_needed()
        expect(fig.locator(".instrument-live")).to_be_visible()
        if name != "architecture-matrix":
            expect(fig.locator(".instrument-chart .main-svg").first).to_be_visible(timeout=15_000)
        page.wait_for_timeout(300)
        # nothing in the widget is wider than the figure, except inside the table's scroll box
        overflow = fig.evaluate("""f => {
            const limit = f.getBoundingClientRect().right + 1;
            return [...f.querySelectorAll('.instrument-live *')]
              .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > limit)
              .map(e => e.tagName + '.' + e.className);
        }""")
        assert overflow == [], overflow
        fig.screenshot(path=str(screenshots_dir / f"instrument-{name}-{width}-{scheme}.png"))
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways <= 0, f"the page scrolls sideways by {sideways}px at {width}px"
    assert page.watch.console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_in_the_instruments_on_a_phone(read_page, scheme):
    page = read_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.emulate_media(color_scheme=scheme)
    for name in NAMES:
        figure(page, name).scroll_into_view_if_needed()
        if name != "architecture-matrix":
            expect(figure(page, name).locator(".instrument-chart .main-svg").first).to_be_visible(timeout=15_000)
    matrix = figure(page, "architecture-matrix")
    # the table scrolls sideways on a phone, so its box is a named, focusable region
    expect(matrix.get_by_role("region", name=re.compile("Architecture matrix"))).to_have_attribute("tabindex", "0")
    toggle = matrix.get_by_role("button", name="SSM (Mamba-2)", exact=True)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    violations = axe_violations(page, "figure.instrument")
    toggle.click()  # put back for the next test on this page
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert violations == []
    assert page.watch.console_errors == []
