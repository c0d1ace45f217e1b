"""Property and hand-computed tests for instruments.cost, the running example and the
released-model presets (eq-11-1, eq-11-4, eq-11-5)."""

import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instruments import InstrumentArgumentError  # noqa: E402
from instruments import cost, defaults  # noqa: E402
from instruments.architectures import MODEL_PRESETS, family_costs, model_costs  # noqa: E402

contexts = st.integers(1, 2**24)
widths = st.integers(1, 2**14)
head_widths = st.sampled_from([16, 32, 64, 128, 256])
states = st.integers(1, 512)
expansions = st.integers(1, 4)
conv_widths = st.integers(1, 8)
periods = st.integers(1, 64)
byte_sizes = st.sampled_from([0.5, 1, 2, 4])


# ── the running example ───────────────────────────────────────────────────────


def test_the_running_example_is_the_one_the_chapter_states():
    assert (defaults.WIDTH, defaults.HEADS, defaults.HEAD_WIDTH) == (4096, 32, 128)
    assert defaults.HEADS * defaults.HEAD_WIDTH == defaults.WIDTH
    assert (defaults.EXPANSION, defaults.STATE_SIZE, defaults.MAMBA1_STATE_SIZE, defaults.CONV_WIDTH) == (2, 128, 16, 4)
    assert (defaults.LINEAR_HEADS, defaults.KEY_WIDTH, defaults.VALUE_WIDTH) == (32, 128, 128)
    assert (defaults.BYTES_PER_VALUE, defaults.FP32_BYTES, defaults.LONG_CONTEXT) == (2, 4, 2**20)


PROSE_VALUES = {  # symbol as the prose writes it in math -> the running example's value
    "d": defaults.WIDTH,
    "d_h": defaults.HEAD_WIDTH,
    "E": defaults.EXPANSION,
    "N": defaults.STATE_SIZE,
}
DEPARTURES = {  # (symbol, value) -> words the same line must use to say why
    ("N", defaults.MAMBA1_STATE_SIZE): ("original", "Mamba"),
    ("d_h", 4): ("small head", "running example"),
}


def test_the_prose_states_the_running_example_and_names_every_departure():
    seen = {symbol: set() for symbol in PROSE_VALUES}
    for path in sorted((ROOT / "chapter").glob("11-*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for symbol, value in re.findall(r"\$(d_h|d|E|N) = (\d+)\$", line):
                value = int(value)
                seen[symbol].add(value)
                if value == PROSE_VALUES[symbol]:
                    continue
                why = DEPARTURES.get((symbol, value))
                assert why, f"{path.name}:{number}: ${symbol} = {value}$ departs from the running example"
                assert all(word in line for word in why), f"{path.name}:{number}: ${symbol} = {value}$ without why"
    assert all(value in seen[symbol] for symbol, value in PROSE_VALUES.items()), seen


# ── properties ────────────────────────────────────────────────────────────────


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths)
def test_doubling_context_quadruples_attention_exactly(n, d):
    assert cost.attention_flops(2 * n, d) == 4 * cost.attention_flops(n, d)


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths, states, expansions)
def test_doubling_context_doubles_ssm_exactly(n, d, N, E):
    assert cost.ssm_flops(2 * n, d, N, E=E) == 2 * cost.ssm_flops(n, d, N, E=E)
    assert cost.ssm_flops(n, d, N, E=E) == n * E * d * N


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, st.integers(1, 64), head_widths)
def test_linear_attention_is_linear_in_n_and_counts_heads(n, heads, d_h):
    d = heads * d_h
    one = cost.linear_attention_flops(n, d, d_h)
    assert cost.linear_attention_flops(2 * n, d, d_h) == 2 * one
    assert one == n * heads * d_h * d_h  # H heads, each a d_h x d_h state per token
    assert cost.linear_attention_state_bytes(d, d_h, 2) == heads * d_h * d_h * 2


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths, states, expansions)
def test_ratio_is_what_the_flops_reduce_to(n, d, N, E):
    ratio = cost.attention_flops(n, d) / cost.ssm_flops(n, d, N, E=E)
    assert ratio == pytest.approx(cost.attention_to_ssm_ratio(n, N, E=E), rel=1e-12)


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths, byte_sizes)
def test_kv_cache_is_linear_in_context(n, d, b):
    one = cost.kv_cache_bytes(n, d, b)
    assert cost.kv_cache_bytes(3 * n, d, b) == pytest.approx(3 * one, rel=1e-12)
    assert one == 2 * n * d * b


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(widths, states, expansions, conv_widths, byte_sizes, contexts)
def test_ssm_state_is_e_d_n_plus_the_convolution_and_does_not_depend_on_context(d, N, E, w, b, n):
    assert cost.ssm_state_bytes(d, N, E=E, conv_width=w, bytes_per_value=b) == E * d * N * b + E * d * (w - 1) * b
    assert cost.ssm_state_bytes(d, N, E=E, conv_width=1, bytes_per_value=b) == E * d * N * b
    short = family_costs(n, 128 * d, N, 4, E=E, conv_width=w, bytes_per_value=b)
    long = family_costs(16 * n, 128 * d, N, 4, E=E, conv_width=w, bytes_per_value=b)
    for fid in ("ssm", "linear-attention"):
        assert long[fid]["decode_bytes"] == short[fid]["decode_bytes"]
    assert long["transformer"]["decode_bytes"] == 16 * short["transformer"]["decode_bytes"]


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths, states, periods)
def test_hybrid_lies_between_ssm_and_attention(n, d, N, k):
    attn, ssm = cost.attention_flops(n, d), cost.ssm_flops(n, d, N)
    mixed = cost.hybrid_flops(n, d, N, k)
    assert min(attn, ssm) * (1 - 1e-12) <= mixed <= max(attn, ssm) * (1 + 1e-12)
    kv, state = cost.kv_cache_bytes(n, d), cost.ssm_state_bytes(d, N)
    mem = cost.hybrid_decode_bytes(n, d, N, k)
    assert min(kv, state) * (1 - 1e-12) <= mem <= max(kv, state) * (1 + 1e-12)


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths, states)
def test_period_one_is_a_transformer(n, d, N):
    assert cost.hybrid_flops(n, d, N, 1) == cost.attention_flops(n, d)
    assert cost.hybrid_decode_bytes(n, d, N, 1) == cost.kv_cache_bytes(n, d)


