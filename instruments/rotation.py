"""Hadamard rotation and outlier-heavy test weights (``eq-11-6``, section 11.4).

Glossary of symbols
-------------------
n : length of the rotated axis, a power of 2
H : the n x n Sylvester-Hadamard matrix, entries +-1, ``H @ H = n * I``
D : a diagonal of random signs +-1
w : weights; a vector, or a matrix whose rows are rotated
b : bit-width

Incoherence processing (QuIP#, QuaRot) multiplies weights by an orthogonal
matrix before quantizing: the matmul is unchanged once the inverse is applied,
but one large outlier is spread over all n coordinates, so a per-row or
per-tensor range no longer wastes the grid on it.  The plain rotation is the
orthonormal Hadamard ``H / sqrt(n)``, which is symmetric and its own inverse;
the *random* Hadamard rotation ``D H / sqrt(n)`` flips the signs of the
coordinates first, so that no fixed input is aligned with a row of H.
"""

from functools import lru_cache

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_integer
from .errors import InstrumentArgumentError

__all__ = [
    "hadamard_matrix",
    "hadamard_rotate",
    "random_signs",
    "random_hadamard_rotate",
    "random_hadamard_unrotate",
    "outlier_weights",
    "heavy_tailed_weights",
    "ROTATION_EXAMPLE",
    "rotation_errors",
]

ROTATION_EXAMPLE = {
    "rows": 128,
    "cols": 512,
    "df": 4,
    "outlier_channels": 4,
    "outlier_scale": 10.0,
    "seed": 0,
}
"""The weight matrix of the chapter's rotation cell (:func:`heavy_tailed_weights`)."""

MAX_HADAMARD_ORDER = 2**13
"""Largest explicit Hadamard matrix (64 M entries); the rotation itself has no cap."""


def _check_power_of_two(n, label):
    if n < 1 or n & (n - 1):
        raise InstrumentArgumentError(f"{label} must be a power of 2, got {n}")


def hadamard_matrix(n):
    """Sylvester-Hadamard matrix of order n: ``H_1 = [1]``, ``H_2m = [[H, H], [H, -H]]``.

    Parameters
    ----------
    n : int
        Order, a power of 2 no larger than 8192.

    Returns
    -------
    ndarray
        ``(n, n)`` float array of +-1 with ``H @ H.T = n * I``.

    Raises
    ------
    InstrumentArgumentError
        If ``n`` is not a power of 2 in [1, 8192].

    Examples
    --------
    >>> hadamard_matrix(4)
    array([[ 1.,  1.,  1.,  1.],
           [ 1., -1.,  1., -1.],
           [ 1.,  1., -1., -1.],
           [ 1., -1., -1.,  1.]])
    """
    if np.ndim(n) != 0:
        raise InstrumentArgumentError(f"Hadamard order n must be a single integer, got {n!r}")
    order = int(check_positive_integer(n, "Hadamard order n"))
    _check_power_of_two(order, "Hadamard order n")
    if order > MAX_HADAMARD_ORDER:
        raise InstrumentArgumentError(
            f"Hadamard order n must be <= {MAX_HADAMARD_ORDER}, got {order}"
        )
    h = np.ones((1, 1))
    while h.shape[0] < order:
        h = np.block([[h, h], [h, -h]])
    return h


