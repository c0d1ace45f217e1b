"""The instruments without JavaScript: captioned tables of the default state, with
numbers formatted as the widgets format them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from instruments import cost, defaults
from instruments import quantization as qz
from instruments import static_views as sv
from instruments.architectures import FAMILIES, MODEL_PRESETS, model_costs
from instruments.tables import (
    ARCHITECTURE_STATE,
    ARCHITECTURE_WIDTH,
    BYTES_PER_VALUE,
    CONTEXT_LENGTHS,
    HEAD_WIDTH,
    all_instrument_data,
)

ROOT = Path(__file__).resolve().parents[1]


class TableReader(HTMLParser):
    """Caption, column headers (with their scope) and rows of text of each table."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_caption = False
        self.attrs_seen: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.attrs_seen.append((tag, attrs))
        if tag == "table":
            self.tables.append({"caption": "", "columns": [], "rows": [], "section": None})
        elif tag in ("thead", "tbody"):
            self.tables[-1]["section"] = tag
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables[-1]["section"] == "tbody":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self._cell = []
            if self.tables[-1]["section"] == "thead":
                self.tables[-1]["columns"].append({"scope": attrs.get("scope"), "text": ""})

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("th", "td") and self._cell is not None:
            text = "".join(self._cell).strip()
            table = self.tables[-1]
            if table["section"] == "thead":
                table["columns"][-1]["text"] = text
            else:
                table["rows"][-1].append(text)
            self._cell = None

    def handle_data(self, data):
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def data():
    return all_instrument_data()


TABLES = {"bit-width": 2, "architecture-matrix": 2, "scaling-explorer": 3}
"""bit-widths, then the named formats; families, then models; modeled, then measured prefill and decode"""


def read(name: str, data: dict, index: int = 0) -> tuple[dict, TableReader]:
    reader = TableReader()
    reader.feed(sv.fallback_html(name, data[name]))
    assert len(reader.tables) == TABLES.get(name, 1)
    return reader.tables[index], reader


@pytest.mark.parametrize("name", ["scaling-explorer", "architecture-matrix", "bit-width"])
def test_each_view_is_a_captioned_table_with_column_headers(data, name):
    table, reader = read(name, data)
    assert table["caption"].strip()
    assert table["columns"] and all(c["scope"] == "col" and c["text"] for c in table["columns"])
    assert all(len(row) == len(table["columns"]) for row in table["rows"])
    # the scrolling box is reachable by keyboard and named
    region = [a for tag, a in reader.attrs_seen if tag == "div" and "table-scroll" in a.get("class", "")]
    assert region and region[0].get("tabindex") == "0" and region[0].get("role") == "region" and region[0].get("aria-label")


@pytest.mark.parametrize("index,first,last", [(1, "2,048", "1,048,576"), (2, "4,096", "1,048,576")])
def test_scaling_explorer_measured_tables_have_headers_and_a_row_per_measured_length(data, index, first, last):
    table, _ = read("scaling-explorer", data, index)
    assert table["caption"].strip().startswith("Measured on an NVIDIA H200")
    assert all(c["scope"] == "col" and c["text"] for c in table["columns"])
    assert all(len(row) == len(table["columns"]) for row in table["rows"])
    assert table["rows"][0][0] == first and table["rows"][-1][0] == last
    assert all(cell and cell != "—" for row in table["rows"] for cell in row)  # every length ran