@settings(deadline=None)  # timing varies on a shared machine; the properties do not
@given(contexts, widths, states, periods, expansions)
def test_hybrid_is_the_layer_average(n, d, N, k, E):
    expected = (cost.attention_flops(n, d) + (k - 1) * cost.ssm_flops(n, d, N, E=E)) / k
    assert cost.hybrid_flops(n, d, N, k, E=E) == pytest.approx(expected, rel=1e-12)
    memory = (cost.kv_cache_bytes(n, d) + (k - 1) * cost.ssm_state_bytes(d, N, E=E)) / k
    assert cost.hybrid_decode_bytes(n, d, N, k, E=E) == pytest.approx(memory, rel=1e-12)


# ── the numbers the chapter quotes, by hand ──────────────────────────────────


def test_the_running_example_by_hand():
    d, d_h, E, N, b = 4096, 128, 2, 128, 2
    # linear attention: 32 heads x 128 x 128 = 524,288 values, about 1 MB; not d**2 (33.6 MB)
    assert cost.linear_attention_state_bytes(d, d_h, b) == 524_288 * 2 == 1_048_576
    assert cost.linear_attention_flops(2**20, d, d_h) == 2**20 * 4096 * 128
    # a Mamba-2 layer: 2 x 4096 x 128 = 1,048,576 scan values plus 2 x 4096 x 3 convolution values
    assert cost.ssm_state_bytes(d, N, conv_width=1) == 1_048_576 * 2
    assert cost.ssm_state_bytes(d, N) == (1_048_576 + 24_576) * 2 == 2_146_304
    assert cost.ssm_state_bytes(d, N, conv_width=1, bytes_per_value=4) == 4_194_304
    assert cost.ssm_flops(2**20, d, N, E=E) == 2**20 * 2 * 4096 * 128
    # attention against the scan: n / (E N)
    assert cost.attention_to_ssm_ratio(2**20, N) == 4096
    assert cost.attention_to_ssm_ratio(2**20, 16) == 32_768
    # one attention layer's cache at a million tokens: 2 x 2**20 x 4096 x 2 bytes
    assert cost.kv_cache_bytes(2**20, d, b) == 17_179_869_184
    assert cost.attention_dominance_length(d) == 24_576


