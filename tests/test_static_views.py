"""The instruments without JavaScript: captioned tables of the default state, laid out
in Python with every number written by the widgets' own ``instruments/format.js`` (under
Node, through ``static_views.render``, as the build writes them)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from instruments import cost, defaults
from instruments import quantization as qz
from instruments import static_views as sv
from instruments.static_views import fmt
from instruments.architectures import FAMILIES, MODEL_PRESETS, model_costs
from instruments.widget_data import (
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


@pytest.fixture(scope="module")
def views(data):
    """Every instrument's view as the build writes it: one ``render`` (one Node process)."""
    return sv.render({name: sv.fallback_html(name, data[name]) for name in TABLES})


def read(name: str, views: dict, index: int = 0) -> tuple[dict, TableReader]:
    reader = TableReader()
    reader.feed(views[name])
    assert len(reader.tables) == TABLES.get(name, 1)
    return reader.tables[index], reader


def written(rows: list[list[str]]) -> list[list[str]]:
    """Rows of text and ``fmt`` placeholders, the placeholders written by format.js."""
    cells = sv.render({f"{i},{j}": cell for i, row in enumerate(rows) for j, cell in enumerate(row)})
    return [[cells[f"{i},{j}"] for j in range(len(row))] for i, row in enumerate(rows)]


@pytest.mark.parametrize("name", ["scaling-explorer", "architecture-matrix", "bit-width"])
def test_each_view_is_a_captioned_table_with_column_headers(views, name):
    table, reader = read(name, views)
    assert table["caption"].strip()
    assert table["columns"] and all(c["scope"] == "col" and c["text"] for c in table["columns"])
    assert all(len(row) == len(table["columns"]) for row in table["rows"])
    # the scrolling box is reachable by keyboard and named
    region = [a for tag, a in reader.attrs_seen if tag == "div" and "table-scroll" in a.get("class", "")]
    assert region and region[0].get("tabindex") == "0" and region[0].get("role") == "region" and region[0].get("aria-label")


@pytest.mark.parametrize("index,first,last", [(1, "2,048", "1,048,576"), (2, "4,096", "1,048,576")])
def test_scaling_explorer_measured_tables_have_headers_and_a_row_per_measured_length(views, index, first, last):
    table, _ = read("scaling-explorer", views, index)
    assert table["caption"].strip().startswith("Measured on an NVIDIA H200")
    assert all(c["scope"] == "col" and c["text"] for c in table["columns"])
    assert all(len(row) == len(table["columns"]) for row in table["rows"])
    assert table["rows"][0][0] == first and table["rows"][-1][0] == last
    assert all(cell and cell != "—" for row in table["rows"] for cell in row)  # every length ran


def test_scaling_explorer_lists_every_length_at_the_default_width_and_state(data, views):
    table, _ = read("scaling-explorer", views)
    d, N = data["scaling-explorer"]["defaults"]["d"], data["scaling-explorer"]["defaults"]["N"]
    assert (d, N) == (defaults.WIDTH, defaults.STATE_SIZE)  # the running example
    assert f"d = {d:,}" in table["caption"] and f"N = {N}" in table["caption"]
    assert f"E = {defaults.EXPANSION}" in table["caption"] and f"d_h = {defaults.HEAD_WIDTH}" in table["caption"]
    expected = written([
        [
            f"{n:,}",
            fmt("formatFlops", cost.attention_flops(n, d)),
            fmt("formatFlops", cost.ssm_flops(n, d, N)),
            fmt("formatFlops", cost.linear_attention_flops(n, d, HEAD_WIDTH)),
            fmt("formatRatio", cost.attention_to_ssm_ratio(n, N)),
            fmt("formatBytes", cost.kv_cache_bytes(n, d, BYTES_PER_VALUE)),
            fmt("formatBytes", cost.ssm_state_bytes(d, N, bytes_per_value=BYTES_PER_VALUE)),
            fmt("formatBytes", cost.linear_attention_state_bytes(d, HEAD_WIDTH, BYTES_PER_VALUE)),
        ]
        for n in CONTEXT_LENGTHS
    ])
    assert table["rows"] == expected
    # by hand, at a million tokens: 2**40 * 4096; 2**20 * 2 * 4096 * 128; 2**20 * 4096 * 128;
    # 2**20 / (2 * 128); 2 * 2**20 * 4096 * 2 B; 2 * 4096 * (128 + 3) * 2 B; 32 * 128 * 128 * 2 B
    assert table["rows"][-1] == ["1,048,576", "4.5e15 FLOPs", "1.1e12 FLOPs", "5.5e11 FLOPs", "4,096×",
                                 "17.2 GB", "2.15 MB", "1.05 MB"]


