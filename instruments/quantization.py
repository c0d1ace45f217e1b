"""Weight quantizers, their error, storage and regimes (``eq-11-6``).

Glossary of symbols
-------------------
b : bit-width, bits per weight (b = 1.58 stands for ternary, log2 3)
L : number of levels a quantizer can output
c : clip; the symmetric uniform grids span [-c, c] (R = 2c in the chapter)
s : the quantizer's step, the distance between neighbouring levels
P : parameter count; weights occupy ``P * b / 8`` bytes
w, q : weights and their quantized values

Three uniform grids appear in section 11.4:

* the *midrise* grid of ``eq-11-6`` (:func:`uniform_quantize_midrise`):
  ``s = 2 c / 2**b``, levels at the cell centres, all ``2**b`` codes used,
  no level at zero;
* the *mid-tread* grid (:func:`uniform_quantize`): ``s = 2 c / (2**b - 1)``,
  the multiples of s inside [-c, c].  Symmetric about a level at zero, its
  level count is odd: ``2**b - 1`` (3 at 2 bits), one code unused;
* the asymmetric *min-max* grid (:func:`minmax_quantize`): the same step
  ``(max - min) / (2**b - 1)``, but levels counted from the minimum with an
  integer zero point, so all ``2**b`` codes are used and zero is a level.

:func:`uniform_quantize` with ``seed_rounding=True`` reproduces the unclamped
``numpy.round(clip(w) / s) * s``, which, because ``numpy.round`` rounds
halves to even, sends clipped weights to +-(c + s/2) and so emits
``2**b + 1`` distinct values; :func:`uniform_levels` counts both.

Non-integer bit-widths are taken at face value: storage and the
rate-distortion bound use b itself (1.58 bits per weight), the midrise and
min-max quantizers have ``round(2**b)`` levels (3 at b = 1.58, i.e. ternary)
and the mid-tread grid uses ``2**b - 1`` in its step (also 3 levels at
b = 1.58).

The exact Gaussian errors (:func:`gaussian_uniform_mse`, :func:`optimal_clip`,
:func:`lloyd_max_gaussian`, ...) live in :mod:`instruments.gaussian_error` and
the Hadamard rotation in :mod:`instruments.rotation`; both are re-exported
here.
"""

import numpy as np

from ._validate import as_float_array, check_bits, check_positive
from ._validate import scalar_or_array
from .errors import InstrumentArgumentError
from .gaussian_error import (  # noqa: F401  (re-exported)
    FIXED_CLIP,
    LloydMax,
    absmean_ternary_error,
    best_clip_uniform_error,
    best_ternary_error,
    clipping_mse,
    fixed_clip_uniform_error,
    gaussian_midtread_mse,
    gaussian_uniform_mse,
    lloyd_max_gaussian,
    midtread_uniform_error,
    optimal_clip,
    rate_distortion_bound,
)
from .rotation import (  # noqa: F401  (re-exported)
    hadamard_matrix,
    hadamard_rotate,
    heavy_tailed_weights,
    outlier_weights,
    random_hadamard_rotate,
    random_hadamard_unrotate,
    random_signs,
)

BIT_WIDTHS = (16, 8, 6, 5, 4, 3, 2, 1.58)
"""Positions of the bit-width slider; 1.58 is BitNet's ternary."""

MODEL_SIZES = {"7B": 7e9, "70B": 70e9, "405B": 405e9}
"""Parameter counts P of the model sizes the bit-width instrument offers."""

REGIMES = ("nearly free", "costly", "only with rotation and codebooks")
"""Labels of :func:`regime`, best to worst."""

REGIME_THRESHOLDS = {"nearly free": 4.0, "costly": 3.0}
"""Lowest bit-width of each regime: b >= 4 nearly free, 3 <= b < 4 costly."""

MAX_QUANTIZER_BITS = 32
"""Largest bit-width the array quantizers accept (keeps level indices exact)."""

_BITS_REASON = "for the array quantizers"