def test_llama_3_1_70b_holds_42_9_gb_of_kv_cache_at_131072_tokens():
    # 80 layers x 8 KV heads x 128 wide, keys and values, 131,072 tokens, 2 bytes
    by_hand = 2 * 131_072 * 80 * 8 * 128 * 2
    assert by_hand == 42_949_672_960
    llama = next(p for p in MODEL_PRESETS if p.id == "llama-3.1-70b")
    costs = model_costs(llama, 131_072, 2)
    assert costs["kv_cache_bytes"] == by_hand
    assert costs["state_bytes"] == 0
    assert costs["decode_bytes"] == by_hand
    assert f"{costs['decode_bytes'] / 1e9:.1f}" == "42.9"


# (attention layers, KV heads, head width, recurrent layers, state values per layer,
#  convolution channels per layer), each read from the model's configuration
PRESET_SHAPES = {
    "llama-3.1-70b": (80, 8, 128, 0, 0, 0),
    "mamba2-2.7b": (0, None, None, 64, 80 * 64 * 128, 5120 + 2 * 128),
    "jamba-1.5-mini": (4, 8, 128, 28, 8192 * 16, 8192),
    "nemotron-h-8b": (4, 8, 128, 24, 128 * 64 * 128, 8192 + 2 * 8 * 128),
    "qwen3-next-80b-a3b": (12, 2, 256, 36, 32 * 128 * 128, 2 * 16 * 128 + 32 * 128),
}


@pytest.mark.parametrize("preset", MODEL_PRESETS, ids=lambda p: p.id)
def test_each_preset_by_hand(preset):
    attn, kv_heads, head_dim, rec, state, conv = PRESET_SHAPES[preset.id]
    assert (preset.attention_layers, preset.recurrent_layers) == (attn, rec)
    if attn:
        assert (preset.kv_heads, preset.head_dim) == (kv_heads, head_dim)
    assert (preset.state_values, preset.conv_channels) == (state, conv)
    n = np.array([4096, 131_072, 2**20])
    kv = 2 * n * attn * (kv_heads or 0) * (head_dim or 0) * 2
    fixed = rec * (state + conv * 3) * 2
    costs = model_costs(preset, n, 2)
    assert costs["kv_cache_bytes"].tolist() == kv.tolist()
    assert costs["state_bytes"] == fixed
    assert costs["decode_bytes"].tolist() == (kv + fixed).tolist()
    # fp32 states double the state, not the cache
    wide = model_costs(preset, n, 2, state_bytes_per_value=4)
    assert wide["decode_bytes"].tolist() == (kv + 2 * fixed).tolist()


def test_released_models_by_hand_at_131072_tokens():
    at = {p.id: model_costs(p, 131_072, 2) for p in MODEL_PRESETS}
    assert at["mamba2-2.7b"]["decode_bytes"] == 64 * (655_360 + 5_376 * 3) * 2 == 85_950_464
    assert at["jamba-1.5-mini"]["decode_bytes"] == 2 * 131_072 * 4 * 8 * 128 * 2 + 28 * (131_072 + 8_192 * 3) * 2
    assert at["nemotron-h-8b"]["state_bytes"] == 24 * (1_048_576 + 10_240 * 3) * 2 == 51_806_208
    assert at["qwen3-next-80b-a3b"]["kv_cache_bytes"] == 2 * 131_072 * 12 * 2 * 256 * 2 == 3_221_225_472


def test_every_preset_cites_a_listed_and_cited_work():
    listed = tomllib.loads((ROOT / "chapter" / "references.toml").read_text(encoding="utf-8"))
    chapter = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "chapter").glob("11-*.md"))
    for preset in MODEL_PRESETS:
        assert preset.source in listed, preset.id
        assert re.search(rf"{re.escape(preset.name)} \[@{re.escape(preset.source)}\]", chapter), preset.id


# ── conventions ───────────────────────────────────────────────────────────────


