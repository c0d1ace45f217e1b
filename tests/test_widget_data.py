"""Parity, coverage and size tests for instruments.widget_data."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments import cost, widget_data as tables  # noqa: E402
from instruments import quantization as qz  # noqa: E402
from instruments.architectures import FAMILIES, MODEL_PRESETS, family_costs, model_costs  # noqa: E402

JSON_BUDGET = 60_000


@pytest.fixture(scope="module")
def data():
    return tables.all_instrument_data()


@pytest.fixture(scope="module")
def roundtrip(data):
    return json.loads(json.dumps(data, separators=(",", ":"), allow_nan=False))


def test_keys_are_the_instrument_names(data):
    assert set(data) == {"scaling-explorer", "architecture-matrix", "bit-width"}


def test_json_is_compact_and_lossless(data, roundtrip):
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    assert len(text.encode()) < JSON_BUDGET
    assert roundtrip == data  # floats survive the trip exactly; no numpy types left


def test_axes_cover_every_control_position(roundtrip):
    scaling = roundtrip["scaling-explorer"]
    assert scaling["context_lengths"] == [2**p for p in range(9, 21)]
    assert scaling["model_widths"] == [1024, 2048, 4096, 8192]
    assert scaling["state_sizes"] == [16, 32, 64, 128]
    expected = {f"{d},{N}" for d in tables.MODEL_WIDTHS for N in tables.STATE_SIZES}
    assert set(scaling["series"]) == expected
    for series in scaling["series"].values():
        for name in ("attention_flops", "ssm_flops", "linear_flops", "ratio", "kv_cache_bytes"):
            assert len(series[name]) == len(tables.CONTEXT_LENGTHS)
    arch = roundtrip["architecture-matrix"]
    assert arch["hybrid_periods"] == list(tables.HYBRID_PERIODS)
    assert arch["context_lengths"] == list(tables.CONTEXT_LENGTHS)
    for metric in ("flops", "decode_bytes"):
        assert set(arch[metric]) == {f.id for f in FAMILIES}
        assert len(arch[metric]["hybrid"]) == len(tables.HYBRID_PERIODS)
        assert all(len(row) == len(tables.CONTEXT_LENGTHS) for row in arch[metric]["hybrid"])
    assert [m["id"] for m in arch["models"]] == [p.id for p in MODEL_PRESETS]
    for model in arch["models"]:
        assert len(model["kv_cache_bytes"]) == len(model["decode_bytes"]) == len(tables.CONTEXT_LENGTHS)
    bits = roundtrip["bit-width"]
    assert bits["bit_widths"] == list(qz.BIT_WIDTHS)
    for curve in bits["error_curve"].values():
        assert len(curve) == len(qz.BIT_WIDTHS)
    assert set(bits["storage_gb"]) == set(qz.MODEL_SIZES)


def test_both_instruments_use_the_running_example(roundtrip):
    scaling, arch = roundtrip["scaling-explorer"], roundtrip["architecture-matrix"]
    for data in (scaling, arch):
        assert (data["E"], data["d_h"], data["conv_width"], data["bytes_per_value"]) == (2, 128, 4, 2)
    assert (arch["d"], arch["N"]) == (4096, 128)
    # the explorer's default series is the matrix's layer
    i = tables.CONTEXT_LENGTHS.index(131072)
    series = scaling["series"][tables.width_state_key(arch["d"], arch["N"])]
    assert series["ssm_state_bytes"] == arch["decode_bytes"]["ssm"][i]
    assert series["linear_state_bytes"] == arch["decode_bytes"]["linear-attention"][i]
    assert series["ssm_flops"][i] == arch["flops"]["ssm"][i]
    assert series["linear_flops"][i] == arch["flops"]["linear-attention"][i]


def test_scaling_explorer_parity(roundtrip):
    n = np.array(tables.CONTEXT_LENGTHS)
    for d in tables.MODEL_WIDTHS:
        for N in tables.STATE_SIZES:
            series = roundtrip["scaling-explorer"]["series"][tables.width_state_key(d, N)]
            assert series["attention_flops"] == cost.attention_flops(n, d).tolist()
            assert series["ssm_flops"] == cost.ssm_flops(n, d, N, E=2).tolist()
            assert series["linear_flops"] == cost.linear_attention_flops(n, d, 128).tolist()
            assert series["ratio"] == cost.attention_to_ssm_ratio(n, N, E=2).tolist()
            assert series["kv_cache_bytes"] == cost.kv_cache_bytes(n, d).tolist()
            assert series["ssm_state_bytes"] == cost.ssm_state_bytes(d, N, E=2, conv_width=4)
            assert series["linear_state_bytes"] == cost.linear_attention_state_bytes(d, 128)


def test_architecture_matrix_parity(roundtrip):
    arch = roundtrip["architecture-matrix"]
    assert arch["families"] == [
        {k: getattr(f, k) for k in ("id", "name", "token_mix", "decode_memory", "exact_recall", "best_at", "weakest_at")}
        for f in FAMILIES
    ]
    for i, n in enumerate(tables.CONTEXT_LENGTHS):
        for j, k in enumerate(tables.HYBRID_PERIODS):
            costs = family_costs(n, arch["d"], arch["N"], k, d_h=arch["d_h"], E=arch["E"],
                                 conv_width=arch["conv_width"], bytes_per_value=arch["bytes_per_value"])
            for metric in ("flops", "decode_bytes"):
                assert arch[metric]["hybrid"][j][i] == costs["hybrid"][metric]
                for fid in ("transformer", "ssm", "linear-attention"):
                    assert arch[metric][fid][i] == costs[fid][metric]
    for model, preset in zip(arch["models"], MODEL_PRESETS):
        costs = model_costs(preset, np.array(tables.CONTEXT_LENGTHS), arch["bytes_per_value"])
        assert (model["name"], model["layers"], model["source"]) == (preset.name, preset.layers, preset.source)
        assert model["kv_cache_bytes"] == costs["kv_cache_bytes"].tolist()
        assert model["decode_bytes"] == costs["decode_bytes"].tolist()
        assert model["state_bytes"] == costs["state_bytes"]


def test_bit_width_parity(roundtrip):
    bits = roundtrip["bit-width"]
    for i, b in enumerate(qz.BIT_WIDTHS):
        assert bits["levels"][i] == qz.midrise_levels(b)
        assert bits["midtread_levels"][i] == qz.uniform_levels(b)
        assert bits["regime"][i] == qz.regime(b)
        assert bits["error_curve"]["fixed_clip"][i] == qz.fixed_clip_uniform_error(b, bits["fixed_clip"])
        assert bits["error_curve"]["best_clip"][i] == qz.best_clip_uniform_error(b)
        assert bits["error_curve"]["bound"][i] == qz.rate_distortion_bound(b)
        for name, p in qz.MODEL_SIZES.items():
            assert bits["storage_gb"][name][i] == qz.weight_storage_gb(p, b)
    assert bits["ternary"] == {"absmean": qz.absmean_ternary_error(), "best": qz.best_ternary_error()}
    assert bits["regimes"] == list(qz.REGIMES)
    assert bits["model_sizes"] == qz.MODEL_SIZES
    assert bits["fixed_clip"] == qz.FIXED_CLIP


def test_bit_width_formats_and_rotation_parity(roundtrip):
    from instruments.formats import FORMATS, MC_SEED, MC_SIZE, format_error_gaussian
    from instruments.rotation import ROTATION_EXAMPLE, rotation_errors

    bits = roundtrip["bit-width"]
    assert bits["mc"] == {"size": MC_SIZE, "seed": MC_SEED}
    assert [f["name"] for f in bits["formats"]] == [f.name for f in FORMATS]
    for entry, fmt in zip(bits["formats"], FORMATS):
        e = format_error_gaussian(fmt)
        assert (entry["bits"], entry["error"], entry["standard_error"]) == (fmt.effective_bits(), e.rmse, e.standard_error)
        assert entry["elements"] == fmt.elements
    e = rotation_errors(list(qz.BIT_WIDTHS), **ROTATION_EXAMPLE)
    assert bits["rotation"]["plain"] == e["plain"].tolist()
    assert bits["rotation"]["rotated"] == e["rotated"].tolist()
    assert bits["rotation"]["example"] == ROTATION_EXAMPLE


def test_quiz_numbers_are_in_the_tables(roundtrip):
    bits = roundtrip["bit-width"]
    assert bits["storage_gb"]["70B"][qz.BIT_WIDTHS.index(2)] == 17.5
    series = roundtrip["scaling-explorer"]["series"]["4096,128"]
    assert series["attention_flops"][1] == 4 * series["attention_flops"][0]
    assert series["ssm_flops"][1] == 2 * series["ssm_flops"][0]