__all__ = [
    "BIT_WIDTHS",
    "MODEL_SIZES",
    "REGIMES",
    "REGIME_THRESHOLDS",
    "midrise_levels",
    "uniform_levels",
    "uniform_quantize",
    "uniform_quantize_midrise",
    "minmax_quantize",
    "ternary_quantize",
    "quantize_per_tensor",
    "relative_rmse",
    "weight_storage_gb",
    "regime",
    # re-exported from instruments.gaussian_error
    "FIXED_CLIP",
    "LloydMax",
    "gaussian_uniform_mse",
    "gaussian_midtread_mse",
    "optimal_clip",
    "best_clip_uniform_error",
    "fixed_clip_uniform_error",
    "midtread_uniform_error",
    "clipping_mse",
    "lloyd_max_gaussian",
    "best_ternary_error",
    "absmean_ternary_error",
    "rate_distortion_bound",
    # re-exported from instruments.rotation
    "hadamard_matrix",
    "hadamard_rotate",
    "outlier_weights",
    "heavy_tailed_weights",
    "random_signs",
    "random_hadamard_rotate",
    "random_hadamard_unrotate",
]


def _bits(bits):
    return check_bits(bits, MAX_QUANTIZER_BITS, _BITS_REASON)


def _int_or_array(counts, *inputs):
    if all(np.ndim(x) == 0 for x in inputs):
        return int(counts)
    return np.asarray(counts, dtype=np.int64)


def midrise_levels(bits):
    """Levels of the midrise quantizer, ``round(2**b)`` (``eq-11-6``).

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 32.

    Returns
    -------
    int or ndarray of int
        ``2**b`` for integer b; 3 for b = 1.58.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` is out of range.

    Examples
    --------
    >>> midrise_levels(4), midrise_levels(1.58)
    (16, 3)
    """
    b = _bits(bits)
    return _int_or_array(np.rint(2.0**b), bits)


def uniform_levels(bits, clip=FIXED_CLIP, seed_rounding=False):
    """Distinct outputs of the mid-tread quantizer :func:`uniform_quantize` (``eq-11-6``).

    The clamped grid has ``2 K + 1`` levels with ``K = ceil(2**(b-1)) - 1``,
    i.e. ``2**b - 1`` for integer b >= 1 -- one short of the ``2**b`` codes
    that b bits name.  With ``seed_rounding=True`` two more values,
    +-(c + s/2), are reached by clipped weights whenever ``numpy.round``
    rounds ``c / s`` up (it does for b = 2..12 at c = 3, because
    ``2**(b-1) - 1/2`` is a half and half-to-even goes to the even
    ``2**(b-1)``), giving ``2**b + 1``.

    Parameters
    ----------
    bits : float or array_like
        Bit-width b, 0 < b <= 32.
    clip : float, optional
        Clip c (only matters with ``seed_rounding``; default 3).
    seed_rounding : bool, optional
        Count the outputs of the unclamped rounding instead.

    Returns
    -------
    int or ndarray of int
        Number of distinct output values over all real inputs.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    >>> [uniform_levels(b) for b in (1, 2, 3, 4, 8)]
    [1, 3, 7, 15, 255]
    >>> [uniform_levels(b, seed_rounding=True) for b in (1, 2, 3, 4, 8)]
    [1, 5, 9, 17, 257]
    >>> uniform_levels(1.58)
    3
    """
    b = _bits(bits)
    c = check_positive(clip, "clip c")
    top = np.ceil(2.0 ** (b - 1.0)) - 1.0
    count = 2.0 * top + 1.0
    if seed_rounding:
        s = 2.0 * c / (2.0**b - 1.0)
        count = count + 2.0 * (np.round(c / s) > top)
    return _int_or_array(count, bits, clip)