def test_architecture_matrix_shows_the_four_families_at_the_default_context(data, views):
    table, _ = read("architecture-matrix", views)
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
    flops, memory = written([
        [fmt("formatFlops", v)
         for v in (cost.attention_flops(n, d), cost.ssm_flops(n, d, N),
                   cost.linear_attention_flops(n, d, HEAD_WIDTH), cost.hybrid_flops(n, d, N, k))],
        [fmt("formatBytes", v)
         for v in (cost.kv_cache_bytes(n, d, b), cost.ssm_state_bytes(d, N, bytes_per_value=b),
                   cost.linear_attention_state_bytes(d, HEAD_WIDTH, b),
                   cost.hybrid_decode_bytes(n, d, N, k, bytes_per_value=b))],
    ])
    assert rows["Token-mix FLOPs per layer"] == flops
    assert rows["Decode memory per layer"] == memory
    # by hand at 131,072 tokens: 2 * 131072 * 4096 * 2 B; 2 * 4096 * (128 + 3) * 2 B; 32 * 128 * 128 * 2 B
    assert rows["Decode memory per layer"][:3] == ["2.15 GB", "2.15 MB", "1.05 MB"]
    assert f"{n:,} tokens" in table["caption"]


def test_architecture_matrix_lists_the_released_models_at_the_default_context(data, views):
    table, _ = read("architecture-matrix", views, index=1)
    assert [c["text"] for c in table["columns"]] == [
        "Model", "Token-mixing layers", "KV cache", "Recurrent state", "Decode memory"]
    n = data["architecture-matrix"]["defaults"]["n"]
    expected = []
    for preset in MODEL_PRESETS:
        costs = model_costs(preset, n, BYTES_PER_VALUE)
        expected.append([preset.name, preset.layers, fmt("memoryOrNone", costs["kv_cache_bytes"]),
                         fmt("memoryOrNone", costs["state_bytes"]), fmt("formatBytes", costs["decode_bytes"])])
    assert table["rows"] == written(expected)
    rows = {row[0]: row[1:] for row in table["rows"]}
    # by hand: 2 * 131072 * 80 layers * 8 KV heads * 128 * 2 B = 42,949,672,960 B
    assert rows["Llama-3.1-70B"] == ["80 attention", "42.9 GB", "none", "42.9 GB"]
    # 64 layers * (5120 * 128 + 5376 * 3) * 2 B = 85,950,464 B, at any length
    assert rows["Mamba-2 2.7B"] == ["64 Mamba-2", "none", "86 MB", "86 MB"]
    assert f"{n:,} tokens" in table["caption"] and "2 bytes a value" in table["caption"]


def test_bit_width_lists_size_and_errors_for_each_width(data, views):
    table, _ = read("bit-width", views)
    size = data["bit-width"]["defaults"]["P"]
    params = qz.MODEL_SIZES[size]
    expected = written([
        [
            fmt("formatBits", b),
            fmt("formatGB", qz.weight_storage_gb(params, b)),
            fmt("formatPercent", qz.fixed_clip_uniform_error(b)),
            fmt("formatPercent", qz.best_clip_uniform_error(b)),
            fmt("formatPercent", qz.rate_distortion_bound(b)),
            qz.regime(b),
        ]
        for b in qz.BIT_WIDTHS
    ])
    assert table["rows"] == expected
    rows = {row[0]: row[1:] for row in table["rows"]}
    assert rows["2 bits"][0] == "17.5 GB"
    assert rows["16 bits"][0] == "140 GB"
    assert rows["4 bits"][3] == "6.25%"
    assert rows["1.58 bits"][4] == "only with rotation and codebooks"
    assert [c["text"] for c in table["columns"]][2:4] == ["Uniform, ±3σ clip", "Uniform, best clip"]


def test_bit_width_lists_the_named_formats_at_their_effective_bits(views):
    from instruments.formats import FORMATS, format_error_gaussian

    table, _ = read("bit-width", views, index=1)
    expected = []
    for weights in FORMATS:
        e = format_error_gaussian(weights)
        expected.append([weights.name, weights.elements, fmt("formatBits", weights.effective_bits()),
                         fmt("formatPercent", e.rmse), fmt("formatPercent", e.standard_error)])
    assert table["rows"] == written(expected)
    rows = {row[0]: row[2] for row in table["rows"]}
    assert rows == {"INT4, g128": "4.125 bits", "MXFP4": "4.25 bits", "NVFP4": "4.5 bits",
                    "NF4": "4.5 bits", "FP8 E4M3": "8 bits"}
    assert "262,144 Gaussian weights" in table["caption"] and "seed 0" in table["caption"]


