"""Exact squared error of scalar quantizers on a unit Gaussian (internal engine).

A scalar quantizer is described by cells ``[lo_i, hi_i)`` (the outer ones may
be unbounded) and the value ``c_i`` every input in cell i is mapped to.  For
x ~ N(0, 1) with density phi and upper tail Q, its mean squared error is

    MSE = sum_i  integral_{lo_i}^{hi_i} (x - c_i)**2 phi(x) dx.

Unbounded cells use the closed form

    integral_t^inf (x - c)**2 phi(x) dx = (1 + c**2) Q(t) + (t - 2 c) phi(t),

(from integral_t^inf phi = Q(t), x phi = phi(t), x**2 phi = Q(t) + t phi(t));
bounded cells use composite Gauss-Legendre quadrature on sub-cells no wider
than 0.25, which is exact to rounding for this smooth integrand and, unlike
the closed form, does not lose digits to cancellation when cells are narrow
(at 16 bits a cell is ~1e-4 wide and holds ~1e-13 of the error).  Cells
narrower than 1/64 use the Taylor series of phi about the cell's midpoint
instead: as exact, with one exp per cell rather than one per node.  Only numpy
and :mod:`math` are used, so the same code runs in the browser under Pyodide.
"""

import math

import numpy as np

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
_MAX_SUBCELL = 0.25
_MAX_SERIES_WIDTH = 1.0 / 64.0
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def pdf(x):
    """Standard normal density phi(x)."""
    x = np.asarray(x, dtype=float)
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def upper_tail(x):
    """Q(x) = P(X > x) for X ~ N(0, 1), accurate far into both tails."""
    x = np.asarray(x, dtype=float)
    return 0.5 * np.asarray(_erfc(x / math.sqrt(2.0)), dtype=float)