def uniform_quantize(w, bits, clip, seed_rounding=False):
    """Mid-tread uniform quantizer (section 11.4, ``eq-11-6``): ``round(clip(w, -c, c) / s) * s``.

    Step ``s = 2 c / (2**b - 1)`` (the chapter's ``R / (2**b - 1)`` with
    R = 2c).  By default the integer ``round(...)`` is clamped to
    ``[-K, K]``, ``K = ceil(2**(b-1)) - 1``: the levels that rounding an
    input strictly inside (-c, c) can reach.  For integer b that is
    ``2**b - 1`` levels, the outermost at +-(c - s/2) (see
    :func:`uniform_levels`); at b = 1.58 it is {-s, 0, s}.  With
    ``seed_rounding=True`` the clamp is skipped and the result is exactly
    ``np.round(np.clip(w, -c, c) / s) * s``.

    Parameters
    ----------
    w : float or array_like
        Weights.
    bits : float or array_like
        Bit-width b, 0 < b <= 32.
    clip : float or array_like
        Clip c > 0.
    seed_rounding : bool, optional
        Skip the clamp (unclamped half-to-even rounding).

    Returns
    -------
    float or ndarray
        Quantized weights, broadcast shape of the inputs.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    At 2 bits and c = 3 the step is s = 2 and the grid is {-2, 0, 2}:

    >>> uniform_quantize([-3.5, -0.9, 0.2, 1.1, 3.5], 2, 3.0)
    array([-2.,  0.,  0.,  2.,  2.])
    >>> uniform_quantize([-3.5, 3.5], 2, 3.0, seed_rounding=True)
    array([-4.,  4.])
    """
    x = as_float_array(w, "weights w")
    b = _bits(bits)
    c = check_positive(clip, "clip c")
    s = 2.0 * c / (2.0**b - 1.0)
    k = np.round(np.clip(x, -c, c) / s)
    if not seed_rounding:
        top = np.ceil(2.0 ** (b - 1.0)) - 1.0
        k = np.clip(k, -top, top)
    return scalar_or_array(k * s + 0.0, w, bits, clip)  # + 0.0: no -0


def uniform_quantize_midrise(w, bits, clip):
    """Midrise uniform quantizer with ``L = round(2**b)`` levels (``eq-11-6``).

    Step ``s = 2 c / L``; input x goes to cell ``i = floor((x + c) / s)``
    (clamped to 0..L-1) and is reconstructed at ``(i + 0.5) * s - c``.
    Every one of the ``2**b`` codes is used, and the outermost cells absorb
    everything beyond +-c, reconstructed at +-(c - s/2) (the clipping term
    of ``eq-11-6``).  This is the grid whose clip :func:`optimal_clip` optimises.

    Parameters
    ----------
    w : float or array_like
        Weights.
    bits : float or array_like
        Bit-width b, 0 < b <= 32.
    clip : float or array_like
        Clip c > 0.

    Returns
    -------
    float or ndarray
        Quantized weights.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` or ``clip`` is out of range.

    Examples
    --------
    >>> uniform_quantize_midrise([-5.0, -0.2, 0.2, 0.9, 5.0], 2, 2.0)
    array([-1.5, -0.5,  0.5,  0.5,  1.5])
    >>> np.unique(uniform_quantize_midrise(np.linspace(-3, 3, 101), 1.58, 1.5))
    array([-1.,  0.,  1.])
    """
    x = as_float_array(w, "weights w")
    b = _bits(bits)
    c = check_positive(clip, "clip c")
    levels = np.rint(2.0**b)
    s = 2.0 * c / levels
    cell = np.clip(np.floor((x + c) / s), 0.0, levels - 1.0)
    return scalar_or_array((cell + 0.5) * s - c, w, bits, clip)


