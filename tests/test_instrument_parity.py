"""Parity: every value the built page embeds for the instruments equals what the
numpy functions return for that control position, called one scalar at a time.

The widgets only look numbers up in this data, so this is what keeps the page and
the code cells from drifting apart.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pytest

from instruments import cost
from instruments import quantization as qz
from instruments.architectures import FAMILIES, MODEL_PRESETS
from instruments.widget_data import (
    ARCHITECTURE_STATE,
    ARCHITECTURE_WIDTH,
    BYTES_PER_VALUE,
    CONTEXT_LENGTHS,
    CONV_WIDTH,
    EXPANSION,
    HEAD_WIDTH,
    HYBRID_PERIODS,
    MODEL_WIDTHS,
    STATE_SIZES,
)

REL = 1e-12
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def page_html(built_site) -> str:
    return (built_site / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def embedded(page_html) -> dict:
    match = re.search(r'<script type="application/json" id="instrument-data">(.*?)</script>', page_html, re.S)
    assert match, "the page embeds no instrument data"
    return json.loads(match.group(1))


def same(actual, expected) -> bool:
    if isinstance(expected, str) or isinstance(actual, str):
        return actual == expected
    return actual == expected or math.isclose(actual, expected, rel_tol=REL, abs_tol=0.0)


def check(label: str, actual, expected, failures: list):
    if not same(actual, expected):
        failures.append(f"{label}: page has {actual!r}, function gives {expected!r}")


def test_every_instrument_has_data_and_a_figure(page_html, embedded):
    assert set(embedded) == {"scaling-explorer", "architecture-matrix", "bit-width"}
    for name in embedded:
        assert re.search(rf'<figure class="instrument" id="instrument-{name}" data-instrument="{name}"', page_html), name


def test_scaling_explorer_matches_the_cost_model(embedded):
    data = embedded["scaling-explorer"]
    assert data["context_lengths"] == list(CONTEXT_LENGTHS)
    assert data["model_widths"] == list(MODEL_WIDTHS)
    assert data["state_sizes"] == list(STATE_SIZES)
    assert data["bytes_per_value"] == BYTES_PER_VALUE
    failures: list[str] = []
    checked = 0
    for d in MODEL_WIDTHS:
        for N in STATE_SIZES:
            series = data["series"][f"{d},{N}"]
            for i, n in enumerate(CONTEXT_LENGTHS):
                at = f"d={d} N={N} n={n}"
                check(f"attention_flops {at}", series["attention_flops"][i], cost.attention_flops(n, d), failures)
                check(f"ssm_flops {at}", series["ssm_flops"][i], cost.ssm_flops(n, d, N, E=EXPANSION), failures)
                check(f"linear_flops {at}", series["linear_flops"][i],
                      cost.linear_attention_flops(n, d, HEAD_WIDTH), failures)
                check(f"ratio {at}", series["ratio"][i], cost.attention_to_ssm_ratio(n, N, E=EXPANSION), failures)
                check(f"ratio is attention / ssm {at}", series["ratio"][i],
                      cost.attention_flops(n, d) / cost.ssm_flops(n, d, N, E=EXPANSION), failures)
                check(f"kv_cache_bytes {at}", series["kv_cache_bytes"][i],
                      cost.kv_cache_bytes(n, d, BYTES_PER_VALUE), failures)
                checked += 6
            check(f"ssm_state_bytes d={d} N={N}", series["ssm_state_bytes"],
                  cost.ssm_state_bytes(d, N, E=EXPANSION, conv_width=CONV_WIDTH, bytes_per_value=BYTES_PER_VALUE),
                  failures)
            check(f"linear_state_bytes d={d}", series["linear_state_bytes"],
                  cost.linear_attention_state_bytes(d, HEAD_WIDTH, BYTES_PER_VALUE), failures)
    assert not failures, failures[:10]
    assert checked == 16 * 12 * 6


def test_architecture_matrix_matches_the_families_and_the_cost_model(embedded):
    data = embedded["architecture-matrix"]
    d, N, b = ARCHITECTURE_WIDTH, ARCHITECTURE_STATE, BYTES_PER_VALUE
    assert (data["d"], data["N"], data["bytes_per_value"]) == (d, N, b)
    assert (data["E"], data["d_h"], data["conv_width"]) == (EXPANSION, HEAD_WIDTH, CONV_WIDTH)
    assert data["context_lengths"] == list(CONTEXT_LENGTHS)
    assert data["hybrid_periods"] == list(HYBRID_PERIODS)
    fields = ("id", "name", "token_mix", "decode_memory", "exact_recall", "best_at", "weakest_at")
    assert [[f[key] for key in fields] for f in data["families"]] == [
        [getattr(f, key) for key in fields] for f in FAMILIES
    ]
    failures: list[str] = []
    for i, n in enumerate(CONTEXT_LENGTHS):
        check(f"transformer flops n={n}", data["flops"]["transformer"][i], cost.attention_flops(n, d), failures)
        check(f"ssm flops n={n}", data["flops"]["ssm"][i], cost.ssm_flops(n, d, N, E=EXPANSION), failures)
        check(f"linear flops n={n}", data["flops"]["linear-attention"][i],
              cost.linear_attention_flops(n, d, HEAD_WIDTH), failures)
        check(f"transformer memory n={n}", data["decode_bytes"]["transformer"][i],
              cost.kv_cache_bytes(n, d, b), failures)
        check(f"ssm memory n={n}", data["decode_bytes"]["ssm"][i],
              cost.ssm_state_bytes(d, N, E=EXPANSION, conv_width=CONV_WIDTH, bytes_per_value=b), failures)
        check(f"linear memory n={n}", data["decode_bytes"]["linear-attention"][i],
              cost.linear_attention_state_bytes(d, HEAD_WIDTH, b), failures)
        for j, k in enumerate(HYBRID_PERIODS):
            check(f"hybrid flops n={n} k={k}", data["flops"]["hybrid"][j][i],
                  cost.hybrid_flops(n, d, N, k, E=EXPANSION), failures)
            check(f"hybrid memory n={n} k={k}", data["decode_bytes"]["hybrid"][j][i],
                  cost.hybrid_decode_bytes(n, d, N, k, E=EXPANSION, conv_width=CONV_WIDTH, bytes_per_value=b),
                  failures)
        for model, p in zip(data["models"], MODEL_PRESETS):
            check(f"{p.id} kv n={n}", model["kv_cache_bytes"][i],
                  cost.model_kv_cache_bytes(n, p.attention_layers, p.kv_heads, p.head_dim, b), failures)
            check(f"{p.id} decode n={n}", model["decode_bytes"][i],
                  cost.model_decode_bytes(n, p.attention_layers, p.kv_heads, p.head_dim, p.recurrent_layers,
                                          p.state_values, p.conv_channels, p.conv_width, b), failures)
    for model, p in zip(data["models"], MODEL_PRESETS):
        check(f"{p.id} state", model["state_bytes"],
              cost.model_state_bytes(p.recurrent_layers, p.state_values, p.conv_channels, p.conv_width, b), failures)
    assert [m["id"] for m in data["models"]] == [p.id for p in MODEL_PRESETS]
    assert not failures, failures[:10]
    # k = 1 is a pure Transformer: the hybrid control's end meets the Transformer column.
    assert data["flops"]["hybrid"][0] == data["flops"]["transformer"]


def test_bit_width_matches_the_quantization_functions(embedded):
    data = embedded["bit-width"]
    assert data["bit_widths"] == list(qz.BIT_WIDTHS)
    assert data["model_sizes"] == dict(qz.MODEL_SIZES)
    assert data["regimes"] == list(qz.REGIMES)
    assert data["regime_thresholds"] == dict(qz.REGIME_THRESHOLDS)
    failures: list[str] = []
    for i, b in enumerate(qz.BIT_WIDTHS):
        check(f"fixed_clip b={b}", data["error_curve"]["fixed_clip"][i], qz.fixed_clip_uniform_error(b), failures)
        check(f"best_clip b={b}", data["error_curve"]["best_clip"][i], qz.best_clip_uniform_error(b), failures)
        check(f"bound b={b}", data["error_curve"]["bound"][i], qz.rate_distortion_bound(b), failures)
        check(f"regime b={b}", data["regime"][i], qz.regime(b), failures)
        check(f"levels b={b}", data["levels"][i], qz.midrise_levels(b), failures)
        check(f"midtread levels b={b}", data["midtread_levels"][i], qz.uniform_levels(b), failures)
        for name, params in qz.MODEL_SIZES.items():
            check(f"storage {name} b={b}", data["storage_gb"][name][i], qz.weight_storage_gb(params, b), failures)
    check("ternary absmean", data["ternary"]["absmean"], qz.absmean_ternary_error(), failures)
    check("ternary best", data["ternary"]["best"], qz.best_ternary_error(), failures)
    assert not failures, failures[:10]
    assert data["storage_gb"]["70B"][qz.BIT_WIDTHS.index(2)] == 17.5


def test_the_no_js_tables_are_in_the_page(page_html, embedded):
    from instruments.static_views import fallback_html, render

    tables = render({name: fallback_html(name, data) for name, data in embedded.items()})
    for name in embedded:
        start = page_html.index(f'id="instrument-{name}"')
        body = page_html[start:page_html.index("</figure>", start)]
        assert tables[name] in body
        assert "<table" in html.unescape(body)