def test_unknown_instrument_is_an_error(data):
    with pytest.raises(KeyError):
        sv.fallback_html("slide-rule", {})


EXAMPLES = [
    ("formatRatio", 65536.0, "65,536×"),
    ("formatGB", 17.5, "17.5 GB"),
    ("formatFlops", 1.2e15, "1.2e15 FLOPs"),
    ("formatBytes", 131072.0, "131 KB"),
    ("formatBytes", 17179869184.0, "17.2 GB"),
    ("formatPercent", 0.03125, "3.13%"),
    ("sig3", 2.625, "2.63"),
    ("formatBytes", 999.6, "1 KB"),
    ("shortTokens", 131072, "128K"),
]


@pytest.fixture(scope="module")
def examples_written():
    """The examples below, written by format.js in one Node process."""
    return sv.render({f"{name}({value!r})": fmt(name, value) for name, value, _ in EXAMPLES})


@pytest.mark.parametrize("formatter,value,text", EXAMPLES)
def test_each_formatter_writes_a_number_as_the_chapter_prints_it(examples_written, formatter, value, text):
    assert examples_written[f"{formatter}({value!r})"] == text


def test_python_writes_no_number_of_a_table(data, views):
    """The laid-out tables hold placeholders where numbers go; only format.js writes them."""
    raw = sv.fallback_html("bit-width", data["bit-width"])
    assert "17.5 GB" not in raw and "11.9%" not in raw and "±3σ" not in raw
    assert "17.5 GB" in views["bit-width"] and "±3σ" in views["bit-width"]
    for name in TABLES:
        assert "\x00" not in views[name]
        assert sv.render({name: views[name]})[name] == views[name]  # nothing left to write


def test_an_unknown_formatter_or_a_value_that_is_no_number_is_refused():
    with pytest.raises(sv.FormattingError, match="exports no function 'toFixed'"):
        sv.render({"cell": fmt("toFixed", 1.0)})
    with pytest.raises(sv.FormattingError):
        sv.render({"cell": fmt("parseFragment", 1.0)})  # exported by format.js, but no number formatter
    with pytest.raises(ValueError, match="cannot name a function"):
        fmt("format-bytes", 1.0)
    for value in (True, "12", None, [1]):
        with pytest.raises(TypeError):
            fmt("formatBytes", value)
    for value in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            fmt("formatBytes", value)


def test_numbers_of_every_kind_reach_format_js_exactly():
    import numpy as np

    values = {"int": fmt("formatBits", 4), "float": fmt("formatBits", 1.58),
              "numpy": fmt("formatBits", np.float64(1.58)), "numpy-int": fmt("groupThousands", np.int64(1048576)),
              "tiny": fmt("sig3", 0.1 + 0.2), "none": fmt("memoryOrNone", 0)}
    assert sv.render(values) == {"int": "4 bits", "float": "1.58 bits", "numpy": "1.58 bits",
                                 "numpy-int": "1,048,576", "tiny": "0.3", "none": "none"}


def test_a_malformed_placeholder_is_an_error():
    with pytest.raises(ValueError, match="malformed number placeholder in 'cell'"):
        sv.render({"cell": "<td>\x00formatBytes:12 KB\x00</td>"})


def test_written_text_is_escaped_and_other_text_left_alone():
    rendered = sv.render({"cell": f'<td title="{fmt("formatRatio", 4.0)}">&amp; {fmt("formatTokens", 131072)}</td>'})
    assert rendered == {"cell": '<td title="4×">&amp; 131,072 tokens</td>'}


def test_no_placeholder_needs_no_node(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert sv.render({"cell": "<td>none</td>"}) == {"cell": "<td>none</td>"}


def test_a_missing_node_is_named(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(sv.FormattingError, match="Node.js is not installed"):
        sv.render({"cell": fmt("formatBytes", 1.0)})


def test_a_failing_format_js_is_named(tmp_path, monkeypatch):
    broken = tmp_path / "format.js"
    broken.write_text("export function formatBytes(x) { throw new Error('no bytes today'); }\n")
    monkeypatch.setattr(sv, "FORMAT_JS", broken)
    with pytest.raises(sv.FormattingError, match=r"(?s)instruments/format.js failed under Node:.*no bytes today"):
        sv.render({"cell": fmt("formatBytes", 1.0)})