def minmax_quantize(w, bits):
    """Asymmetric min-max quantizer with an integer zero point (section 11.4, ``eq-11-6``).

    Along the last axis (each row its own range): ``lo = min(w, 0)``,
    ``hi = max(w, 0)``, step ``s = (hi - lo) / (L - 1)`` with
    ``L = round(2**b)``, zero point ``z = round(-lo / s)``, codes
    ``k = clip(round(w / s) + z, 0, L - 1)`` and output ``(k - z) * s``.
    The step is the mid-tread grid's ``R / (2**b - 1)``, yet all ``2**b``
    codes are used: the levels are counted from the minimum instead of
    mirrored about zero, and zero is still a level because z is an
    integer.  This is the usual round-to-nearest baseline of weight
    quantization, with one scale and one zero point per row.

    Parameters
    ----------
    w : array_like
        Weights, a vector or a matrix whose rows are quantized separately.
    bits : float
        Bit-width b with ``round(2**b) >= 2`` and b <= 32.

    Returns
    -------
    ndarray
        Quantized weights, same shape; a row of zeros stays zero.

    Raises
    ------
    InstrumentArgumentError
        If ``w`` is a scalar or ``bits`` is out of range.

    Examples
    --------
    Two bits, range [-1, 2]: s = 1, z = 1, four levels {-1, 0, 1, 2}:

    >>> minmax_quantize([-1.0, -0.4, 0.3, 0.7, 2.0], 2)
    array([-1.,  0.,  0.,  1.,  2.])
    >>> np.unique(minmax_quantize(np.linspace(-1, 2, 1001), 3)).size
    8
    """
    x = as_float_array(w, "weights w")
    if x.ndim == 0:
        raise InstrumentArgumentError("weights w must be a vector or matrix, got a scalar")
    if np.ndim(bits) != 0:
        raise InstrumentArgumentError(f"bit-width b must be a single number, got {bits!r}")
    b = float(_bits(bits))
    levels = float(np.rint(2.0**b))
    if levels < 2:
        raise InstrumentArgumentError(f"bit-width b must give at least 2 levels (b >= 0.585), got {bits!r}")
    lo = np.minimum(np.min(x, axis=-1, keepdims=True), 0.0)
    hi = np.maximum(np.max(x, axis=-1, keepdims=True), 0.0)
    span = hi - lo
    s = np.where(span > 0, span, 1.0) / (levels - 1.0)
    z = np.round(-lo / s)
    k = np.clip(np.round(x / s) + z, 0.0, levels - 1.0)
    return (k - z) * s + 0.0


def ternary_quantize(w):
    """BitNet b1.58 absmean ternary quantizer (``eq-11-6`` at b = log2 3).

    ``s = mean(|w|)`` over the whole tensor, then
    ``q = clip(round(w / s), -1, 1) * s``: weights with |w| < s/2 become 0,
    the rest +-s.  An all-zero tensor stays zero.

    Parameters
    ----------
    w : array_like
        Weights (one tensor; the scale is shared).

    Returns
    -------
    ndarray
        Values in {-s, 0, +s}.

    Examples
    --------
    >>> ternary_quantize([-2.0, -0.3, 0.1, 0.6, 1.6])
    array([-0.92,  0.  ,  0.  ,  0.92,  0.92])
    """
    x = as_float_array(w, "weights w")
    scale = float(np.mean(np.abs(x))) if x.size else 0.0
    if scale == 0.0:
        return scalar_or_array(np.zeros_like(x), w)
    q = np.clip(np.round(x / scale), -1.0, 1.0) * scale + 0.0  # + 0.0 turns -0 into 0
    return scalar_or_array(q, w)


