"""Tests for instruments.quantization and friends (``eq-11-6``)."""

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
from instruments import quantization as qz  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "max_1960_gaussian.json"
SORTED_BITS = sorted(qz.BIT_WIDTHS)


@pytest.fixture(scope="module")
def max_1960():
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def gaussian_sample():
    return np.random.default_rng(20240611).standard_normal(1_000_000)


def seed_quantize(w, b):
    """The chapter seed's code, verbatim apart from the names."""
    R = 6.0
    step = R / (2**b - 1)
    return np.round(np.clip(w, -R / 2, R / 2) / step) * step


def relative_mc(w, q):
    return np.sqrt(np.mean((w - q) ** 2))  # w has unit variance by construction


# --- the level-count finding --------------------------------------------------


def test_seed_code_is_reproduced_exactly():
    w = np.random.default_rng(0).normal(0, 1, 200_000)
    for b in (16, 8, 4, 3, 2):
        assert np.array_equal(qz.uniform_quantize(w, b, 3.0, seed_rounding=True), seed_quantize(w, b))


@pytest.mark.parametrize("b", [2, 3, 4, 5, 6, 8])
def test_midtread_never_has_2_to_the_b_levels(b):
    dense = np.linspace(-10, 10, 400_001)
    clamped = np.unique(qz.uniform_quantize(dense, b, 3.0))
    seed = np.unique(seed_quantize(dense, b))
    assert clamped.size == qz.uniform_levels(b) == 2**b - 1
    assert seed.size == qz.uniform_levels(b, seed_rounding=True) == 2**b + 1
    # the seed's two extra outputs sit outside the clip, at +-(3 + step/2)
    step = 6.0 / (2**b - 1)
    assert seed.max() == pytest.approx(3.0 + step / 2)
    assert np.abs(clamped).max() == pytest.approx(3.0 - step / 2)


def test_seed_sample_shows_2b_plus_1_values():
    w = np.random.default_rng(0).normal(0, 1, 200_000)
    counts = {b: np.unique(qz.uniform_quantize(w, b, 3.0, seed_rounding=True)).size for b in (2, 3, 4, 8)}
    assert counts == {2: 5, 3: 9, 4: 17, 8: 257}
    assert counts == {b: qz.uniform_levels(b, seed_rounding=True) for b in counts}


@pytest.mark.parametrize("b", [1, 1.58, 2, 3, 4, 8])
def test_midrise_uses_exactly_round_2_to_the_b_levels(b):
    dense = np.linspace(-10, 10, 200_001)
    values = np.unique(qz.uniform_quantize_midrise(dense, b, 2.5))
    assert values.size == qz.midrise_levels(b) == round(2**b)
    assert np.abs(values).max() < 2.5


def test_ternary_positions():
    assert qz.midrise_levels(1.58) == 3
    assert qz.uniform_levels(1.58) == 3


@given(
    st.lists(st.floats(-50, 50), min_size=1, max_size=50),
    st.sampled_from([1.58, 2, 3, 4, 5, 8]),
    st.floats(0.1, 10),
)
def test_clamped_midtread_stays_in_range_and_rounds_to_nearest(w, b, clip):
    w = np.array(w)
    q = qz.uniform_quantize(w, b, clip)
    step = 2 * clip / (2**b - 1)
    # only values that rounding an input strictly inside (-c, c) can reach
    assert np.all(np.abs(q) < clip + step / 2)
    if float(b).is_integer():
        assert np.all(np.abs(q) <= clip - step / 2 + 1e-12)
    inside = np.abs(w) <= clip - step
    assert np.all(np.abs(w - q)[inside] <= step / 2 + 1e-9)


# --- exact Gaussian errors ------------------------------------------------------


def test_one_bit_closed_form():
    assert qz.gaussian_uniform_mse(1, 2 * math.sqrt(2 / math.pi)) == pytest.approx(1 - 2 / math.pi, rel=1e-13)
    assert qz.lloyd_max_gaussian(2).mse == pytest.approx(1 - 2 / math.pi, rel=1e-13)


