"""Exact quantization error on Gaussian weights (``eq-11-6``).

Glossary of symbols
-------------------
b : bit-width (bits per weight); b = 1.58 stands for ternary
L : number of quantizer levels (``round(2**b)`` for the midrise quantizer)
c : clip, the half-range [-c, c] the uniform grid spans (in units of sigma)
D : mean squared error on x ~ N(0, 1); for unit variance sqrt(D) is the
    relative RMSE that ``eq-11-6`` plots

Trained weights are roughly Gaussian, so the chapter scores quantizers on
x ~ N(0, 1).  Every error here is computed *exactly* (closed-form tails plus
Gauss-Legendre quadrature on each cell, see :mod:`instruments._gaussian`),
never by Monte Carlo, so it is deterministic, fast and runs under Pyodide
with numpy and the standard library only.

Scalar bit-widths give a ``float``; arrays broadcast and give an ``ndarray``.
"""

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from . import _gaussian as g
from ._validate import check_bits, check_positive, check_positive_integer
from ._validate import check_at_most, map_scalar, scalar_or_array
from .errors import InstrumentArgumentError

__all__ = [
    "gaussian_uniform_mse",
    "gaussian_midtread_mse",
    "optimal_clip",
    "best_clip_uniform_error",
    "fixed_clip_uniform_error",
    "midtread_uniform_error",
    "clipping_mse",
    "FIXED_CLIP",
    "LloydMax",
    "lloyd_max_gaussian",
    "best_ternary_error",
    "absmean_ternary_error",
    "rate_distortion_bound",
]

MAX_EXACT_BITS = 20
"""Largest bit-width integrated exactly (2**20 cells); enough for every slider."""

MAX_LLOYD_LEVELS = 128
"""Largest level count for :func:`lloyd_max_gaussian` (Lloyd converges slowly)."""

FIXED_CLIP = 3.0
"""The fixed clip of the chapter's first quantizer: +-3 sigma, i.e. range R = 6 sigma."""

_BITS_REASON = "for the exact Gaussian integration"


def _bits(bits):
    return check_bits(bits, MAX_EXACT_BITS, _BITS_REASON)


def gaussian_uniform_mse(bits, clip):
    """Exact MSE of the ``2**b``-level midrise quantizer on N(0, 1) (``eq-11-6``).

    The quantizer (:func:`instruments.quantization.uniform_quantize_midrise`)
    has ``L = round(2**b)`` levels at ``(i + 0.5) * s - c`` with step
    ``s = 2 c / L``; inputs beyond +-c go to the outermost level, c - s/2.
    The error splits into the rounding part (about ``s**2 / 12`` inside the
    range) and the clipping part from the Gaussian tails beyond +-c
    (:func:`clipping_mse`), the two terms of ``eq-11-6``; both are integrated
    exactly.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 20.
    clip : float or array_like
        Clip c > 0 in units of sigma.

    Returns
    -------
    float or ndarray
        ``E[(x - q(x))**2]`` for x ~ N(0, 1).

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    One bit with the optimal clip reproduces ``1 - 2/pi`` (levels at
    +-sqrt(2/pi)):

    >>> round(gaussian_uniform_mse(1, 2 * math.sqrt(2 / math.pi)), 6)
    0.36338
    >>> round(1 - 2 / math.pi, 6)
    0.36338
    >>> gaussian_uniform_mse([2, 4], 2.0).round(4)
    array([0.1189, 0.0215])
    """
    b = _bits(bits)
    c = check_positive(clip, "clip c")

    def one(b1, c1):
        return g.cells_mse(*g.midrise_cells(g.midrise_level_count(b1), c1))

    return scalar_or_array(map_scalar(one, b, c), bits, clip)


def gaussian_midtread_mse(bits, clip=FIXED_CLIP, seed_rounding=False):
    """Exact MSE of the mid-tread quantizer on N(0, 1) (``eq-11-6``).

    The quantizer is :func:`instruments.quantization.uniform_quantize`:
    ``step = 2 c / (2**b - 1)``, output ``round(clip(x, -c, c) / step) * step``
    with the integer clamped to ``|k| <= ceil(2**(b-1)) - 1`` (``2**b - 1``
    levels for integer b, all inside [-c, c]).  With
    ``seed_rounding=True`` the clamp is dropped, as in the chapter seed's
    code, and ``numpy.round``'s half-to-even rule sends the saturated inputs
    |x| >= c to +-(c + step / 2).

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 20.
    clip : float or array_like, optional
        Clip c > 0 in units of sigma (default 3, the seed's +-3 sigma).
    seed_rounding : bool, optional
        Reproduce the seed's unclamped rounding exactly.

    Returns
    -------
    float or ndarray
        ``E[(x - q(x))**2]`` for x ~ N(0, 1).

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    >>> round(gaussian_midtread_mse(4), 5)
    0.01412
    >>> round(gaussian_midtread_mse(4, seed_rounding=True), 5)
    0.0135
    """
    b = _bits(bits)
    c = check_positive(clip, "clip c")

    def one(b1, c1):
        return g.cells_mse(*g.midtread_cells(b1, c1, bool(seed_rounding)))

    return scalar_or_array(map_scalar(one, b, c), bits, clip)


