"""Hadamard rotation and outlier-heavy test weights (EQ 11.6, section 11.4).

Glossary of symbols
-------------------
n : length of the rotated axis, a power of 2
H : the n x n Sylvester-Hadamard matrix, entries +-1, ``H @ H = n * I``
w : weights; a vector, or a matrix whose rows are rotated

Incoherence processing (QuIP#, QuaRot) multiplies weights by an orthogonal
matrix before quantizing: the matmul is unchanged once the inverse is applied,
but one large outlier is spread over all n coordinates, so a per-tensor
max-abs clip no longer wastes the grid on it.  Here the rotation is the
orthonormal Hadamard ``H / sqrt(n)``, which is symmetric and its own inverse.
"""

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_integer
from .errors import InstrumentArgumentError

__all__ = ["hadamard_matrix", "hadamard_rotate", "outlier_weights"]

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