def _quadrature_only(lo, hi, c):
    """The cells' error by 8-node Gauss-Legendre alone (the engine's wide-cell path)."""
    from instruments import _gaussian as g

    x = lo[:, None] + 0.5 * (g._GL_NODES + 1.0)[None, :] * (hi - lo)[:, None]
    return float(np.sum(0.5 * (hi - lo) * (((x - c[:, None]) ** 2 * g.pdf(x)) @ g._GL_WEIGHTS)))


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-8.0, 8.0),
    st.floats(1e-5, 1.0 / 64.0),
    st.floats(-0.5, 1.5),
)
def test_narrow_cell_series_matches_quadrature(lo, width, where):
    from instruments import _gaussian as g

    c = lo + where * width  # an output anywhere near the cell
    cell = (np.array([lo]), np.array([lo + width]), np.array([c]))
    series = g._narrow_cells_mse(*cell)
    # Both lose digits to rounding when the cell is narrow and far out: a point x of the
    # cell is known to about eps * |x|, which is eps * |x| / width of the distance x - c
    # that gets squared, and the two methods round at different points. 20,000 random
    # cells differed by at most 2.7 eps * (|lo| + 1) / width; the bound allows 4.5.
    tol = 1e-13 + 1e-15 * (abs(lo) + 1.0) / width
    assert series == pytest.approx(_quadrature_only(*cell), rel=tol, abs=0)