def test_scalar_in_float_out():
    values = [
        cost.attention_flops(1024, 4096),
        cost.ssm_flops(1024, 4096, 16),
        cost.linear_attention_flops(1024, 4096, 128),
        cost.hybrid_flops(1024, 4096, 16, 4),
        cost.kv_cache_bytes(1024, 4096),
        cost.ssm_state_bytes(4096, 16),
        cost.linear_attention_state_bytes(4096, 128),
        cost.hybrid_decode_bytes(1024, 4096, 16, 4),
        cost.attention_to_ssm_ratio(1024, 16),
        cost.attention_dominance_length(4096),
        cost.model_kv_cache_bytes(1024, 80, 8, 128),
        cost.model_state_bytes(64, 655_360, 5376),
        cost.model_decode_bytes(1024, 4, 8, 128, 24, 1_048_576, 10_240),
        cost.attention_flops(np.int64(1024), np.int32(4096)),
    ]
    assert all(type(v) is float for v in values)


def test_broadcasting_over_a_grid():
    n = np.array([512, 1024, 2048])[:, None]
    d = np.array([1024, 4096])[None, :]
    flops = cost.attention_flops(n, d)
    assert isinstance(flops, np.ndarray) and flops.shape == (3, 2)
    assert np.array_equal(flops, n.astype(float) ** 2 * d)
    assert cost.ssm_flops(n, d, [16]).shape == (3, 2)
    assert cost.linear_attention_flops(n, d, 128).shape == (3, 2)
    assert cost.hybrid_flops([512, 1024], 4096, 16, [[1], [8]]).shape == (2, 2)
    assert cost.kv_cache_bytes([1, 2], 8).tolist() == [32.0, 64.0]
    assert cost.model_decode_bytes([1, 2], [[1], [2]], 1, 1).tolist() == [[4.0, 8.0], [8.0, 16.0]]


def test_no_integer_overflow_at_the_top_of_the_slider():
    assert cost.attention_flops(2**20, 8192) == float(2**53)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cost.attention_flops(-3, 4096), "context length n must be a positive integer, got -3"),
        (lambda: cost.attention_flops(0, 4096), "context length n must be a positive integer, got 0"),
        (lambda: cost.attention_flops(10.5, 4096), "context length n must be a positive integer, got 10.5"),
        (lambda: cost.attention_flops([512, -1], 4096), "context length n must be a positive integer, got -1"),
        (lambda: cost.ssm_flops(512, 0, 16), "model width d must be a positive integer, got 0"),
        (lambda: cost.ssm_flops(512, 4096, float("nan")), "state size N must be a positive integer, got nan"),
        (lambda: cost.ssm_flops(512, 4096, 16, E=0), "expansion factor E must be a positive integer, got 0"),
        (lambda: cost.hybrid_flops(512, 4096, 16, 0), "hybrid period k must be a positive integer, got 0"),
        (lambda: cost.kv_cache_bytes(512, 4096, 0), "bytes per value must be > 0, got 0"),
        (lambda: cost.ssm_state_bytes(4096, 16, bytes_per_value=-2), "bytes per value must be > 0, got -2"),
        (lambda: cost.ssm_state_bytes(4096, 16, conv_width=0), "convolution width w must be a positive integer, got 0"),
        (lambda: cost.linear_attention_flops(512, 4096, 0), "head width d_h must be a positive integer, got 0"),
        (lambda: cost.linear_attention_state_bytes(4096, 96),
         "head width d_h must divide model width d into whole heads, got d_h = 96 for d = 4096"),
        (lambda: cost.model_kv_cache_bytes(512, -1, 8, 128), "attention layers must be a whole number >= 0, got -1"),
        (lambda: cost.model_kv_cache_bytes(512, 80, 0, 128), "key-value heads must be a positive integer, got 0"),
        (lambda: cost.model_state_bytes(2.5, 100), "recurrent layers must be a whole number >= 0, got 2.5"),
        (lambda: cost.model_state_bytes(64, 100, conv_width=0), "convolution width w must be a positive integer, got 0"),
        (lambda: cost.model_decode_bytes(512, 4, 8, 128, 24, 100, state_bytes_per_value=0),
         "bytes per value must be > 0, got 0"),
        (lambda: cost.attention_flops("1024", 4096), "context length n must be a real number"),
        (lambda: cost.attention_flops(float("inf"), 4096), "context length n must be a positive integer, got inf"),
    ],
)
def test_bad_arguments_raise_named_error(call, message):
    with pytest.raises(InstrumentArgumentError) as info:
        call()
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)
