"""Low-precision number formats for weights: FP8, FP4 and block scales (section 11.4, ``eq-11-6``).

Glossary of symbols
-------------------
b : bits per element
b_eff : effective bits per weight, ``b + scale bits / B`` (scales counted)
B : block (group) size, the number of weights that share one scale
a : a block's largest magnitude, ``max |w|`` over the block
X : the scale a block's elements are multiplied by
P : parameter count of a tensor (a per-tensor scale adds ``32 / P`` bits)

Element formats, as their bit layouts define them (sign bit apart):

* **E2M1** (FP4): 2 exponent bits, bias 1, 1 mantissa bit, no infinity or
  NaN: magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6.
* **E4M3** (FP8, the OCP 8-bit float): 4 exponent bits, bias 7, 3 mantissa
  bits, subnormals down to ``2**-9``; the all-ones pattern S.1111.111 is NaN
  and there is no infinity, so the largest value is ``1.75 * 2**8 = 448``.
* **E8M0**: an unsigned 8-bit power of two, ``2**(e - 127)``, used only as
  a scale.

Conversions round to nearest, ties to an even mantissa, and saturate at the
largest finite value.

Weight formats (:data:`FORMATS`), each with its effective bits:

==============  ==============================================  ====  =========================
name            elements and scale                              B     b_eff
==============  ==============================================  ====  =========================
INT4, g128      integers -7..7, FP16 scale ``a / 7``            128   4 + 16/128 = 4.125
MXFP4           E2M1, E8M0 scale ``2**(floor(log2 a) - 2)``     32    4 + 8/32 = 4.25
NVFP4           E2M1, E4M3 scale ``~ a / 6``, FP32 per tensor    16    4 + 8/16 = 4.5 (+ 32/P)
NF4             QLoRA's 16 normal-quantile levels, FP32 ``a``   64    4 + 32/64 = 4.5
FP8 E4M3        E4M3, FP32 scale ``a / 448`` per tensor          P     8 (+ 32/P)
==============  ==============================================  ====  =========================

Their errors on Gaussian weights (:func:`format_error_gaussian`) are
measured by seeded Monte Carlo, with the standard error stated: a block's
scale depends on the block's own largest weight, which makes the exact
integral of ``eq-11-6`` awkward, while a quarter of a million samples pin the
error to a fraction of a percent.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import Callable, NamedTuple

import numpy as np

from ._validate import as_float_array, check_positive, check_positive_integer
from .errors import InstrumentArgumentError

__all__ = [
    "e2m1_values",
    "e4m3_values",
    "nf4_levels",
    "round_to_values",
    "quantize_e2m1",
    "quantize_e4m3",
    "e8m0_scale",
    "nvfp4_scales",
    "int4_quantize",
    "mxfp4_quantize",
    "nvfp4_quantize",
    "nf4_quantize",
    "fp8_quantize",
    "WeightFormat",
    "FORMATS",
    "FormatError",
    "format_error_gaussian",
    "MC_SIZE",
    "MC_SEED",
]

E2M1_MAX = 6.0
"""Largest E2M1 magnitude."""

E4M3_MAX = 448.0
"""Largest E4M3 magnitude (S.1111.110)."""

NF4_OFFSET = 0.9677083
"""QLoRA's outermost quantile, the mean of ``1 - 1/(2*15)`` and ``1 - 1/(2*16)``."""

MC_SIZE = 2**18
"""Gaussian weights drawn for :func:`format_error_gaussian` (one tensor)."""

MC_SEED = 0
"""Seed of those weights."""

_CHUNK = 128  # a multiple of every block size: chunks are independent samples


def _minifloat_magnitudes(exp_bits, man_bits, bias, nan_at_top):
    """Non-negative values of a small float format, in code order (code = e * 2**m + m)."""
    values = []
    for e in range(2**exp_bits):
        for m in range(2**man_bits):
            if e == 0:
                values.append(m / 2**man_bits * 2.0 ** (1 - bias))
            else:
                values.append((1 + m / 2**man_bits) * 2.0 ** (e - bias))
    if nan_at_top:
        values.pop()  # the all-ones code is NaN
    return np.array(values)