def _cell_error_reference(m: float, a: float, d: float) -> float:
    """integral over [m - a, m + a] of (x - m - d)**2 phi(x) dx in 50-digit decimals,
    from the generic series sum_n phi^(n)(m) / n! * integral u**n (u - d)**2 du with
    phi^(n) = (-1)**n He_n phi and He_{n+1} = x He_n - n He_{n-1}, 40 terms."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 50
        m_, a_, d_ = Decimal(m), Decimal(a), Decimal(d)

        def moment(j):  # integral_{-a}^{a} u**j du
            return Decimal(0) if j % 2 else 2 * a_ ** (j + 1) / (j + 1)

        he_prev, he, total, factorial = Decimal(0), Decimal(1), Decimal(0), Decimal(1)
        for n in range(40):
            weight = moment(n + 2) - 2 * d_ * moment(n + 1) + d_ * d_ * moment(n)
            total += (-1) ** n * he / factorial * weight
            he_prev, he = he, m_ * he - n * he_prev
            factorial *= n + 1
        phi = (-(m_ * m_) / 2).exp() / (2 * Decimal(math.pi)).sqrt()
        return float(total * phi)


@pytest.mark.parametrize("m", [0.0, 0.7, -2.5, 4.0, 6.0, -7.0, 8.0])
@pytest.mark.parametrize("shift", [0.0, 0.5, -1.0])
def test_narrow_cell_series_is_exact_to_rounding(m, shift):
    from instruments import _gaussian as g

    a = 1.0 / 128.0  # the widest cell the series takes
    cell = (np.array([m - a]), np.array([m + a]), np.array([m + shift * a]))
    assert g._narrow_cells_mse(*cell) == pytest.approx(_cell_error_reference(m, a, shift * a), rel=2e-15, abs=0)


@pytest.mark.parametrize("bits", [10, 12, 16])
def test_high_bit_uniform_error_is_the_same_by_series_and_quadrature(bits):
    from instruments import _gaussian as g

    lo, hi, c = g.midrise_cells(2**bits, 4.0)
    inner = slice(1, -1)  # the unbounded tails have their closed form either way
    assert g._bounded_cells_mse(lo[inner], hi[inner], c[inner]) == pytest.approx(
        _quadrature_only(lo[inner], hi[inner], c[inner]), rel=1e-12, abs=0
    )


def test_max_1960_optimal_uniform_quantizer(max_1960):
    tol = max_1960["relative_tolerance"]
    for row in max_1960["uniform"]:
        bits = math.log2(row["levels"])
        step = 2 * qz.optimal_clip(bits) / row["levels"]
        assert step == pytest.approx(row["step"], rel=tol), row
        assert qz.best_clip_uniform_error(bits) ** 2 == pytest.approx(row["mse"], rel=tol), row


def test_max_1960_lloyd_max_quantizer(max_1960):
    tol = max_1960["relative_tolerance"]
    for row in max_1960["lloyd_max"]:
        assert qz.lloyd_max_gaussian(row["levels"]).mse == pytest.approx(row["mse"], rel=tol), row
    assert "Max" in max_1960["citation"] and "1960" in max_1960["citation"]


def test_lloyd_max_satisfies_its_optimality_conditions():
    q = qz.lloyd_max_gaussian(8)
    assert np.allclose(q.thresholds, (q.points[:-1] + q.points[1:]) / 2)
    assert np.allclose(q.points, -q.points[::-1])
    # 8 points can only do better than the best uniform 8-level grid
    assert q.mse < qz.best_clip_uniform_error(3) ** 2


def test_three_level_optimum_is_uniform():
    assert qz.best_ternary_error() == pytest.approx(qz.best_clip_uniform_error(1.58), rel=1e-9)
    assert qz.absmean_ternary_error() > qz.best_ternary_error()


@pytest.mark.parametrize("b", [2, 3, 4, 5])
@pytest.mark.parametrize("seed_rounding", [False, True])
def test_midtread_error_matches_monte_carlo(gaussian_sample, b, seed_rounding):
    w = gaussian_sample
    q = qz.uniform_quantize(w, b, 3.0, seed_rounding=seed_rounding)
    exact = qz.midtread_uniform_error(b, seed_rounding=seed_rounding)
    assert relative_mc(w, q) == pytest.approx(exact, rel=0.01)


@pytest.mark.parametrize("b", [1.58, 2, 3, 4, 6])
def test_best_clip_error_matches_monte_carlo(gaussian_sample, b):
    w = gaussian_sample
    q = qz.uniform_quantize_midrise(w, b, qz.optimal_clip(b))
    assert relative_mc(w, q) == pytest.approx(qz.best_clip_uniform_error(b), rel=0.01)


@pytest.mark.parametrize("b, clip", [(2, 1.0), (3, 4.0), (5, 2.5), (8, 3.0)])
def test_any_clip_matches_monte_carlo(gaussian_sample, b, clip):
    w = gaussian_sample
    mc = np.mean((w - qz.uniform_quantize_midrise(w, b, clip)) ** 2)
    assert mc == pytest.approx(qz.gaussian_uniform_mse(b, clip), rel=0.02)


@pytest.mark.parametrize("levels", [3, 4, 8])
def test_lloyd_max_matches_monte_carlo(gaussian_sample, levels):
    q = qz.lloyd_max_gaussian(levels)
    w = gaussian_sample
    mc = np.mean((w - q.points[np.searchsorted(q.thresholds, w)]) ** 2)
    assert mc == pytest.approx(q.mse, rel=0.01)


def test_absmean_ternary_matches_monte_carlo(gaussian_sample):
    w = gaussian_sample
    assert relative_mc(w, qz.ternary_quantize(w)) == pytest.approx(qz.absmean_ternary_error(), rel=0.01)


# --- shape of the error curve ------------------------------------------------------


def test_error_decreases_as_bits_rise():
    for curve in (qz.midtread_uniform_error, qz.fixed_clip_uniform_error):
        assert np.all(np.diff(curve(np.arange(1, 17))) < 0)
    best = qz.best_clip_uniform_error(np.array(SORTED_BITS))
    assert np.all(np.diff(best) < 0)
    lloyd = [qz.lloyd_max_gaussian(L).mse for L in (2, 3, 4, 8, 16, 32)]
    assert np.all(np.diff(lloyd) < 0)


def test_best_clip_beats_the_fixed_clip_everywhere():
    b = np.array(qz.BIT_WIDTHS)
    assert np.all(qz.best_clip_uniform_error(b) < qz.fixed_clip_uniform_error(b))


@pytest.mark.parametrize("b", [1.58, 2, 3, 4, 5, 6, 8, 16])
def test_fixed_clip_and_best_clip_are_the_same_grid(gaussian_sample, b):
    # like with like: both curves are gaussian_uniform_mse of the midrise grid, and
    # differ in the clip only (the +-3 sigma curve is not the mid-tread grid)
    assert qz.fixed_clip_uniform_error(b) ** 2 == pytest.approx(qz.gaussian_uniform_mse(b, 3.0), rel=1e-14)
    assert qz.best_clip_uniform_error(b) ** 2 == pytest.approx(qz.gaussian_uniform_mse(b, qz.optimal_clip(b)), rel=1e-12)
    w = gaussian_sample
    assert relative_mc(w, qz.uniform_quantize_midrise(w, b, 3.0)) == pytest.approx(qz.fixed_clip_uniform_error(b), rel=0.02)


def test_the_wasted_code_is_its_own_effect():
    # at the same +-3 sigma clip the mid-tread grid (2**b - 1 levels) is worse than the
    # midrise grid (2**b levels), by a lot at 2 bits and by little from 4 bits on
    ratio = {b: qz.midtread_uniform_error(b) / qz.fixed_clip_uniform_error(b) for b in (2, 4, 8)}
    assert ratio[2] > 1.3
    assert 1.0 < ratio[4] < 1.1
    assert ratio[8] == pytest.approx(1.0, abs=0.01)


def test_fixed_clip_error_flattens_at_high_bits():
    # the fixed +-3 sigma clip leaves a clipping floor of about 0.020
    for curve in (qz.midtread_uniform_error, qz.fixed_clip_uniform_error):
        assert curve(16) == pytest.approx(0.0202, abs=2e-4)
        assert curve(8) / curve(16) < 1.1


# --- the clipping term of eq-11-6 -------------------------------------------------


def _overshoot_from_the_clip(b, c):
    """The overshoot measured from the clip itself, E[(|w| - c)_+**2], instead of from
    the outermost level c - s/2: the tempting, wrong clipping term."""
    from instruments import _gaussian as g

    return 2.0 * float(g.upper_cell_mse(c, c))


@pytest.mark.parametrize("b", [4, 5, 6, 8])
@pytest.mark.parametrize("clip", [2.0, 3.0, "best"])
def test_eq_11_6_with_the_outermost_level_matches_the_exact_error(b, clip):
    c = qz.optimal_clip(b) if clip == "best" else clip
    s = 2 * c / 2**b
    exact = qz.gaussian_uniform_mse(b, c)
    eq_11_6 = s**2 / 12 + qz.clipping_mse(b, c)
    assert eq_11_6 == pytest.approx(exact, rel=0.012)
    # measuring the overshoot from R/2 instead of R/2 - s/2 is several times further off
    assert abs(s**2 / 12 + _overshoot_from_the_clip(b, c) - exact) > 3 * abs(eq_11_6 - exact)


@pytest.mark.parametrize("b, clip", [(2, 2.0), (3, 3.0), (4, 2.5), (8, 3.0)])
def test_clipped_weights_land_on_the_outermost_level(gaussian_sample, b, clip):
    w = gaussian_sample
    q = qz.uniform_quantize_midrise(w, b, clip)
    s = 2 * clip / 2**b
    out = np.abs(w) > clip
    assert np.allclose(np.abs(q[out]), clip - s / 2)
    # the clipping term, sample by sample, is exactly the error of the clipped weights
    assert np.sum((w - q)[out] ** 2) == pytest.approx(np.sum((np.abs(w[out]) - (clip - s / 2)) ** 2), rel=1e-12)
    mc = np.sum((np.abs(w[out]) - (clip - s / 2)) ** 2) / w.size
    assert mc == pytest.approx(qz.clipping_mse(b, clip), rel=0.05)


def test_clipping_term_is_what_is_left_of_the_exact_error_beyond_the_clip():
    from instruments import _gaussian as g

    lo, hi, points = g.midrise_cells(16, 3.0)
    inner = g.cells_mse(np.maximum(lo, -3.0), np.minimum(hi, 3.0), points)
    assert qz.gaussian_uniform_mse(4, 3.0) - inner == pytest.approx(qz.clipping_mse(4, 3.0), rel=1e-12)


@pytest.mark.parametrize("b", SORTED_BITS + [1, 7, 10, 12])
def test_never_below_rate_distortion_bound(b):
    bound = qz.rate_distortion_bound(b)
    assert qz.fixed_clip_uniform_error(b) >= bound
    assert qz.midtread_uniform_error(b) >= bound
    assert qz.midtread_uniform_error(b, seed_rounding=True) >= bound
    assert qz.best_clip_uniform_error(b) >= bound


def test_optimal_quantizers_respect_the_bound():
    for levels in (2, 3, 4, 8, 16, 32):
        assert math.sqrt(qz.lloyd_max_gaussian(levels).mse) >= qz.rate_distortion_bound(math.log2(levels))
    ternary = qz.rate_distortion_bound(math.log2(3))
    assert qz.best_ternary_error() >= ternary and qz.absmean_ternary_error() >= ternary


def test_rate_distortion_bound_values():
    assert qz.rate_distortion_bound(4) == 0.0625
    assert qz.rate_distortion_bound(np.array([1, 2])).tolist() == [0.5, 0.25]


# --- rotation --------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 4, 64, 256])
def test_hadamard_matrix_is_orthogonal(n):
    h = qz.hadamard_matrix(n)
    assert np.array_equal(h @ h.T, n * np.eye(n))
    assert set(np.unique(h)) <= {-1.0, 1.0}


@settings(max_examples=50)
@given(st.integers(0, 8), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_fast_rotation_equals_matrix_and_is_its_own_inverse(log_n, rows, seed):
    n = 2**log_n
    w = np.random.default_rng(seed).standard_normal((rows, n))
    r = qz.hadamard_rotate(w)
    assert np.allclose(r, w @ qz.hadamard_matrix(n) / np.sqrt(n))
    assert np.allclose(qz.hadamard_rotate(r), w)
    assert np.allclose(np.linalg.norm(r, axis=1), np.linalg.norm(w, axis=1))


@pytest.mark.parametrize("bits", [3, 4])
@pytest.mark.parametrize("seed", range(5))
def test_rotation_lowers_error_on_outlier_weights(bits, seed):
    w = qz.outlier_weights(4096, 8, 20.0, seed=seed)
    plain = qz.relative_rmse(w, qz.quantize_per_tensor(w, bits))
    rotated = qz.relative_rmse(w, qz.quantize_per_tensor(w, bits, rotate=True))
    assert rotated < 0.6 * plain


def test_rotation_works_on_matrix_rows():
    w = qz.outlier_weights(64 * 256, 16, 25.0, seed=3).reshape(64, 256)
    plain = qz.relative_rmse(w, qz.quantize_per_tensor(w, 4))
    rotated = qz.relative_rmse(w, qz.quantize_per_tensor(w, 4, rotate=True))
    assert rotated < plain


def test_outlier_weights_are_deterministic():
    a = qz.outlier_weights(1000, 5, 12.0, seed=7)
    assert np.array_equal(a, qz.outlier_weights(1000, 5, 12.0, seed=7))
    assert np.sum(np.abs(a) == 12.0) == 5


# --- storage, regimes, ternary ------------------------------------------------------


def test_70b_at_2_bits_is_17_5_gb():
    assert qz.weight_storage_gb(70e9, 2) == 17.5
    assert qz.weight_storage_gb(qz.MODEL_SIZES["70B"], 16) == 140.0


@given(st.floats(1e6, 1e13), st.floats(0.5, 32))
def test_storage_is_params_times_bits_over_8(p, b):
    assert qz.weight_storage_gb(p, b) == pytest.approx(p * b / 8 / 1e9, rel=1e-12)


def test_regime_thresholds():
    assert [qz.regime(b) for b in qz.BIT_WIDTHS] == ["nearly free"] * 5 + ["costly"] + [
        "only with rotation and codebooks"
    ] * 2
    assert qz.regime(3.999) == "costly" and qz.regime(2.999) == "only with rotation and codebooks"
    assert qz.regime(np.array([4, 3])).tolist() == ["nearly free", "costly"]


def test_constants():
    assert qz.BIT_WIDTHS == (16, 8, 6, 5, 4, 3, 2, 1.58)
    assert qz.MODEL_SIZES == {"7B": 7e9, "70B": 70e9, "405B": 405e9}


def test_ternary_quantize():
    w = np.random.default_rng(1).standard_normal(1000)
    q = qz.ternary_quantize(w)
    s = np.mean(np.abs(w))
    assert set(np.unique(q)) <= {-s, 0.0, s}
    assert np.array_equal(qz.ternary_quantize(np.zeros(4)), np.zeros(4))


# --- conventions and errors ------------------------------------------------------------


def test_scalar_in_scalar_out_and_broadcasting():
    assert type(qz.gaussian_uniform_mse(3, 2.0)) is float
    assert type(qz.optimal_clip(3)) is float
    assert type(qz.uniform_quantize(0.7, 2, 3.0)) is float
    assert type(qz.midrise_levels(3)) is int
    grid = qz.gaussian_uniform_mse(np.array([2, 3])[:, None], np.array([1.0, 2.0, 3.0]))
    assert grid.shape == (2, 3)
    assert grid[1, 1] == qz.gaussian_uniform_mse(3, 2.0)
    assert qz.uniform_quantize(np.zeros((2, 3)), 4, 1.0).shape == (2, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: qz.uniform_quantize([1.0], 0, 3.0), "bit-width b must be > 0, got 0"),
        (lambda: qz.uniform_quantize([1.0], 4, -1.0), "clip c must be > 0, got -1"),
        (lambda: qz.gaussian_uniform_mse(24, 3.0), "bit-width b must be <= 20"),
        (lambda: qz.optimal_clip(0.3), "bit-width b must give at least 2 levels"),
        (lambda: qz.midtread_uniform_error(-1), "bit-width b must be > 0, got -1"),
        (lambda: qz.fixed_clip_uniform_error(2, 0.0), "clip c must be > 0, got 0"),
        (lambda: qz.clipping_mse(30, 3.0), "bit-width b must be <= 20"),
        (lambda: qz.minmax_quantize(1.0, 4), "weights w must be a vector or matrix, got a scalar"),
        (lambda: qz.minmax_quantize([1.0, 2.0], 0.5), "bit-width b must give at least 2 levels"),
        (lambda: qz.heavy_tailed_weights(4, 12), "columns must be a power of 2, got 12"),
        (lambda: qz.heavy_tailed_weights(4, 16, df=2), "degrees of freedom must be > 2"),
        (lambda: qz.random_hadamard_rotate(np.ones((2, 4)), [1.0, -1.0]), "signs D must be a vector of +-1"),
        (lambda: qz.random_hadamard_rotate(np.ones(4), [1.0, 0.5, 1.0, 1.0]), "signs D must be a vector of +-1"),
        (lambda: qz.lloyd_max_gaussian(0), "level count L must be a positive integer, got 0"),
        (lambda: qz.lloyd_max_gaussian(1000), "level count L must be <= 128"),
        (lambda: qz.weight_storage_gb(0, 4), "parameter count P must be > 0, got 0"),
        (lambda: qz.regime(float("nan")), "bit-width b must be > 0, got nan"),
        (lambda: qz.hadamard_matrix(12), "Hadamard order n must be a power of 2, got 12"),
        (lambda: qz.hadamard_rotate(np.ones(6)), "last axis length n of w must be a power of 2, got 6"),
        (lambda: qz.relative_rmse([0.0, 0.0], [1.0, 1.0]), "weights w must be non-empty and not all zero"),
        (lambda: qz.outlier_weights(10, 11, 5.0), "number of outliers must be an integer in [0, size=10]"),
    ],
)
def test_bad_arguments_raise_named_error(call, message):
    with pytest.raises(InstrumentArgumentError, match=None) as info:
        call()
    assert str(info.value).startswith(message)


# --- the asymmetric min-max grid (the step of eq-11-6, all 2**b codes) ----------------------


@pytest.mark.parametrize("b", [1.58, 2, 3, 4, 5])
def test_minmax_uses_every_code_with_the_midtread_step(b):
    w = np.linspace(-1.0, 2.0, 100_001)
    q = qz.minmax_quantize(w, b)
    levels = np.unique(q)
    assert levels.size == qz.midrise_levels(b)  # 2**b codes, not 2**b - 1
    step = 3.0 / (round(2**b) - 1)  # (max - min) / (2**b - 1), the mid-tread grid's step
    assert np.allclose(np.diff(levels), step)
    assert 0.0 in levels  # the integer zero point keeps zero on the grid
    assert np.max(np.abs(w - q)) <= step / 2 + 1e-12


def test_minmax_on_a_symmetric_range_against_the_midtread_grid():
    # same range [-c, c], same step 2c / (2**b - 1): mid-tread has 2**b - 1 levels,
    # min-max 2**b (its extra level sits one step beyond the top of the range)
    c, b = 3.0, 2
    w = np.concatenate([np.linspace(-c, c, 10_001), [-c, c]])
    tread = np.unique(qz.uniform_quantize(w, b, c))
    minmax = np.unique(qz.minmax_quantize(w, b))
    assert tread.size == 3 and minmax.size == 4
    assert np.allclose(np.diff(minmax), 2 * c / 3) and np.allclose(np.diff(tread), 2 * c / 3)


def test_minmax_quantizes_each_row_on_its_own_range():
    w = np.array([[0.0, 1.0, 3.0], [-100.0, 0.0, 50.0]])
    q = qz.minmax_quantize(w, 2)
    assert np.array_equal(q[0], qz.minmax_quantize(w[0], 2))
    assert np.array_equal(q[0], [0.0, 1.0, 3.0])
    assert np.array_equal(qz.minmax_quantize(np.zeros((2, 4)), 3), np.zeros((2, 4)))


# --- random Hadamard rotation on heavy-tailed weights (the rotation cell) -------------


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_random_hadamard_rotation_is_orthogonal_and_leaves_a_layer_unchanged(log_n, rows, seed):
    n = 2**log_n
    rng = np.random.default_rng(seed)
    w, x = rng.standard_normal((rows, n)), rng.standard_normal(n)
    d = qz.random_signs(n, seed)
    r = qz.random_hadamard_rotate(w, d)
    assert np.allclose(r, w @ np.diag(d) @ qz.hadamard_matrix(n) / np.sqrt(n))
    assert np.allclose(qz.random_hadamard_unrotate(r, d), w)
    assert np.allclose(r @ qz.random_hadamard_rotate(x, d), w @ x)  # (W Q)(x Q) = W x


def test_heavy_tailed_weights_have_unit_variance_and_a_few_outlier_channels():
    w = qz.heavy_tailed_weights(256, 1024, df=5, outlier_channels=6, outlier_scale=8.0, seed=3)
    assert np.array_equal(w, qz.heavy_tailed_weights(256, 1024, df=5, outlier_channels=6, outlier_scale=8.0, seed=3))
    column_rms = np.sqrt(np.mean(w**2, axis=0))
    loud = column_rms > 4
    assert loud.sum() == 6
    assert np.mean(w[:, ~loud] ** 2) == pytest.approx(1.0, rel=0.05)
    assert np.mean(w[:, loud] ** 2) == pytest.approx(64.0, rel=0.1)
    kurtosis = np.mean(w[:, ~loud] ** 4) / np.mean(w[:, ~loud] ** 2) ** 2
    assert kurtosis > 4  # heavier tailed than a Gaussian (3)


@pytest.mark.parametrize("seed", range(4))
def test_rotation_lowers_the_error_at_4_3_and_2_bits(seed):
    e = rotation_errors_for(seed)
    assert np.all(e["rotated"] < e["plain"])
    assert e["rotated"][0] < 0.5 * e["plain"][0]  # 4 bits: most of the error is the outliers' range


def rotation_errors_for(seed):
    from instruments.rotation import ROTATION_EXAMPLE, rotation_errors

    return rotation_errors([4, 3, 2], **{**ROTATION_EXAMPLE, "seed": seed})


def test_the_rotation_helps_most_with_outlier_channels():
    from instruments.rotation import ROTATION_EXAMPLE, rotation_errors

    with_outliers = rotation_errors([4], **ROTATION_EXAMPLE)
    without = rotation_errors([4], **{**ROTATION_EXAMPLE, "outlier_scale": 1.0})
    gain = lambda e: e["plain"][0] / e["rotated"][0]  # noqa: E731
    assert gain(without) > 1.2  # heavy tails alone: the rotation still helps
    assert gain(with_outliers) > 1.4 * gain(without)


def test_the_rotation_cell_prints_what_rotation_errors_computes(capsys):
    import runpy

    from instruments.rotation import ROTATION_EXAMPLE, rotation_errors

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "runnable"))
    try:
        runpy.run_path(str(root / "runnable" / "rotation_outliers.py"), run_name="__main__")
    finally:
        sys.path.remove(str(root / "runnable"))
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    printed = {int(r[0]): (float(r[1]), float(r[2])) for r in rows}
    e = rotation_errors([4, 3, 2], **ROTATION_EXAMPLE)
    for k, b in enumerate([4, 3, 2]):
        assert printed[b] == (round(e["plain"][k], 4), round(e["rotated"][k], 4))


# --- what section 11.4 says about these numbers -------------------------------------


def test_the_prose_claims_about_quantization_hold():
    from instruments import formats
    from instruments.quoted import quoted_numbers
    from instruments.rotation import ROTATION_EXAMPLE, rotation_errors

    quoted = quoted_numbers()
    # "standard errors below {{ format_max_se_pct }}%"
    worst = max(formats.format_error_gaussian(f).standard_error for f in formats.FORMATS)
    assert 100 * worst < float(quoted["format_max_se_pct"])
    # the rotation brings 4-bit rounding "close to the best 4-bit grid on Gaussian weights",
    # and "at 2 bits it helps less"
    e = rotation_errors([4, 2], **ROTATION_EXAMPLE)
    assert e["rotated"][0] == pytest.approx(qz.best_clip_uniform_error(4), rel=0.1)
    assert e["plain"][1] / e["rotated"][1] < e["plain"][0] / e["rotated"][0]
    # "by 8 bits the weights beyond 3 sigma carry most of the squared error"
    assert float(quoted["clipping_share_8bit_pct"]) > 50
    assert quoted["tail_beyond_fixed_clip_pct"] == "0.27"
    # "the clip alone makes that difference": the same four levels, two clips
    assert float(quoted["fixed_clip_err_2bit"]) > float(quoted["best_err_2bit"]) > float(quoted["rd_bound_2bit"])
    assert float(quoted["midtread_err_2bit"]) > float(quoted["fixed_clip_err_2bit"])
