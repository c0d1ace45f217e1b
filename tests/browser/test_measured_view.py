"""The scaling explorer's measured views in Chromium, found by role and label: switched by
keyboard, read back against the checked-in GPU measurement (written by the page's own
instruments/format.js, under Node), charted, kept in a shared URL, and shown as tables without JavaScript."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from browser.helpers import laid_out, new_page, no_errors
from instruments import static_views as sv
from instruments.measured import RUN_FILES

DATA = Path(__file__).resolve().parents[2] / "instruments" / "data"
RAW = {key: json.loads((DATA / name).read_text()) for key, name in RUN_FILES.items()}
M = 2**20


def median(run: str, phase: str, kernel: str, n: int):
    row = next(r for r in RAW[run][phase][kernel] if r["n"] == n)
    return row["median_ms"]


def held(run: str, kernel: str, n: int):
    return next(r for r in RAW[run]["decode"][kernel] if r["n"] == n)["bytes_held"]


def prefill_readouts(n: int) -> dict[str, str]:
    att, flash = median("cudnn", "prefill", "attention", n), median("main", "prefill", "attention", n)
    ssd = median("main", "prefill", "ssd", n)
    return {
        "attention": sv.fmt("formatMs", att),
        "attention-flash": sv.fmt("formatMs", flash),
        "ssd": sv.fmt("formatMs", ssd),
        "gated-deltanet": sv.fmt("formatMs", median("main", "prefill", "gated_deltanet", n)),
        "linear-attention": sv.fmt("formatMs", median("main", "prefill", "linear_attention", n)),
        "measured-ratio": sv.fmt("formatRatio", att / ssd),
        "modeled-ratio": sv.fmt("formatRatio", n / 256),  # n / (E N), E = 2, N = 128
        "crossover": "≈ 3,400 tokens",
    }


def decode_readouts(n: int) -> dict[str, str]:
    att, ssd = median("cudnn", "decode", "attention", n), median("main", "decode", "ssd", n)
    return {
        "decode-attention": sv.fmt("formatMs", att),
        "decode-ssd": sv.fmt("formatMs", ssd),
        "decode-ratio": sv.fmt("formatRatio", att / ssd),
        "kv-held": sv.fmt("formatBytes", held("cudnn", "attention", n)),
        "ssd-held": sv.fmt("formatBytes", held("main", "ssd", n)),
        "gdn-held": sv.fmt("formatBytes", held("main", "gated_deltanet", n)),
    }


def explorer(page, server, fragment=""):
    page.goto(server + fragment)
    laid_out(page)
    fig = page.locator("#instrument-scaling-explorer")
    expect(fig.locator(".instrument-live")).to_be_attached()
    return fig


def expect_measured(fig, expected: dict[str, str]):
    """``expected`` holds ``sv.fmt`` placeholders, written here by format.js in one Node call."""
    for key, text in sv.render(expected).items():
        expect(fig.locator(f'[data-measured="{key}"]')).to_have_text(text)


def test_views_switch_by_keyboard_and_say_which_is_on(page, server):
    fig = explorer(page, server)
    group = fig.get_by_role("group", name="View")
    modeled, prefill, decode = (group.get_by_role("button", name=name, exact=True)
                                for name in ("Modeled FLOPs", "Measured: prefill", "Measured: decode"))
    expect(modeled).to_have_attribute("aria-pressed", "true")
    expect(prefill).to_have_attribute("aria-pressed", "false")
    prefill.focus()
    page.keyboard.press("Enter")
    expect(prefill).to_have_attribute("aria-pressed", "true")
    expect(modeled).to_have_attribute("aria-pressed", "false")
    # the width and state controls belong to the model; the measurement has one shape
    expect(fig.get_by_role("slider", name="Model width (d)")).to_be_hidden()
    expect(fig.get_by_role("slider", name="State size (N)")).to_be_hidden()
    expect(fig.locator('[data-readout="ratio"]')).to_be_hidden()
    expect_measured(fig, prefill_readouts(131072))
    live = fig.locator('[data-measured="measured-ratio"]').locator("xpath=ancestor::*[@aria-live][1]")
    expect(live).to_have_attribute("aria-live", "polite")
    chart = fig.get_by_role("img", name="Log–log chart of measured time per layer", exact=False)
    expect(chart).to_be_visible()
    decode.focus()
    page.keyboard.press("Space")
    expect(decode).to_have_attribute("aria-pressed", "true")
    expect(chart).to_be_hidden()
    expect_measured(fig, decode_readouts(131072))
    expect(fig.get_by_role("img", name="Log–log chart of measured decode time per token", exact=False)).to_be_visible()
    expect(fig.get_by_role("img", name="Log–log chart of the bytes one layer keeps", exact=False)).to_be_visible()
    modeled.click()
    expect(fig.get_by_role("slider", name="State size (N)")).to_be_visible()
    expect(fig.locator('[data-readout="ratio"]')).to_be_visible()
    no_errors(page)


def test_the_context_slider_moves_the_measured_readouts(page, server):
    fig = explorer(page, server)
    fig.get_by_role("button", name="Measured: prefill", exact=True).click()
    n = fig.get_by_role("slider", name="Context length")
    n.focus()
    n.press("End")
    expect_measured(fig, prefill_readouts(M))
    expect(fig.locator('[data-measured="modeled-ratio"]')).to_have_text("4,096×")
    n.press("Home")  # 512 tokens: shorter than anything timed
    for key in ("attention", "ssd", "measured-ratio"):
        expect(fig.locator(f'[data-measured="{key}"]')).to_have_text("not measured")
    expect(fig.locator('[data-measured="modeled-ratio"]')).to_have_text("2×")
    for _ in range(2):
        n.press("ArrowRight")
    expect_measured(fig, prefill_readouts(2048))
    fig.get_by_role("button", name="Measured: decode", exact=True).click()
    expect(fig.locator('[data-measured="decode-attention"]')).to_have_text("not measured")  # decode starts at 4K
    n.press("ArrowRight")
    expect_measured(fig, decode_readouts(4096))
    no_errors(page)


def test_the_measured_chart_draws_every_series_and_marks_the_chosen_length(page, server):
    fig = explorer(page, server)
    fig.get_by_role("button", name="Measured: prefill", exact=True).click()
    chart = fig.locator('[data-view="prefill"] .instrument-chart')
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_attribute("data-drawn", "1", timeout=20000)
    names = chart.evaluate("el => el.data.map((t) => t.name)")
    assert names == ["Attention, cuDNN", "Attention, FlashAttention-2", "SSD (Mamba-2)", "Gated DeltaNet",
                     "Linear attention"]
    ys = chart.evaluate("el => el.data[2].y")
    assert ys[-1] == median("main", "prefill", "ssd", M) and ys[0] is None
    expect(chart.locator(".chart-marker")).to_have_attribute("data-x", "131072")
    fig.get_by_role("slider", name="Context length").focus()
    page.keyboard.press("End")
    expect(chart.locator(".chart-marker")).to_have_attribute("data-x", str(M))
    expect(chart.locator(".chart-marker circle")).to_have_count(5)
    no_errors(page)


def test_a_shared_url_keeps_the_view(page, server, context_factory):
    fig = explorer(page, server)
    fig.get_by_role("button", name="Measured: decode", exact=True).click()
    fig.get_by_role("slider", name="Context length").focus()
    page.keyboard.press("End")
    expect(page).to_have_url(server + "#instrument-scaling-explorer?scaling-explorer:n=1048576,d=4096,N=128,v=decode")
    other = new_page(context_factory, viewport={"width": 390, "height": 800})
    fig2 = explorer(other, server, "#instrument-scaling-explorer?scaling-explorer:n=1048576,v=decode")
    expect(fig2.get_by_role("button", name="Measured: decode", exact=True)).to_have_attribute("aria-pressed", "true")
    expect_measured(fig2, decode_readouts(M))
    # back to the model: the view leaves the URL
    fig.get_by_role("button", name="Modeled FLOPs", exact=True).click()
    expect(page).to_have_url(server + "#instrument-scaling-explorer?scaling-explorer:n=1048576,d=4096,N=128")
    no_errors(page)
    no_errors(other)


def test_without_javascript_the_measurement_is_a_table(context_factory, server):
    context, _ = context_factory(java_script_enabled=False)
    page = context.new_page()
    page.goto(server)
    fig = page.locator("#instrument-scaling-explorer")
    prefill = fig.get_by_role("region", name="Measured prefill table (scrolls sideways)")
    decode = fig.get_by_role("region", name="Measured decode table (scrolls sideways)")
    expect(prefill.get_by_role("row")).to_have_count(11)  # header + 2K ... 1M
    expect(decode.get_by_role("row")).to_have_count(10)  # header + 4K ... 1M
    last = prefill.get_by_role("row").last
    expect(last.get_by_role("rowheader")).to_have_text("1,048,576")
    cells = sv.render({"time": sv.fmt("formatMs", median("cudnn", "prefill", "attention", M)),
                       "held": sv.fmt("formatBytes", held("cudnn", "attention", M))})
    expect(last).to_contain_text(cells["time"])
    expect(last).to_contain_text("4,096×")
    expect(decode.get_by_role("row").last).to_contain_text(cells["held"])