def _brent_min(f, lo, hi, tol=1e-9):
    """Minimum of f on [lo, hi] by Brent's method: parabolic steps through the
    three best points so far, a golden-section step whenever the parabola is not
    trusted.  Deterministic, and for a smooth basin it needs less than half
    the evaluations of golden-section search alone."""
    golden = (3.0 - math.sqrt(5.0)) / 2.0
    x = w = v = lo + golden * (hi - lo)
    fx = fw = fv = f(x)
    step = last = 0.0
    while True:
        mid = 0.5 * (lo + hi)
        tol1 = tol * abs(x) + 1e-12
        tol2 = 2.0 * tol1
        if abs(x - mid) <= tol2 - 0.5 * (hi - lo):
            return x
        parabolic = False
        if abs(last) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            if abs(p) < abs(0.5 * q * last) and q * (lo - x) < p < q * (hi - x):
                last, step = step, p / q
                u = x + step
                if u - lo < tol2 or hi - u < tol2:
                    step = tol1 if x < mid else -tol1
                parabolic = True
        if not parabolic:
            last = (hi - x) if x < mid else (lo - x)
            step = golden * last
        u = x + (step if abs(step) >= tol1 else (tol1 if step > 0 else -tol1))
        fu = f(u)
        if fu <= fx:
            if u < x:
                hi = x
            else:
                lo = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                lo = u
            else:
                hi = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu


@lru_cache(maxsize=None)
def _optimal_uniform(levels):
    """(clip, mse) of the best midrise uniform quantizer with ``levels`` levels."""

    def mse(c):
        return g.cells_mse(*g.midrise_cells(levels, c))

    grid = np.linspace(0.5, 7.0, 14)  # every optimum up to 2**20 levels lies inside
    spacing = grid[1] - grid[0]
    best = grid[int(np.argmin([mse(c) for c in grid]))]
    clip = _brent_min(mse, max(best - spacing, 1e-3), best + spacing)
    return clip, mse(clip)


def _levels_for_optimum(b1):
    levels = g.midrise_level_count(b1)
    if levels < 2:
        raise InstrumentArgumentError(
            f"bit-width b must give at least 2 levels (b >= 0.585) to choose a clip, got {b1!r}"
        )
    return levels


def optimal_clip(bits):
    """Clip c that minimises :func:`gaussian_uniform_mse` (``eq-11-6``).

    A grid on [0.5, 7] locates the basin, then Brent's method narrows it
    to a bracket about 1e-9 of c wide; both are deterministic.  The error
    is flat at its minimum, so c is known to about that and no better.
    Larger c wastes levels on rare tails (granular error grows), smaller c
    clips more weights (overload error grows).  The optimal step ``2 c / 2**b`` reproduces
    Max (1960), Table "optimum uniform quantizer": 1.596 for 2 levels,
    0.9957 for 4, 0.5860 for 8.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b with ``round(2**b) >= 2`` and b <= 20.

    Returns
    -------
    float or ndarray
        Optimal clip in units of sigma.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` is out of range.

    Examples
    --------
    >>> round(optimal_clip(2), 4)
    1.9914
    >>> round(2 * optimal_clip(2) / 4, 4)   # Max's optimum step for 4 levels
    0.9957
    """
    b = _bits(bits)
    clips = map_scalar(lambda b1: _optimal_uniform(_levels_for_optimum(b1))[0], b)
    return scalar_or_array(clips, bits)


def best_clip_uniform_error(bits):
    """Relative RMSE of the best-clipped ``2**b``-level uniform quantizer (``eq-11-6``).

    ``sqrt(min_c gaussian_uniform_mse(b, c))``: the best a plain uniform grid
    can do on Gaussian weights.  For b = 1.58 it is the best 3-level
    symmetric quantizer (see :func:`best_ternary_error`).

    Parameters
    ----------
    bits : float or array_like
        Bit-width b with ``round(2**b) >= 2`` and b <= 20.

    Returns
    -------
    float or ndarray
        Relative RMSE (unit variance, so RMSE / sigma).

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` is out of range.

    Examples
    --------
    >>> round(best_clip_uniform_error(4), 4)
    0.1074
    >>> round(best_clip_uniform_error(1.58), 4)
    0.4361
    """
    b = _bits(bits)
    errs = map_scalar(lambda b1: math.sqrt(_optimal_uniform(_levels_for_optimum(b1))[1]), b)
    return scalar_or_array(errs, bits)