def hadamard_rotate(w):
    """Rotate the last axis of ``w`` by the orthonormal Hadamard ``H / sqrt(n)``.

    Uses the fast Walsh-Hadamard butterfly (O(n log n)) in Sylvester order,
    so ``hadamard_rotate(w) == w @ hadamard_matrix(n) / sqrt(n)``.  The map is
    orthogonal and symmetric, hence its own inverse:
    ``hadamard_rotate(hadamard_rotate(w)) == w`` up to rounding.

    Parameters
    ----------
    w : array_like
        Vector, or matrix whose rows are rotated; the last axis length must
        be a power of 2.

    Returns
    -------
    ndarray
        Rotated weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If ``w`` is a scalar or its last axis is not a power of 2.

    Examples
    --------
    One outlier spreads evenly over every coordinate:

    >>> hadamard_rotate([8.0, 0.0, 0.0, 0.0])
    array([4., 4., 4., 4.])
    >>> hadamard_rotate(hadamard_rotate([1.0, 2.0, 3.0, 4.0]))
    array([1., 2., 3., 4.])
    """
    x = as_float_array(w, "weights w")
    if x.ndim == 0:
        raise InstrumentArgumentError("weights w must be a vector or matrix, got a scalar")
    n = x.shape[-1]
    _check_power_of_two(n, "last axis length n of w")
    lead = x.shape[:-1]
    h = 1
    while h < n:
        pairs = x.reshape(*lead, n // (2 * h), 2, h)
        top, bottom = pairs[..., 0, :], pairs[..., 1, :]
        x = np.stack((top + bottom, top - bottom), axis=-2).reshape(*lead, n)
        h *= 2
    return x / np.sqrt(n)


def outlier_weights(size, n_outliers, magnitude, seed=0):
    """Gaussian N(0, 1) weights with a few large outliers planted at random.

    Mimics trained LLM weights, where a handful of large-magnitude entries
    dominate a per-tensor max-abs clip (section 11.4).

    Parameters
    ----------
    size : int
        Number of weights.
    n_outliers : int
        How many entries to replace, 0 <= n_outliers <= size.
    magnitude : float
        Absolute value of each outlier (> 0); signs are random.
    seed : int, optional
        Seed for ``numpy.random.default_rng``; the output is deterministic.

    Returns
    -------
    ndarray
        ``(size,)`` float array.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range.

    Examples
    --------
    >>> w = outlier_weights(1024, 4, 20.0, seed=0)
    >>> w.shape, int(np.sum(np.abs(w) == 20.0))
    ((1024,), 4)
    """
    count = int(check_positive_integer(size, "size"))
    if np.ndim(n_outliers) != 0 or not float(n_outliers).is_integer() or not 0 <= n_outliers <= count:
        raise InstrumentArgumentError(
            f"number of outliers must be an integer in [0, size={count}], got {n_outliers!r}"
        )
    big = float(check_positive(magnitude, "outlier magnitude"))
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(count)
    where = rng.choice(count, size=int(n_outliers), replace=False)
    w[where] = big * rng.choice([-1.0, 1.0], size=int(n_outliers))
    return w


def random_signs(n, seed=0):
    """The diagonal D of a random Hadamard rotation: n random signs +-1.

    Parameters
    ----------
    n : int
        Length, a power of 2.
    seed : int, optional
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    ndarray
        ``(n,)`` float array of +-1.

    Raises
    ------
    InstrumentArgumentError
        If ``n`` is not a power of 2.

    Examples
    --------
    >>> d = random_signs(8, seed=1)
    >>> d.shape, set(np.abs(d).tolist())
    ((8,), {1.0})
    """
    if np.ndim(n) != 0:
        raise InstrumentArgumentError(f"length n must be a single integer, got {n!r}")
    order = int(check_positive_integer(n, "length n"))
    _check_power_of_two(order, "length n")
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=order)


def _checked_signs(x, signs):
    d = as_float_array(signs, "signs D")
    if d.ndim != 1 or x.ndim == 0 or d.shape[0] != x.shape[-1] or not np.all(np.abs(d) == 1.0):
        raise InstrumentArgumentError(
            f"signs D must be a vector of +-1 as long as the last axis of w, got shape {d.shape}"
        )
    return d


def random_hadamard_rotate(w, signs):
    """Random Hadamard rotation of the last axis: ``w @ D @ H / sqrt(n)`` (section 11.4).

    Each row is multiplied by the signs D, then rotated by the orthonormal
    Hadamard (:func:`hadamard_rotate`).  The map is orthogonal; its inverse
    is :func:`random_hadamard_unrotate`.  A layer ``y = W x`` computes the
    same after ``W -> random_hadamard_rotate(W, D)`` and
    ``x -> random_hadamard_rotate(x, D)``.

    Parameters
    ----------
    w : array_like
        Vector or matrix; the last axis length n must be a power of 2.
    signs : array_like
        n signs +-1 (:func:`random_signs`).

    Returns
    -------
    ndarray
        Rotated weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If the shapes do not fit or a sign is not +-1.

    Examples
    --------
    >>> d = np.array([1.0, -1.0, 1.0, 1.0])
    >>> random_hadamard_rotate([8.0, 8.0, 0.0, 0.0], d)
    array([0., 8., 0., 8.])
    >>> random_hadamard_unrotate(random_hadamard_rotate([1.0, 2.0, 3.0, 4.0], d), d)
    array([1., 2., 3., 4.])
    """
    x = as_float_array(w, "weights w")
    d = _checked_signs(x, signs)
    return hadamard_rotate(x * d)


def random_hadamard_unrotate(w, signs):
    """Inverse of :func:`random_hadamard_rotate`: ``w @ H @ D / sqrt(n)`` (section 11.4).

    Parameters
    ----------
    w : array_like
        Rotated vector or matrix.
    signs : array_like
        The signs used for the rotation.

    Returns
    -------
    ndarray
        Weights in the original basis.

    Raises
    ------
    InstrumentArgumentError
        If the shapes do not fit or a sign is not +-1.

    Examples
    --------
    >>> d = random_signs(4, seed=0)
    >>> w = np.array([[0.5, -1.0, 2.0, 0.0]])
    >>> bool(np.allclose(random_hadamard_unrotate(random_hadamard_rotate(w, d), d), w))
    True
    """
    x = as_float_array(w, "weights w")
    d = _checked_signs(x, signs)
    return hadamard_rotate(x) * d