_E2M1 = _minifloat_magnitudes(2, 1, 1, nan_at_top=False)
_E4M3 = _minifloat_magnitudes(4, 3, 7, nan_at_top=True)


def e2m1_values():
    """The 8 non-negative magnitudes of FP4 E2M1, in code order (section 11.4).

    Returns
    -------
    ndarray
        ``[0, 0.5, 1, 1.5, 2, 3, 4, 6]``; with the sign bit, 15 distinct values.

    Examples
    --------
    >>> e2m1_values()
    array([0. , 0.5, 1. , 1.5, 2. , 3. , 4. , 6. ])
    """
    return _E2M1.copy()


def e4m3_values():
    """The 127 non-negative finite magnitudes of FP8 E4M3, in code order (section 11.4).

    Code ``8 e + m`` is ``m / 8 * 2**-6`` for e = 0 (subnormals) and
    ``(1 + m / 8) * 2**(e - 7)`` otherwise; code 127 (e = 15, m = 7) is NaN.

    Returns
    -------
    ndarray
        From 0 through ``2**-9`` (smallest subnormal) and ``2**-6`` (smallest
        normal) up to 448.

    Examples
    --------
    >>> v = e4m3_values()
    >>> v.size, float(v[1]), float(v[8]), float(v[-1])
    (127, 0.001953125, 0.015625, 448.0)
    """
    return _E4M3.copy()


def nf4_levels():
    """QLoRA's 16 NormalFloat (NF4) levels on [-1, 1] (section 11.4).

    Quantiles of N(0, 1): 8 positive ones at probabilities evenly spaced
    from ``NF4_OFFSET`` down to 0.5 (excluded), 7 negative ones the same way,
    and an exact zero; then all are divided by the largest.  The levels are
    asymmetric (8 above zero, 7 below) so that zero is one of them.

    Returns
    -------
    ndarray
        16 ascending levels from -1 to 1.

    Examples
    --------
    >>> nf4_levels()[[0, 7, 8, 15]].round(4)
    array([-1.    ,  0.    ,  0.0796,  1.    ])
    """
    inv = NormalDist().inv_cdf
    positive = [inv(p) for p in np.linspace(NF4_OFFSET, 0.5, 9)[:-1]]
    negative = [-inv(p) for p in np.linspace(NF4_OFFSET, 0.5, 8)[:-1]]
    values = np.sort(np.array(positive + [0.0] + negative))
    return values / values.max()


def _finite(x, label):
    arr = as_float_array(x, label)
    if not np.all(np.isfinite(arr)):
        raise InstrumentArgumentError(f"{label} must be finite")
    return arr


def round_to_values(x, magnitudes):
    """Round to the nearest of a format's magnitudes, ties to even code, saturating.

    ``|x|`` goes to the nearest entry of ``magnitudes`` (ascending, in code
    order, starting at 0); a tie goes to the entry with the even index,
    which for a float format is the even mantissa (round-to-nearest-even);
    beyond the largest entry it saturates.  The sign is kept; -0 becomes 0.

    Parameters
    ----------
    x : float or array_like
        Values, finite.
    magnitudes : array_like
        Ascending non-negative magnitudes, the first 0.

    Returns
    -------
    float or ndarray
        Rounded values, same shape.

    Raises
    ------
    InstrumentArgumentError
        If ``x`` is not finite or ``magnitudes`` is not ascending from 0.

    Examples
    --------
    >>> round_to_values([0.25, 0.75, 2.5, 5.0, -7.0], e2m1_values())
    array([ 0.,  1.,  2.,  4., -6.])
    """
    v = _finite(x, "values x")
    grid = as_float_array(magnitudes, "magnitudes")
    if grid.ndim != 1 or grid.size < 2 or grid[0] != 0.0 or np.any(np.diff(grid) <= 0):
        raise InstrumentArgumentError("magnitudes must be an ascending vector starting at 0")
    a = np.abs(v)
    hi = np.clip(np.searchsorted(grid, a), 1, grid.size - 1)
    lo = hi - 1
    below, above = a - grid[lo], grid[hi] - a
    pick_hi = (above < below) | ((above == below) & (hi % 2 == 0))
    rounded = np.where(a >= grid[-1], grid[-1], np.where(pick_hi, grid[hi], grid[lo]))
    out = np.copysign(rounded, v) + 0.0
    return float(out) if np.ndim(x) == 0 else out


