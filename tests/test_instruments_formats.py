"""Tests for instruments.formats: FP8/FP4 grids, block scales and their Gaussian errors."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments import InstrumentArgumentError  # noqa: E402
from instruments import formats as fm  # noqa: E402
from instruments import quantization as qz  # noqa: E402

NF4_FIXTURE = Path(__file__).parent / "fixtures" / "qlora_nf4.json"
BY_NAME = {f.name: f for f in fm.FORMATS}


# --- element grids ----------------------------------------------------------------


def test_e2m1_grid():
    assert fm.e2m1_values().tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    signed = np.unique(np.concatenate([fm.e2m1_values(), -fm.e2m1_values()]))
    assert signed.size == 15  # +0 and -0 are one value


def test_e4m3_grid_follows_the_ocp_fp8_layout():
    v = fm.e4m3_values()
    assert v.size == 127  # 128 codes per sign, S.1111.111 is NaN
    assert v[0] == 0.0 and v[1] == 2.0**-9 and v[7] == 7 * 2.0**-9  # subnormals
    assert v[8] == 2.0**-6  # smallest normal
    assert v[56] == 1.0  # e = 7 is the bias
    assert v.max() == 448.0  # 1.75 * 2**8, no infinity
    assert 240.0 in v and 256.0 in v and 416.0 in v and 480.0 not in v
    assert np.all(np.diff(v) > 0)
    for e in range(1, 16):  # eight evenly spaced values in every binade
        binade = v[8 * e: 8 * e + 8]
        assert np.allclose(np.diff(binade), 2.0 ** (e - 7) / 8)


@pytest.mark.parametrize(
    "x, expected",
    [(0.25, 0.0), (0.75, 1.0), (1.25, 1.0), (1.75, 2.0), (2.5, 2.0), (3.5, 4.0), (5.0, 4.0),
     (5.01, 6.0), (6.5, 6.0), (100.0, 6.0), (-0.75, -1.0), (-9.0, -6.0), (0.2, 0.0), (2.4, 2.0)],
)
def test_e2m1_rounds_to_nearest_ties_to_even_and_saturates(x, expected):
    assert fm.quantize_e2m1(x) == expected


@pytest.mark.parametrize(
    "x, expected",
    [(17.0, 16.0), (19.0, 20.0), (1.0625, 1.0), (1.1875, 1.25), (449.0, 448.0), (464.0, 448.0),
     (1e6, 448.0), (2.0**-10, 0.0), (3 * 2.0**-10, 2.0**-8), (-300.0, -288.0)],
)
def test_e4m3_rounds_to_nearest_ties_to_even_and_saturates(x, expected):
    assert fm.quantize_e4m3(x) == expected


@settings(max_examples=200, deadline=None)
@given(st.floats(-500, 500))
def test_rounding_picks_a_nearest_grid_value(x):
    grid = fm.e4m3_values()
    q = fm.quantize_e4m3(x)
    assert abs(q) in grid
    if abs(x) <= 448:
        assert abs(x - q) <= np.min(np.abs(np.abs(x) - grid)) + 1e-12


# --- scales -----------------------------------------------------------------------


@pytest.mark.parametrize("a, scale", [(6.0, 1.0), (7.99, 1.0), (8.0, 2.0), (4.0, 1.0), (3.99, 0.5), (0.3, 2.0**-4)])
def test_e8m0_scale_is_the_ocp_mx_rule(a, scale):
    # X = 2**(floor(log2 a) - emax_elem), emax_elem = 2 for E2M1
    assert fm.e8m0_scale(a) == scale == 2.0 ** (math.floor(math.log2(a)) - 2)


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-30, 1e30))
def test_e8m0_scale_puts_the_block_maximum_in_4_to_8(a):
    x = fm.e8m0_scale(a)
    assert math.frexp(x)[0] == 0.5  # a power of two
    assert 4.0 <= a / x < 8.0


def test_e8m0_scale_stays_in_range():
    assert fm.e8m0_scale(0.0) == 2.0**-127
    assert fm.e8m0_scale(2.0**200) == 2.0**127
    assert fm.e8m0_scale(2.0**-200) == 2.0**-127


def test_nvfp4_scales():
    amax = np.array([6.0, 3.0, 0.01, 0.0])
    t, x = fm.nvfp4_scales(amax, 6.0)
    assert t == float(np.float32(6.0 / (6 * 448)))
    stored = x / t
    assert np.all(np.isin(np.round(stored, 9), np.round(fm.e4m3_values(), 9)))  # E4M3 values
    assert stored[0] == pytest.approx(448.0)  # the tensor's largest block uses the top of E4M3
    # the block scale is amax / 6 rounded to E4M3: within half an E4M3 step (2**-4 relative)
    assert np.allclose(x[:3] * 6, amax[:3], rtol=2.0**-4)
    assert x[3] == 0.0


# --- block quantizers --------------------------------------------------------------


def _mxfp4_reference(w, block=32):
    out = []
    for chunk in np.asarray(w).reshape(-1, block):
        a = np.max(np.abs(chunk))
        x = 2.0 ** (math.floor(math.log2(a)) - 2) if a > 0 else 1.0
        out.extend(fm.quantize_e2m1(v / x) * x for v in chunk)
    return np.array(out)


def test_mxfp4_matches_a_loop_over_blocks():
    w = np.random.default_rng(4).standard_normal(32 * 20) * np.repeat(np.logspace(-3, 2, 20), 32)
    assert np.array_equal(fm.mxfp4_quantize(w), _mxfp4_reference(w))


def test_mxfp4_values_are_e2m1_times_a_power_of_two():
    w = np.random.default_rng(5).standard_normal((4, 64))
    q = fm.mxfp4_quantize(w).reshape(-1, 32)
    scale = fm.e8m0_scale(np.max(np.abs(w.reshape(-1, 32)), axis=1))
    assert np.all(np.isin(np.abs(q / scale[:, None]), fm.e2m1_values()))


def test_nvfp4_elements_are_e2m1_on_an_e4m3_block_scale():
    w = np.random.default_rng(6).standard_normal(16 * 50)
    q = fm.nvfp4_quantize(w).reshape(-1, 16)
    blocks = w.reshape(-1, 16)
    _, x = fm.nvfp4_scales(np.max(np.abs(blocks), axis=1), np.max(np.abs(w)))
    assert np.allclose(np.abs(q / x[:, None]), fm.quantize_e2m1(np.abs(blocks / x[:, None])))


def test_int4_codes_and_fp16_scale():
    w = np.random.default_rng(7).standard_normal(128 * 8)
    q = fm.int4_quantize(w).reshape(-1, 128)
    scale = (np.max(np.abs(w.reshape(-1, 128)), axis=1) / 7).astype(np.float16).astype(float)
    codes = q / scale[:, None]
    assert np.allclose(codes, np.round(codes)) and np.max(np.abs(codes)) <= 7


def test_nf4_levels_are_qloras():
    fixture = json.loads(NF4_FIXTURE.read_text())
    levels = fm.nf4_levels()
    assert levels.size == 16 and np.sum(levels < 0) == 7 and np.sum(levels > 0) == 8 and 0.0 in levels
    assert np.allclose(levels, fixture["levels"], rtol=0, atol=fixture["absolute_tolerance"])
    q = fm.nf4_quantize(np.random.default_rng(8).standard_normal(64 * 4)).reshape(-1, 64)
    assert q.shape == (4, 64)


def test_fp8_uses_the_top_of_e4m3_for_the_largest_weight():
    w = np.random.default_rng(9).standard_normal(1000)
    q = fm.fp8_quantize(w)
    assert np.max(np.abs(q)) == pytest.approx(np.max(np.abs(w)), rel=1e-6)
    assert np.max(np.abs(w - q) / np.maximum(np.abs(w), 2.0**-6 * np.max(np.abs(w)) / 448)) <= 2.0**-4 + 1e-9


def test_effective_bits_count_the_scales():
    bits = {f.name: f.effective_bits() for f in fm.FORMATS}
    assert bits == {"INT4, g128": 4.125, "MXFP4": 4.25, "NVFP4": 4.5, "NF4": 4.5, "FP8 E4M3": 8.0}
    assert BY_NAME["NVFP4"].effective_bits(params=2**20) == 4.5 + 32 / 2**20
    assert BY_NAME["MXFP4"].effective_bits(params=2**20) == 4.25


# --- Monte Carlo errors on Gaussian weights --------------------------------------------


def test_monte_carlo_matches_an_exact_error_within_its_standard_error():
    # a format whose error is known exactly: the 16-level midrise grid at a fixed clip
    exact = math.sqrt(qz.gaussian_uniform_mse(4, 2.5))
    grid = fm.WeightFormat("uniform", "", 4, None, 0, 0, lambda w: qz.uniform_quantize_midrise(w, 4, 2.5))
    e = fm.format_error_gaussian(grid)
    assert abs(e.rmse - exact) < 3 * e.standard_error
    assert e.standard_error < 0.01 * exact


def test_the_stated_standard_error_is_the_spread_over_seeds():
    fmt = BY_NAME["MXFP4"]
    runs = [fm.format_error_gaussian(fmt, size=2**13, seed=s) for s in range(30)]
    spread = np.std([r.rmse for r in runs], ddof=1)
    stated = np.mean([r.standard_error for r in runs])
    assert 0.6 < spread / stated < 1.5


def test_format_errors_on_gaussian_weights():
    e = {f.name: fm.format_error_gaussian(f) for f in fm.FORMATS}
    for r in e.values():
        assert r.size == fm.MC_SIZE and r.seed == fm.MC_SEED and r.standard_error < 5e-4
        assert r.rmse > qz.rate_distortion_bound(r.bits)
    # the finer E4M3 block scale beats the power of two; NF4's normal quantiles beat INT4's grid
    assert e["NVFP4"].rmse < e["MXFP4"].rmse - 10 * e["MXFP4"].standard_error
    assert e["NF4"].rmse < e["INT4, g128"].rmse
    # FP8 spends its codes on range: worse than the best 8-bit uniform grid on Gaussian weights
    assert e["FP8 E4M3"].rmse > 2 * qz.best_clip_uniform_error(8)
    # on Gaussian weights, block scales cannot beat a scale that is known exactly by much
    assert e["MXFP4"].rmse > qz.best_clip_uniform_error(4)
    # NVFP4 and NF4 go below the best 16-level grid with one fixed scale (Lloyd-Max), which
    # no placing of codes alone can do: part of their gain is the scale fitted to each block
    lloyd = math.sqrt(qz.lloyd_max_gaussian(16).mse)
    for name in ("NVFP4", "NF4"):
        assert e[name].rmse < lloyd - 3 * e[name].standard_error


# --- bad arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fm.quantize_e2m1([1.0, float("nan")]), "values x must be finite"),
        (lambda: fm.round_to_values([1.0], [1.0, 2.0]), "magnitudes must be an ascending vector starting at 0"),
        (lambda: fm.e8m0_scale(-1.0), "block maximum a must be >= 0"),
        (lambda: fm.nvfp4_scales([1.0], 0.0), "tensor maximum A must be > 0, got 0"),
        (lambda: fm.mxfp4_quantize(np.ones(33)), "last axis length of w (33) must be a multiple of the block size (32)"),
        (lambda: fm.int4_quantize(np.ones(128), group=0), "group size must be a positive integer, got 0"),
        (lambda: fm.nf4_quantize(1.0), "weights w must be a vector or matrix, got a scalar"),
        (lambda: fm.fp8_quantize([np.inf]), "weights w must be finite"),
        (lambda: fm.format_error_gaussian(fm.FORMATS[0], size=1000), "sample size must be a multiple of 128"),
    ],
)
def test_bad_arguments_raise_named_error(call, message):
    with pytest.raises(InstrumentArgumentError) as info:
        call()
    assert str(info.value).startswith(message)