def test_scaling_explorer_lists_every_length_at_the_default_width_and_state(data):
    table, _ = read("scaling-explorer", data)
    d, N = data["scaling-explorer"]["defaults"]["d"], data["scaling-explorer"]["defaults"]["N"]
    assert (d, N) == (defaults.WIDTH, defaults.STATE_SIZE)  # the running example
    assert f"d = {d:,}" in table["caption"] and f"N = {N}" in table["caption"]
    assert f"E = {defaults.EXPANSION}" in table["caption"] and f"d_h = {defaults.HEAD_WIDTH}" in table["caption"]
    expected = [
        [
            f"{n:,}",
            sv.format_flops(cost.attention_flops(n, d)),
            sv.format_flops(cost.ssm_flops(n, d, N)),
            sv.format_flops(cost.linear_attention_flops(n, d, HEAD_WIDTH)),
            sv.format_ratio(cost.attention_to_ssm_ratio(n, N)),
            sv.format_bytes(cost.kv_cache_bytes(n, d, BYTES_PER_VALUE)),
            sv.format_bytes(cost.ssm_state_bytes(d, N, bytes_per_value=BYTES_PER_VALUE)),
            sv.format_bytes(cost.linear_attention_state_bytes(d, HEAD_WIDTH, BYTES_PER_VALUE)),
        ]
        for n in CONTEXT_LENGTHS
    ]
    assert table["rows"] == expected
    # by hand, at a million tokens: 2**40 * 4096; 2**20 * 2 * 4096 * 128; 2**20 * 4096 * 128;
    # 2**20 / (2 * 128); 2 * 2**20 * 4096 * 2 B; 2 * 4096 * (128 + 3) * 2 B; 32 * 128 * 128 * 2 B
    assert table["rows"][-1] == ["1,048,576", "4.5e15 FLOPs", "1.1e12 FLOPs", "5.5e11 FLOPs", "4,096×",
                                 "17.2 GB", "2.15 MB", "1.05 MB"]


def test_architecture_matrix_shows_the_four_families_at_the_default_context(data):
    table, _ = read("architecture-matrix", data)
    assert [c["text"] for c in table["columns"]] == ["Property"] + [f.name for f in FAMILIES]
    n, k = data["architecture-matrix"]["defaults"]["n"], data["architecture-matrix"]["defaults"]["k"]
    d, N, b = ARCHITECTURE_WIDTH, ARCHITECTURE_STATE, BYTES_PER_VALUE
    rows = {row[0]: row[1:] for row in table["rows"]}
    assert rows["Token-mix cost"] == [f.token_mix for f in FAMILIES]
    assert rows["Decode memory"] == [f.decode_memory for f in FAMILIES]
    assert rows["Exact recall"] == [f.exact_recall for f in FAMILIES]
    assert rows["Best at"] == [f.best_at for f in FAMILIES]
    assert rows["Weakest at"] == [f.weakest_at for f in FAMILIES]
    assert rows["Attention layers"] == ["every layer", "none", "none", f"1 in every {k}"]
    assert rows["Token-mix FLOPs per layer"] == [
        sv.format_flops(v)
        for v in (cost.attention_flops(n, d), cost.ssm_flops(n, d, N), cost.linear_attention_flops(n, d, HEAD_WIDTH),
                  cost.hybrid_flops(n, d, N, k))
    ]
    assert rows["Decode memory per layer"] == [
        sv.format_bytes(v)
        for v in (cost.kv_cache_bytes(n, d, b), cost.ssm_state_bytes(d, N, bytes_per_value=b),
                  cost.linear_attention_state_bytes(d, HEAD_WIDTH, b),
                  cost.hybrid_decode_bytes(n, d, N, k, bytes_per_value=b))
    ]
    # by hand at 131,072 tokens: 2 * 131072 * 4096 * 2 B; 2 * 4096 * (128 + 3) * 2 B; 32 * 128 * 128 * 2 B
    assert rows["Decode memory per layer"][:3] == ["2.15 GB", "2.15 MB", "1.05 MB"]
    assert f"{n:,} tokens" in table["caption"]