def quantize_e2m1(x):
    """Round to FP4 E2M1, saturating at +-6 (section 11.4).

    Parameters
    ----------
    x : float or array_like
        Values (already divided by their scale), finite.

    Returns
    -------
    float or ndarray
        Values in ``+-{0, 0.5, 1, 1.5, 2, 3, 4, 6}``.

    Examples
    --------
    >>> quantize_e2m1([1.2, 1.25, 3.6, 9.0])
    array([1., 1., 4., 6.])
    """
    return round_to_values(x, _E2M1)


def quantize_e4m3(x):
    """Round to FP8 E4M3, saturating at +-448 (section 11.4).

    Parameters
    ----------
    x : float or array_like
        Values, finite.

    Returns
    -------
    float or ndarray
        E4M3 values.

    Examples
    --------
    Between 256 and 448 the step is 32, so 300 rounds to 288; 1000 saturates:

    >>> quantize_e4m3([0.1, 300.0, 1000.0, 2.0**-10]).tolist()
    [0.1015625, 288.0, 448.0, 0.0]
    """
    return round_to_values(x, _E4M3)


def e8m0_scale(amax, emax_elem=2):
    """MX shared scale: ``2**(floor(log2 a) - emax_elem)``, an E8M0 power of two (section 11.4).

    The OCP MX rule: the block's largest magnitude a sets the exponent,
    less the largest exponent of the element format (2 for E2M1, whose top
    value is ``1.5 * 2**2``).  Then ``a / X`` lies in [4, 8): the largest
    element lands on 4 or 6, or saturates at 6 when ``a / X > 6``.  The
    exponent is kept within E8M0's range [-127, 127]; a block of zeros gets
    the smallest scale.

    Parameters
    ----------
    amax : float or array_like
        Largest magnitude of each block, >= 0.
    emax_elem : int, optional
        Exponent of the element format's largest normal (default 2, E2M1).

    Returns
    -------
    float or ndarray
        Scales X, powers of two.

    Raises
    ------
    InstrumentArgumentError
        If ``amax`` is negative or not finite.

    Examples
    --------
    >>> e8m0_scale([6.0, 7.9, 8.0, 0.3])
    array([1.    , 1.    , 2.    , 0.0625])
    """
    a = _finite(amax, "block maximum a")
    if np.any(a < 0):
        raise InstrumentArgumentError("block maximum a must be >= 0")
    _, exp = np.frexp(np.where(a > 0, a, 1.0))  # a = m * 2**exp, m in [0.5, 1)
    shared = np.where(a > 0, exp - 1 - emax_elem, -127)
    scale = np.ldexp(1.0, np.clip(shared, -127, 127).astype(int))
    return float(scale) if np.ndim(amax) == 0 else scale