def quantize_per_tensor(w, bits, rotate=False):
    """Quantize with a per-tensor max-abs clip, optionally in a Hadamard basis.

    The midrise grid of :func:`uniform_quantize_midrise` with
    ``c = max|w|``.  With ``rotate=True`` the last axis is rotated by
    :func:`hadamard_rotate` first, quantized with ``c = max|rotated|`` and
    rotated back, which is what incoherence processing (QuIP#, QuaRot) does
    to tame outliers (``eq-11-6``, section 11.4).

    Parameters
    ----------
    w : array_like
        Weights; with ``rotate`` the last axis must be a power of 2.
    bits : float
        Bit-width b, 0 < b <= 32.
    rotate : bool, optional
        Quantize in the rotated basis.

    Returns
    -------
    ndarray
        Reconstructed weights in the original basis.

    Examples
    --------
    >>> w = outlier_weights(4096, 8, 20.0, seed=0)
    >>> plain = relative_rmse(w, quantize_per_tensor(w, 4))
    >>> rotated = relative_rmse(w, quantize_per_tensor(w, 4, rotate=True))
    >>> bool(rotated < plain / 2)
    True
    """
    x = as_float_array(w, "weights w")
    basis = hadamard_rotate(x) if rotate else x
    peak = float(np.max(np.abs(basis))) if basis.size else 0.0
    if peak == 0.0:
        return np.zeros_like(x)
    q = uniform_quantize_midrise(basis, bits, peak)
    return hadamard_rotate(q) if rotate else q


def relative_rmse(w, q):
    """Relative RMSE ``sqrt(mean((w - q)**2)) / sqrt(mean(w**2))`` (``eq-11-6``).

    Parameters
    ----------
    w : array_like
        Original weights (not all zero).
    q : array_like
        Quantized weights, broadcastable to ``w``.

    Returns
    -------
    float
        Error relative to the weights' RMS.

    Raises
    ------
    InstrumentArgumentError
        If ``w`` is empty or all zero, or the shapes do not broadcast.

    Examples
    --------
    >>> relative_rmse([3.0, -4.0], [3.0, -3.0])
    0.2
    """
    x = as_float_array(w, "weights w")
    y = as_float_array(q, "quantized weights q")
    try:
        diff = np.broadcast_arrays(x, y)
    except ValueError:
        raise InstrumentArgumentError(
            f"weights w {x.shape} and q {y.shape} must have broadcastable shapes"
        ) from None
    power = float(np.mean(x**2)) if x.size else 0.0
    if power == 0.0:
        raise InstrumentArgumentError("weights w must be non-empty and not all zero")
    return float(np.sqrt(np.mean((diff[0] - diff[1]) ** 2) / power))


def weight_storage_gb(params, bits):
    """Weight storage ``P * b / 8 / 1e9`` gigabytes (``eq-11-6``: b/8 bytes per parameter).

    Parameters
    ----------
    params : float or array_like
        Parameter count P > 0.
    bits : float or array_like
        Bits per weight b > 0 (1.58 allowed: the entropy of a ternary weight).

    Returns
    -------
    float or ndarray
        Gigabytes (1 GB = 1e9 bytes).

    Raises
    ------
    InstrumentArgumentError
        If ``params`` or ``bits`` is not > 0.

    Examples
    --------
    >>> weight_storage_gb(70e9, 2)
    17.5
    >>> weight_storage_gb(70e9, [16, 4])
    array([140.,  35.])
    """
    p = check_positive(params, "parameter count P")
    b = check_positive(bits, "bit-width b")
    return scalar_or_array(p * b / 8.0 / 1e9, params, bits)


def regime(bits):
    """Which quality regime a bit-width falls in (section 11.4, ``eq-11-6``).

    * ``b >= 4``: ``"nearly free"`` (GPTQ/AWQ/NF4 territory)
    * ``3 <= b < 4``: ``"costly"`` (error visibly rises)
    * ``b < 3``: ``"only with rotation and codebooks"`` (QuIP#, TurboQuant)

    Parameters
    ----------
    bits : float or array_like
        Bit-width b > 0.

    Returns
    -------
    str or ndarray of str
        One of :data:`REGIMES`.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` is not > 0.

    Examples
    --------
    >>> regime(4), regime(3.5), regime(1.58)
    ('nearly free', 'costly', 'only with rotation and codebooks')
    """
    b = check_positive(bits, "bit-width b")
    free, costly, rotation = REGIMES
    labels = np.where(
        b >= REGIME_THRESHOLDS[free],
        free,
        np.where(b >= REGIME_THRESHOLDS[costly], costly, rotation),
    )
    if np.ndim(bits) == 0:
        return str(labels)
    return labels