def fixed_clip_uniform_error(bits, clip=FIXED_CLIP):
    """Relative RMSE of the ``2**b``-level midrise grid with a fixed clip (``eq-11-6``).

    ``sqrt(gaussian_uniform_mse(b, c))`` with c = 3 sigma by default: the
    same grid as :func:`best_clip_uniform_error`, only with a clip that does
    not change with b, so the two differ in the clip alone.  Because the
    clip is fixed, the clipping term of ``eq-11-6`` (about 4.1e-4 in MSE at
    c = 3) does not shrink with b, and the error flattens at about 0.020
    above 8 bits instead of halving per bit.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 20.
    clip : float or array_like, optional
        Clip c > 0 in units of sigma (default 3).

    Returns
    -------
    float or ndarray
        Relative RMSE.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    >>> [round(fixed_clip_uniform_error(b), 4) for b in (2, 4, 8, 16)]
    [0.4357, 0.1117, 0.0217, 0.0202]
    """
    return scalar_or_array(np.sqrt(gaussian_uniform_mse(bits, clip)), bits, clip)


def midtread_uniform_error(bits, clip=FIXED_CLIP, seed_rounding=False):
    """Relative RMSE of the mid-tread grid with a fixed clip (``eq-11-6``).

    ``sqrt(gaussian_midtread_mse(b, c, seed_rounding))``, computed exactly.
    The mid-tread grid (step ``2 c / (2**b - 1)``, a level at zero) holds
    only ``2**b - 1`` levels, so at the same clip it is worse than the
    midrise grid of :func:`fixed_clip_uniform_error` by the code it leaves
    unused: most at 2 bits (3 levels instead of 4), little from 4 bits on.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 20.
    clip : float or array_like, optional
        Clip c > 0 in units of sigma (default 3).
    seed_rounding : bool, optional
        Reproduce unclamped half-to-even rounding (two extra outputs at
        +-(c + s/2), see :func:`gaussian_midtread_mse`).

    Returns
    -------
    float or ndarray
        Relative RMSE.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    >>> [round(midtread_uniform_error(b), 4) for b in (2, 4, 8, 16)]
    [0.5775, 0.1188, 0.0217, 0.0202]
    """
    return scalar_or_array(np.sqrt(gaussian_midtread_mse(bits, clip, seed_rounding)), bits, clip)


def clipping_mse(bits, clip):
    """Exact clipping term of ``eq-11-6`` for the midrise grid on N(0, 1).

    A weight beyond the clip is reconstructed at the outermost level,
    ``c - s/2`` with ``s = 2 c / 2**b``, not at c, so the term is

        E[(|w| - (c - s/2))**2 ; |w| > c]
          = 2 * integral_c^inf (x - c + s/2)**2 phi(x) dx,

    in closed form ``2 ((1 + a**2) Q(c) + (c - 2 a) phi(c))`` with
    ``a = c - s/2``.  The rest of :func:`gaussian_uniform_mse` is the rounding
    error inside [-c, c], close to ``s**2 / 12`` once the step is small.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 20.
    clip : float or array_like
        Clip c > 0 in units of sigma.

    Returns
    -------
    float or ndarray
        The clipping part of the mean squared error.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    At 8 bits and c = 3 the clipping term is almost all of the error:

    >>> round(clipping_mse(8, 3.0), 7), round(gaussian_uniform_mse(8, 3.0), 7)
    (0.0004252, 0.0004708)
    """
    b = _bits(bits)
    c = check_positive(clip, "clip c")
    step = 2.0 * c / np.rint(2.0**b)
    term = 2.0 * g.upper_cell_mse(c, c - step / 2.0)
    return scalar_or_array(term, bits, clip)


class LloydMax(NamedTuple):
    """Optimal (Lloyd-Max) scalar quantizer for N(0, 1).

    Attributes
    ----------
    thresholds : ndarray
        The ``L - 1`` decision thresholds, ascending.
    points : ndarray
        The ``L`` reconstruction points, ascending.
    mse : float
        Its mean squared error on N(0, 1).
    """

    thresholds: np.ndarray
    points: np.ndarray
    mse: float