def nvfp4_scales(amax, tensor_amax):
    """NVFP4's two scales: an FP32 one per tensor and an E4M3 one per block (section 11.4).

    The tensor scale ``t = A / (6 * 448)`` (A the tensor's largest magnitude)
    maps every block scale into E4M3's range; each block then stores
    ``quantize_e4m3(a / (6 t))``, so its scale is that E4M3 value times t,
    close to ``a / 6``: the block's largest weight lands near the top E2M1
    value.

    Parameters
    ----------
    amax : float or array_like
        Largest magnitude of each block, >= 0.
    tensor_amax : float
        Largest magnitude of the tensor, > 0.

    Returns
    -------
    tuple of (float, float or ndarray)
        ``(t, X)``: the tensor scale and the effective block scales.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range.

    Examples
    --------
    >>> t, x = nvfp4_scales([2.0, 1.0], 2.0)
    >>> (x * 6).round(6)
    array([2., 1.])
    """
    a = _finite(amax, "block maximum a")
    if np.any(a < 0):
        raise InstrumentArgumentError("block maximum a must be >= 0")
    top = float(check_positive(tensor_amax, "tensor maximum A"))
    t = float(np.float32(top / (E2M1_MAX * E4M3_MAX)))
    return t, quantize_e4m3(a / (E2M1_MAX * t)) * t