def test_architecture_matrix_lists_the_released_models_at_the_default_context(data):
    table, _ = read("architecture-matrix", data, index=1)
    assert [c["text"] for c in table["columns"]] == [
        "Model", "Token-mixing layers", "KV cache", "Recurrent state", "Decode memory"]
    n = data["architecture-matrix"]["defaults"]["n"]
    expected = []
    for preset in MODEL_PRESETS:
        costs = model_costs(preset, n, BYTES_PER_VALUE)
        expected.append([preset.name, preset.layers, sv.memory_or_none(costs["kv_cache_bytes"]),
                         sv.memory_or_none(costs["state_bytes"]), sv.format_bytes(costs["decode_bytes"])])
    assert table["rows"] == expected
    rows = {row[0]: row[1:] for row in table["rows"]}
    # by hand: 2 * 131072 * 80 layers * 8 KV heads * 128 * 2 B = 42,949,672,960 B
    assert rows["Llama-3.1-70B"] == ["80 attention", "42.9 GB", "none", "42.9 GB"]
    # 64 layers * (5120 * 128 + 5376 * 3) * 2 B = 85,950,464 B, at any length
    assert rows["Mamba-2 2.7B"] == ["64 Mamba-2", "none", "86 MB", "86 MB"]
    assert f"{n:,} tokens" in table["caption"] and "2 bytes a value" in table["caption"]


def test_bit_width_lists_size_and_errors_for_each_width(data):
    table, _ = read("bit-width", data)
    size = data["bit-width"]["defaults"]["P"]
    params = qz.MODEL_SIZES[size]
    expected = [
        [
            sv.format_bits(b),
            sv.format_gb(qz.weight_storage_gb(params, b)),
            sv.format_percent(qz.fixed_clip_uniform_error(b)),
            sv.format_percent(qz.best_clip_uniform_error(b)),
            sv.format_percent(qz.rate_distortion_bound(b)),
            qz.regime(b),
        ]
        for b in qz.BIT_WIDTHS
    ]
    assert table["rows"] == expected
    rows = {row[0]: row[1:] for row in table["rows"]}
    assert rows["2 bits"][0] == "17.5 GB"
    assert rows["16 bits"][0] == "140 GB"
    assert rows["4 bits"][3] == "6.25%"
    assert rows["1.58 bits"][4] == "only with rotation and codebooks"
    assert [c["text"] for c in table["columns"]][2:4] == ["Uniform, ±3σ clip", "Uniform, best clip"]


def test_bit_width_lists_the_named_formats_at_their_effective_bits(data):
    from instruments.formats import FORMATS, format_error_gaussian

    table, _ = read("bit-width", data, index=1)
    expected = []
    for fmt in FORMATS:
        e = format_error_gaussian(fmt)
        expected.append([fmt.name, fmt.elements, sv.format_bits(fmt.effective_bits()),
                         sv.format_percent(e.rmse), sv.format_percent(e.standard_error)])
    assert table["rows"] == expected
    rows = {row[0]: row[2] for row in table["rows"]}
    assert rows == {"INT4, g128": "4.125 bits", "MXFP4": "4.25 bits", "NVFP4": "4.5 bits",
                    "NF4": "4.5 bits", "FP8 E4M3": "8 bits"}
    assert "262,144 Gaussian weights" in table["caption"] and "seed 0" in table["caption"]


def test_unknown_instrument_is_an_error(data):
    with pytest.raises(KeyError):
        sv.fallback_html("slide-rule", {})


@pytest.mark.parametrize(
    "formatter,value,text",
    [
        (sv.format_ratio, 65536.0, "65,536×"),
        (sv.format_gb, 17.5, "17.5 GB"),
        (sv.format_flops, 1.2e15, "1.2e15 FLOPs"),
        (sv.format_bytes, 131072.0, "131 KB"),
        (sv.format_bytes, 17179869184.0, "17.2 GB"),
        (sv.format_percent, 0.03125, "3.13%"),
        (sv.sig3, 2.625, "2.63"),
        (sv.format_bytes, 999.6, "1 KB"),
        (sv.short_tokens, 131072, "128K"),
    ],
)
def test_formatters_read_as_the_issue_asks(formatter, value, text):
    assert formatter(value) == text