def heavy_tailed_weights(rows, cols, df=4, outlier_channels=4, outlier_scale=10.0, seed=0):
    """A weight matrix with heavy tails and a few outlier input channels (section 11.4).

    Entries are Student-t with ``df`` degrees of freedom, scaled to unit
    variance (``t * sqrt((df - 2) / df)``); then ``outlier_channels``
    columns, chosen at random, are multiplied by ``outlier_scale``.  Rows are
    output channels, columns input channels: the pattern that a few large
    activation channels leave in trained LLM weights.

    Parameters
    ----------
    rows, cols : int
        Shape; ``cols`` must be a power of 2 so the rows can be rotated.
    df : float, optional
        Degrees of freedom of the Student-t, > 2 (default 4).
    outlier_channels : int, optional
        How many columns to scale, 0 <= outlier_channels <= cols (default 4).
    outlier_scale : float, optional
        Factor applied to those columns, > 0 (default 10).
    seed : int, optional
        Seed for ``numpy.random.default_rng``; the output is deterministic.

    Returns
    -------
    ndarray
        ``(rows, cols)`` float array.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range.

    Examples
    --------
    >>> w = heavy_tailed_weights(64, 256, seed=0)
    >>> column_rms = np.sqrt(np.mean(w**2, axis=0))
    >>> w.shape, int(np.sum(column_rms > 5))
    ((64, 256), 4)
    """
    n_rows = int(check_positive_integer(rows, "rows"))
    n_cols = int(check_positive_integer(cols, "columns"))
    _check_power_of_two(n_cols, "columns")
    nu = float(check_positive(df, "degrees of freedom"))
    if nu <= 2:
        raise InstrumentArgumentError(f"degrees of freedom must be > 2 (finite variance), got {df!r}")
    k = outlier_channels
    if np.ndim(k) != 0 or not float(k).is_integer() or not 0 <= k <= n_cols:
        raise InstrumentArgumentError(
            f"number of outlier channels must be an integer in [0, cols={n_cols}], got {k!r}"
        )
    scale = float(check_positive(outlier_scale, "outlier scale"))
    rng = np.random.default_rng(seed)
    w = rng.standard_t(nu, size=(n_rows, n_cols)) * np.sqrt((nu - 2.0) / nu)
    w[:, rng.choice(n_cols, size=int(k), replace=False)] *= scale
    return w


def rotation_errors(bits, rows=128, cols=512, df=4, outlier_channels=4, outlier_scale=10.0, seed=0):
    """Relative error of min-max rounding with and without a random Hadamard rotation.

    The experiment of the chapter's rotation cell (section 11.4, ``eq-11-6``):
    ``w = heavy_tailed_weights(rows, cols, df, outlier_channels,
    outlier_scale, seed)``, signs ``random_signs(cols, seed + 1)``; each row is
    quantized by :func:`instruments.quantization.minmax_quantize`, either as
    it is or after :func:`random_hadamard_rotate` (and rotated back).  Errors
    are ``||w - q||_F / ||w||_F``.

    Parameters
    ----------
    bits : float or sequence of float
        Bit-widths with ``round(2**b) >= 2``.
    rows, cols, df, outlier_channels, outlier_scale, seed
        As in :func:`heavy_tailed_weights`.

    Returns
    -------
    dict
        ``{"plain": ndarray, "rotated": ndarray}``, one error per bit-width.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range.

    Examples
    --------
    >>> e = rotation_errors([4, 2])
    >>> bool(np.all(e["rotated"] < e["plain"]))
    True
    """
    setup = (rows, cols, df, outlier_channels, outlier_scale, seed)
    _rotation_setup(*setup)  # checks the arguments
    pairs = [_rotation_error(float(b), *setup) for b in np.atleast_1d(np.asarray(bits, dtype=float))]
    return {"plain": np.array([p for p, _ in pairs]), "rotated": np.array([r for _, r in pairs])}


@lru_cache(maxsize=256)
def _rotation_error(b, rows, cols, df, outlier_channels, outlier_scale, seed):
    from .quantization import minmax_quantize, relative_rmse

    w, signs, rotated = _rotation_setup(rows, cols, df, outlier_channels, outlier_scale, seed)
    plain = relative_rmse(w, minmax_quantize(w, b))
    turned = relative_rmse(w, random_hadamard_unrotate(minmax_quantize(rotated, b), signs))
    return plain, turned


@lru_cache(maxsize=4)
def _rotation_setup(rows, cols, df, outlier_channels, outlier_scale, seed):
    w = heavy_tailed_weights(rows, cols, df, outlier_channels, outlier_scale, seed)
    signs = random_signs(cols, seed + 1)
    rotated = random_hadamard_rotate(w, signs)
    for array in (w, signs, rotated):
        array.flags.writeable = False  # shared between calls
    return w, signs, rotated