def _blocks(w, block, label):
    x = _finite(w, "weights w")
    if x.ndim == 0:
        raise InstrumentArgumentError("weights w must be a vector or matrix, got a scalar")
    size = int(check_positive_integer(block, label))
    if x.shape[-1] % size:
        raise InstrumentArgumentError(
            f"last axis length of w ({x.shape[-1]}) must be a multiple of the {label} ({size})"
        )
    return x.reshape(*x.shape[:-1], x.shape[-1] // size, size)


def _scaled(blocks, scale, rounder):
    safe = np.where(scale > 0, scale, 1.0)
    return rounder(blocks / safe) * safe


def int4_quantize(w, group=128):
    """INT4 with one FP16 scale per group: integers -7..7 times ``a / 7`` (section 11.4).

    Symmetric round-to-nearest: the scale ``X = a / 7`` is stored in FP16
    (rounded to it), the codes are ``clip(round(w / X), -7, 7)``.  The code
    -8 is not used, like the mid-tread grid's spare code of ``eq-11-6``.
    Effective bits ``4 + 16 / group``.

    Parameters
    ----------
    w : array_like
        Weights; the last axis length must be a multiple of ``group``.
    group : int, optional
        Group size (default 128).

    Returns
    -------
    ndarray
        Quantized weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If the weights are not finite or the shapes do not fit.

    Examples
    --------
    >>> int4_quantize([7.0, 3.4, -1.6, 0.2], group=4)
    array([ 7.,  3., -2.,  0.])
    """
    blocks = _blocks(w, group, "group size")
    scale = (np.max(np.abs(blocks), axis=-1, keepdims=True) / 7.0).astype(np.float16).astype(float)
    q = _scaled(blocks, scale, lambda v: np.clip(np.round(v), -7.0, 7.0))
    return q.reshape(np.shape(w)) + 0.0


def mxfp4_quantize(w, block=32):
    """MXFP4: E2M1 elements with one E8M0 power-of-two scale per block (section 11.4).

    ``X = e8m0_scale(a)`` per block, elements ``quantize_e2m1(w / X)``.
    Effective bits ``4 + 8 / block`` (4.25 at the standard block of 32).

    Parameters
    ----------
    w : array_like
        Weights; the last axis length must be a multiple of ``block``.
    block : int, optional
        Block size (default 32).

    Returns
    -------
    ndarray
        Quantized weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If the weights are not finite or the shapes do not fit.

    Examples
    --------
    The block's largest value 7 sets X = 1 and saturates at 6:

    >>> mxfp4_quantize([7.0, 2.6, -0.3, 0.7], block=4)
    array([ 6. ,  3. , -0.5,  0.5])
    """
    blocks = _blocks(w, block, "block size")
    scale = e8m0_scale(np.max(np.abs(blocks), axis=-1, keepdims=True))
    return _scaled(blocks, scale, quantize_e2m1).reshape(np.shape(w))


def nvfp4_quantize(w, block=16):
    """NVFP4: E2M1 elements, an E4M3 scale per block and an FP32 scale per tensor (section 11.4).

    Scales from :func:`nvfp4_scales`, elements ``quantize_e2m1(w / X)``.
    Effective bits ``4 + 8 / block`` (4.5 at the standard block of 16) plus
    32 bits for the whole tensor.

    Parameters
    ----------
    w : array_like
        Weights (one tensor); the last axis length must be a multiple of ``block``.
    block : int, optional
        Block size (default 16).

    Returns
    -------
    ndarray
        Quantized weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If the weights are not finite or the shapes do not fit.

    Examples
    --------
    >>> nvfp4_quantize([7.0, 2.6, -0.3, 0.7], block=4).round(3)
    array([ 7.   ,  2.333, -0.583,  0.583])
    """
    blocks = _blocks(w, block, "block size")
    amax = np.max(np.abs(blocks), axis=-1, keepdims=True)
    top = float(np.max(amax)) if amax.size else 0.0
    if top == 0.0:
        return np.zeros(np.shape(w))
    _, scale = nvfp4_scales(amax, top)
    return _scaled(blocks, scale, quantize_e2m1).reshape(np.shape(w))


def nf4_quantize(w, block=64):
    """NF4 (QLoRA): the nearest of 16 normal-quantile levels times the block's absmax (section 11.4).

    ``X = a`` per block (kept in FP32), elements the nearest of
    :func:`nf4_levels` to ``w / X``.  Effective bits ``4 + 32 / block``
    (4.5 at QLoRA's block of 64; QLoRA's double quantization of the scales
    brings it down to about 4.127).

    Parameters
    ----------
    w : array_like
        Weights; the last axis length must be a multiple of ``block``.
    block : int, optional
        Block size (default 64).

    Returns
    -------
    ndarray
        Quantized weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If the weights are not finite or the shapes do not fit.

    Examples
    --------
    >>> nf4_quantize([2.0, 1.0, 0.0, -0.5], block=4).round(4)
    array([ 2.    ,  0.8814,  0.    , -0.5689])
    """
    blocks = _blocks(w, block, "block size")
    scale = np.max(np.abs(blocks), axis=-1, keepdims=True).astype(np.float32).astype(float)
    levels = nf4_levels()
    edges = 0.5 * (levels[:-1] + levels[1:])
    return _scaled(blocks, scale, lambda v: levels[np.searchsorted(edges, v)]).reshape(np.shape(w))


def fp8_quantize(w):
    """FP8 E4M3 with one FP32 scale per tensor, ``X = A / 448`` (section 11.4).

    Parameters
    ----------
    w : array_like
        Weights (one tensor).

    Returns
    -------
    ndarray
        Quantized weights, same shape.

    Raises
    ------
    InstrumentArgumentError
        If the weights are not finite.

    Examples
    --------
    >>> fp8_quantize([448.0, 300.0, 0.1]).tolist()
    [448.0, 288.0, 0.1015625]
    """
    x = _finite(w, "weights w")
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top == 0.0:
        return np.zeros_like(x)
    scale = float(np.float32(top / E4M3_MAX))
    return quantize_e4m3(x / scale) * scale


class WeightFormat(NamedTuple):
    """A weight format and what it costs per weight.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"MXFP4"``.
    elements : str
        The element type and its scale, in words.
    element_bits : int
        Bits per element.
    block : int or None
        Weights per scale (None: one scale for the whole tensor).
    scale_bits : int
        Bits of each block scale (0 if only a tensor scale).
    tensor_scale_bits : int
        Bits of a per-tensor scale (0 if none).
    quantize : callable
        ``quantize(w) -> q`` for one tensor (last axis a multiple of 128).
    """

    name: str
    elements: str
    element_bits: int
    block: int | None
    scale_bits: int
    tensor_scale_bits: int
    quantize: Callable

    def effective_bits(self, params=None):
        """Bits per weight with the scales counted (section 11.4).

        ``element_bits + scale_bits / block``, plus ``tensor_scale_bits / P``
        when the tensor's parameter count P is given.

        Examples
        --------
        >>> [f.effective_bits() for f in FORMATS]
        [4.125, 4.25, 4.5, 4.5, 8.0]
        """
        bits = float(self.element_bits)
        if self.block:
            bits += self.scale_bits / self.block
        if params is not None:
            bits += self.tensor_scale_bits / float(check_positive(params, "parameter count P"))
        return bits


FORMATS = (
    WeightFormat("INT4, g128", "integers −7…7, FP16 scale per 128", 4, 128, 16, 0, int4_quantize),
    WeightFormat("MXFP4", "E2M1, E8M0 scale per 32", 4, 32, 8, 0, mxfp4_quantize),
    WeightFormat("NVFP4", "E2M1, E4M3 scale per 16, FP32 per tensor", 4, 16, 8, 32, nvfp4_quantize),
    WeightFormat("NF4", "16 normal quantiles, FP32 absmax per 64", 4, 64, 32, 0, nf4_quantize),
    WeightFormat("FP8 E4M3", "E4M3, FP32 scale per tensor", 8, None, 0, 32, fp8_quantize),
)
"""The named formats of the bit-width instrument, in order of effective bits."""


class FormatError(NamedTuple):
    """Monte Carlo error of a format on Gaussian weights.

    Attributes
    ----------
    name : str
        The format.
    bits : float
        Its effective bits per weight.
    rmse : float
        Relative RMSE, ``sqrt(mean((w - q)**2)) / sigma``.
    standard_error : float
        Standard error of ``rmse`` from the sampling.
    size, seed : int
        Sample size and seed.
    """

    name: str
    bits: float
    rmse: float
    standard_error: float
    size: int
    seed: int


def format_error_gaussian(fmt, size=MC_SIZE, seed=MC_SEED):
    """Relative RMSE of a weight format on N(0, 1) weights, by seeded Monte Carlo (``eq-11-6``).

    Draws ``size`` weights (one tensor) with ``numpy.random.default_rng(seed)``,
    quantizes them with ``fmt.quantize`` and takes ``sqrt(mean((w - q)**2))``
    (sigma = 1); the result is remembered, so the page, the prose and the
    tests share one draw.  The squared errors are averaged over chunks of 128 weights,
    each of which holds whole blocks of every format, so the chunk means are
    independent; their spread gives the standard error of the mean squared
    error, and the delta method that of its square root:
    ``se(rmse) = se(mse) / (2 rmse)``.

    Parameters
    ----------
    fmt : WeightFormat
        One of :data:`FORMATS` (or any with a ``quantize``).
    size : int, optional
        Number of weights, a multiple of 128 and at least 256.
    seed : int, optional
        Seed.

    Returns
    -------
    FormatError
        ``(name, bits, rmse, standard_error, size, seed)``.

    Raises
    ------
    InstrumentArgumentError
        If ``size`` is not a multiple of 128 of at least 256.

    Examples
    --------
    >>> e = format_error_gaussian(FORMATS[1], size=2**14)
    >>> e.name, e.bits, bool(0.09 < e.rmse < 0.12), bool(e.standard_error < 0.002)
    ('MXFP4', 4.25, True, True)
    """
    n = int(check_positive_integer(size, "sample size"))
    if n % _CHUNK or n < 2 * _CHUNK:
        raise InstrumentArgumentError(f"sample size must be a multiple of {_CHUNK} of at least {2 * _CHUNK}, got {n}")
    return _format_error(fmt, n, int(seed))


@lru_cache(maxsize=64)
def _format_error(fmt, n, seed):
    w = np.random.default_rng(seed).standard_normal(n)
    chunks = ((w - fmt.quantize(w)) ** 2).reshape(-1, _CHUNK).mean(axis=1)
    mse = float(chunks.mean())
    se_mse = float(chunks.std(ddof=1) / math.sqrt(chunks.size))
    rmse = math.sqrt(mse)
    return FormatError(fmt.name, fmt.effective_bits(), rmse, se_mse / (2.0 * rmse), n, seed)
