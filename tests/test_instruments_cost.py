"""Property tests for instruments.cost (EQ 11.1, 11.4, 11.5)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments import InstrumentArgumentError  # noqa: E402
from instruments import cost  # noqa: E402
from instruments.architectures import family_costs  # noqa: E402

contexts = st.integers(1, 2**24)
widths = st.integers(1, 2**14)
states = st.integers(1, 512)
periods = st.integers(1, 64)
byte_sizes = st.sampled_from([0.5, 1, 2, 4])


@given(contexts, widths)
def test_doubling_context_quadruples_attention_exactly(n, d):
    assert cost.attention_flops(2 * n, d) == 4 * cost.attention_flops(n, d)


@given(contexts, widths, states)
def test_doubling_context_doubles_ssm_exactly(n, d, N):
    assert cost.ssm_flops(2 * n, d, N) == 2 * cost.ssm_flops(n, d, N)


@given(contexts, widths)
def test_doubling_context_doubles_linear_attention(n, d):
    assert cost.linear_attention_flops(2 * n, d) == 2 * cost.linear_attention_flops(n, d)


@given(contexts, widths, states)
def test_ratio_is_what_the_flops_reduce_to(n, d, N):
    ratio = cost.attention_flops(n, d) / cost.ssm_flops(n, d, N)
    assert ratio == pytest.approx(cost.attention_to_ssm_ratio(n, N), rel=1e-12)


@given(contexts, widths, byte_sizes)
def test_kv_cache_is_linear_in_context(n, d, b):
    one = cost.kv_cache_bytes(n, d, b)
    assert cost.kv_cache_bytes(3 * n, d, b) == pytest.approx(3 * one, rel=1e-12)
    assert one == 2 * n * d * b


@given(widths, states, byte_sizes, contexts)
def test_ssm_state_does_not_depend_on_context(d, N, b, n):
    assert cost.ssm_state_bytes(d, N, b) == d * N * b
    short = family_costs(n, d, N, 4, b)
    long = family_costs(16 * n, d, N, 4, b)
    for fid in ("ssm", "linear-attention"):
        assert long[fid]["decode_bytes"] == short[fid]["decode_bytes"]
    assert long["transformer"]["decode_bytes"] == 16 * short["transformer"]["decode_bytes"]


@given(contexts, widths, states, periods)
def test_hybrid_lies_between_ssm_and_attention(n, d, N, k):
    attn, ssm = cost.attention_flops(n, d), cost.ssm_flops(n, d, N)
    mixed = cost.hybrid_flops(n, d, N, k)
    assert min(attn, ssm) * (1 - 1e-12) <= mixed <= max(attn, ssm) * (1 + 1e-12)
    kv, state = cost.kv_cache_bytes(n, d), cost.ssm_state_bytes(d, N)
    mem = cost.hybrid_decode_bytes(n, d, N, k)
    assert min(kv, state) * (1 - 1e-12) <= mem <= max(kv, state) * (1 + 1e-12)


@given(contexts, widths, states)
def test_period_one_is_a_transformer(n, d, N):
    assert cost.hybrid_flops(n, d, N, 1) == cost.attention_flops(n, d)
    assert cost.hybrid_decode_bytes(n, d, N, 1) == cost.kv_cache_bytes(n, d)


@given(contexts, widths, states, periods)
def test_hybrid_is_the_layer_average(n, d, N, k):
    expected = (cost.attention_flops(n, d) + (k - 1) * cost.ssm_flops(n, d, N)) / k
    assert cost.hybrid_flops(n, d, N, k) == pytest.approx(expected, rel=1e-12)


def test_scalar_in_float_out():
    values = [
        cost.attention_flops(1024, 4096),
        cost.ssm_flops(1024, 4096, 16),
        cost.linear_attention_flops(1024, 4096),
        cost.hybrid_flops(1024, 4096, 16, 4),
        cost.kv_cache_bytes(1024, 4096),
        cost.ssm_state_bytes(4096, 16),
        cost.linear_attention_state_bytes(4096),
        cost.hybrid_decode_bytes(1024, 4096, 16, 4),
        cost.attention_to_ssm_ratio(1024, 16),
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
    assert cost.hybrid_flops([512, 1024], 4096, 16, [[1], [8]]).shape == (2, 2)
    assert cost.kv_cache_bytes([1, 2], 8).tolist() == [32.0, 64.0]


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
        (lambda: cost.hybrid_flops(512, 4096, 16, 0), "hybrid period k must be a positive integer, got 0"),
        (lambda: cost.kv_cache_bytes(512, 4096, 0), "bytes per value must be > 0, got 0"),
        (lambda: cost.ssm_state_bytes(4096, 16, -2), "bytes per value must be > 0, got -2"),
        (lambda: cost.attention_flops("1024", 4096), "context length n must be a real number"),
        (lambda: cost.attention_flops(float("inf"), 4096), "context length n must be a positive integer, got inf"),
    ],
)
def test_bad_arguments_raise_named_error(call, message):
    with pytest.raises(InstrumentArgumentError) as info:
        call()
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)