def cell_mass(lo, hi):
    """P(lo < X < hi), computed from whichever tail keeps full precision."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    right = upper_tail(lo) - upper_tail(hi)
    left = upper_tail(-hi) - upper_tail(-lo)
    return np.where(lo >= 0, right, left)


def upper_cell_mse(t, c):
    """integral_t^inf (x - c)**2 phi(x) dx; t may be -inf."""
    t = np.asarray(t, dtype=float)
    c = np.asarray(c, dtype=float)
    finite = np.isfinite(t)
    t_safe = np.where(finite, t, 0.0)
    edge = np.where(finite, (t_safe - 2.0 * c) * pdf(t_safe), 0.0)
    return (1.0 + c * c) * upper_tail(t) + edge


_SERIES_CHUNK = 4096
"""Cells per pass of :func:`_narrow_cells_mse`: its ~20 temporary arrays of that length
stay in the processor's cache, where a 2**16-cell grid in one pass would not (about
three times as fast)."""


def _narrow_cells_mse(lo, hi, c):
    """Sum over cells no wider than ``_MAX_SERIES_WIDTH`` of the same integral, from
    the Taylor series of phi about each cell's midpoint m (half-width a, d = c - m):

        integral = S2 - 2 d S1 + d**2 S0,   S_k = integral_{-a}^{a} u**k phi(m + u) du,

    with phi^(n)(m) = (-1)**n He_n(m) phi(m) (probabilists' Hermite polynomials).
    Terms up to phi^(7) leave a relative error below 1e-15 at a <= 1/128, and need
    one exp per cell instead of one per quadrature node.  The cells' terms are
    computed ``_SERIES_CHUNK`` at a time and summed together at the end."""
    terms = np.empty(lo.size)
    for start in range(0, lo.size, _SERIES_CHUNK):
        part = slice(start, start + _SERIES_CHUNK)
        terms[part] = _narrow_cell_terms(lo[part], hi[part], c[part])
    return float(np.sum(terms))


def _narrow_cell_terms(lo, hi, c):
    """Each cell's term of :func:`_narrow_cells_mse`, phi(m) (S2 - 2 d S1 + d**2 S0)."""
    m = 0.5 * (lo + hi)
    a = 0.5 * (hi - lo)
    d = c - m
    x2 = m * m
    he2, he4 = x2 - 1.0, x2 * x2 - 6.0 * x2 + 3.0
    he6 = x2 * x2 * x2 - 15.0 * x2 * x2 + 45.0 * x2 - 15.0
    he1, he3, he5 = m, m * (x2 - 3.0), m * (x2 * x2 - 10.0 * x2 + 15.0)
    he7 = m * (x2 * x2 * x2 - 21.0 * x2 * x2 + 105.0 * x2 - 105.0)
    a2 = a * a
    s0 = 2.0 * a * (1.0 + a2 * (he2 / 6.0 + a2 * (he4 / 120.0 + a2 * he6 / 5040.0)))
    s1 = -2.0 * a * a2 * (he1 / 3.0 + a2 * (he3 / 30.0 + a2 * (he5 / 840.0 + a2 * he7 / 45360.0)))
    s2 = 2.0 * a * a2 * (1.0 / 3.0 + a2 * (he2 / 10.0 + a2 * (he4 / 168.0 + a2 * he6 / 6480.0)))
    return pdf(m) * (s2 - 2.0 * d * s1 + d * d * s0)


def _bounded_cells_mse(lo, hi, c):
    """Sum over bounded cells of integral_lo^hi (x - c)**2 phi(x) dx."""
    if lo.size == 0:
        return 0.0
    width = hi - lo
    narrow = width <= _MAX_SERIES_WIDTH
    if narrow.all():  # a fine grid: the cells as they are, not a copy
        return _narrow_cells_mse(lo, hi, c)
    total = _narrow_cells_mse(lo[narrow], hi[narrow], c[narrow]) if narrow.any() else 0.0
    lo, hi, c, width = lo[~narrow], hi[~narrow], c[~narrow], width[~narrow]
    pieces = np.maximum(np.ceil(width / _MAX_SUBCELL), 1).astype(np.int64)
    owner = np.repeat(np.arange(lo.size), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    sub = np.arange(owner.size) - first
    h = width[owner] / pieces[owner]
    start = lo[owner] + sub * h
    x = start[:, None] + 0.5 * (_GL_NODES + 1.0)[None, :] * h[:, None]
    integrand = (x - c[owner][:, None]) ** 2 * pdf(x)
    return total + float(np.sum(0.5 * h * (integrand @ _GL_WEIGHTS)))


def cells_mse(lo, hi, points):
    """Exact E[(X - q(X))**2] for the quantizer given by its cells.

    Parameters
    ----------
    lo, hi : array_like
        Cell edges (``lo[0]`` may be ``-inf``, ``hi[-1]`` may be ``inf``).
    points : array_like
        Output value of each cell.
    """
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    c = np.asarray(points, dtype=float)
    upper = np.isposinf(hi)
    lower = np.isneginf(lo) & ~upper
    bounded = ~(upper | lower)
    total = float(np.sum(upper_cell_mse(lo[upper], c[upper])))
    # reflect x -> -x so a lower tail becomes an upper one
    total += float(np.sum(upper_cell_mse(-hi[lower], -c[lower])))
    count = np.count_nonzero(bounded)
    first = int(np.argmax(bounded))
    if bounded[first:first + count].all():  # one run of cells (a grid): views, not copies
        inner = slice(first, first + count)
        total += _bounded_cells_mse(lo[inner], hi[inner], c[inner])
    else:
        total += _bounded_cells_mse(lo[bounded], hi[bounded], c[bounded])
    return total


def cells_from_thresholds(thresholds, points):
    """Cells (lo, hi, points) for sorted inner thresholds and their outputs."""
    t = np.asarray(thresholds, dtype=float)
    lo = np.concatenate(([-np.inf], t))
    hi = np.concatenate((t, [np.inf]))
    return lo, hi, np.asarray(points, dtype=float)


def midrise_cells(levels, clip):
    """Cells of the ``levels``-level midrise uniform quantizer on [-clip, clip]."""
    step = 2.0 * clip / levels
    i = np.arange(levels, dtype=float)
    return cells_from_thresholds(-clip + step * i[1:], -clip + step * (i + 0.5))


def midtread_cells(bits, clip, seed_rounding):
    """Cells of the mid-tread quantizer ``round(clip(x) / step) * step``.

    ``step = 2 clip / (2**bits - 1)``; interior outputs are ``k * step`` for
    ``|k| <= K`` with ``K = ceil(2**(bits - 1)) - 1``.  With ``seed_rounding``
    the saturated inputs ``|x| >= clip`` go where ``numpy.round`` sends
    ``clip / step`` (half to even, so often ``K + 1``); otherwise to ``K``.
    """
    step = 2.0 * clip / (2.0**bits - 1.0)
    top = midtread_top_index(bits)
    k = np.arange(-top, top + 1, dtype=float)
    lo, hi, pts = cells_from_thresholds((k[:-1] + 0.5) * step, k * step)
    saturated = float(np.round(clip / step)) if seed_rounding else float(top)
    if saturated != top:
        # split the outer cells at +-clip: beyond it, x lands on +-saturated * step
        lo = np.concatenate(([-np.inf, -clip], lo[1:], [clip]))
        hi = np.concatenate(([-clip], hi[:-1], [clip, np.inf]))
        pts = np.concatenate(([-saturated * step], pts, [saturated * step]))
    return lo, hi, pts


def midrise_level_count(bits):
    """Levels of the midrise quantizer: ``round(2**bits)`` (3 for b = 1.58)."""
    return int(np.rint(2.0**bits))


def midtread_top_index(bits):
    """Largest |k| of the clamped mid-tread grid: ``ceil(2**(bits - 1)) - 1``."""
    return math.ceil(2.0 ** (bits - 1.0)) - 1