@lru_cache(maxsize=None)
def _lloyd_max(levels):
    spread = max(1.0, math.sqrt(2.0 * math.log(levels)))
    points = np.linspace(-spread, spread, levels)
    for _ in range(200_000):
        t = 0.5 * (points[:-1] + points[1:])
        lo, hi = np.concatenate(([-np.inf], t)), np.concatenate((t, [np.inf]))
        centroids = (g.pdf(lo) - g.pdf(hi)) / g.cell_mass(lo, hi)
        moved = np.max(np.abs(centroids - points))
        points = 0.5 * (centroids - centroids[::-1])  # keep exact symmetry
        if moved < 1e-13:
            break
    thresholds = 0.5 * (points[:-1] + points[1:])
    return thresholds, points, g.cells_mse(*g.cells_from_thresholds(thresholds, points))


def lloyd_max_gaussian(levels):
    """Minimum-MSE scalar quantizer for N(0, 1) by Lloyd-Max iteration (``eq-11-6``).

    Alternates the two optimality conditions until the points move less than
    1e-13: thresholds at midpoints of neighbouring points, and each point at
    its cell's centroid ``(phi(a) - phi(b)) / (Phi(b) - Phi(a))``.  The start
    is a fixed linear grid, so the result is deterministic.  Reproduces
    Max (1960): MSE 0.3634, 0.1175, 0.03454, 0.009497 for 2, 4, 8, 16 levels.

    Parameters
    ----------
    levels : int
        Number of levels L, 1 <= L <= 128.

    Returns
    -------
    LloydMax
        ``(thresholds, points, mse)``.

    Raises
    ------
    InstrumentArgumentError
        If ``levels`` is not an integer in [1, 128].

    Examples
    --------
    >>> q = lloyd_max_gaussian(4)
    >>> q.points.round(4)
    array([-1.5104, -0.4528,  0.4528,  1.5104])
    >>> round(q.mse, 4)
    0.1175
    """
    if np.ndim(levels) != 0:
        raise InstrumentArgumentError(f"level count L must be a single integer, got {levels!r}")
    count = check_positive_integer(levels, "level count L")
    check_at_most(count, MAX_LLOYD_LEVELS, "level count L", "for the Lloyd-Max iteration")
    thresholds, points, mse = _lloyd_max(int(count))
    return LloydMax(thresholds.copy(), points.copy(), mse)


def best_ternary_error():
    """Relative RMSE of the best 3-level symmetric quantizer on N(0, 1).

    The Lloyd-Max 3-level quantizer has levels {-a, 0, a} with a = 1.224 and
    thresholds +-a/2, i.e. it is uniform, so this equals
    ``best_clip_uniform_error(1.58)``: the floor for any ternary scheme
    such as BitNet b1.58 applied to Gaussian weights (``eq-11-6``).

    Returns
    -------
    float
        ``sqrt(0.19017...)``.

    Examples
    --------
    >>> round(best_ternary_error(), 4)
    0.4361
    """
    return math.sqrt(_lloyd_max(3)[2])


def absmean_ternary_error():
    """Relative RMSE of BitNet b1.58's absmean ternary rule on N(0, 1).

    The rule (:func:`instruments.quantization.ternary_quantize`) uses
    ``s = mean|w|``, which for N(0, 1) is ``sqrt(2 / pi)``; it maps |x| < s/2
    to 0 and the rest to +-s.  That is clearly worse than the optimum of
    :func:`best_ternary_error` (0.513 vs 0.436): s = 0.80 puts the non-zero
    levels and the thresholds too close to zero (the optimum is +-1.224 with
    thresholds +-0.612) (``eq-11-6``).

    Returns
    -------
    float
        Relative RMSE.

    Examples
    --------
    >>> round(absmean_ternary_error(), 4)
    0.5132
    """
    s = math.sqrt(2.0 / math.pi)
    return math.sqrt(g.cells_mse(*g.cells_from_thresholds([-s / 2, s / 2], [-s, 0.0, s])))


def rate_distortion_bound(bits):
    """Lower bound on relative RMSE at b bits: ``2**-b`` (``eq-11-6``).

    Shannon's distortion-rate function of a Gaussian source,
    ``D(R) = sigma**2 * 2**(-2R)``, gives RMSE / sigma = ``2**-R``.  No
    quantizer at R = b bits per weight, however clever (vector codebooks
    included), can beat it; the "RMSE ~ 2**-b" of ``eq-11-6`` is this slope.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b > 0.

    Returns
    -------
    float or ndarray
        ``2.0 ** -bits``.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` is not > 0.

    Examples
    --------
    >>> rate_distortion_bound(4)
    0.0625
    >>> rate_distortion_bound([1, 2])
    array([0.5 , 0.25])
    """
    b = check_positive(bits, "bit-width b")
    return scalar_or_array(2.0**-b, bits)
