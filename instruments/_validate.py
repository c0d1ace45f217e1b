"""Argument checks and the scalar-in / scalar-out convention (internal).

Each public function converts its numeric arguments with one of the
``check_*`` helpers below (which raise
:class:`~instruments.errors.InstrumentArgumentError` with a message naming the
quantity and the offending value) and finally passes its result through
:func:`scalar_or_array`, so that scalar inputs give a Python ``float`` and
array inputs give a ``numpy.ndarray``.
"""

import numpy as np

from .errors import InstrumentArgumentError


def _format_value(x):
    """Show a number the way a reader typed it: ``-3`` rather than ``-3.0``."""
    x = float(x)
    if np.isfinite(x) and x.is_integer():
        return str(int(x))
    return repr(x)


def as_float_array(value, label):
    """Convert a real number or array of real numbers to a float ndarray."""
    raw = np.asarray(value)
    if raw.dtype.kind not in "biuf":
        raise InstrumentArgumentError(
            f"{label} must be a real number or an array of real numbers, got {value!r}"
        )
    return raw.astype(float)


def _raise_on(arr, bad, label, condition):
    if np.any(bad):
        first = arr[bad].flat[0]
        raise InstrumentArgumentError(
            f"{label} must be {condition}, got {_format_value(first)}"
        )


def check_positive_integer(value, label):
    """Return ``value`` as floats after checking every entry is an integer >= 1."""
    arr = as_float_array(value, label)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(arr) & (arr >= 1) & (arr == np.floor(arr)))
    _raise_on(arr, bad, label, "a positive integer")
    return arr


def check_positive(value, label):
    """Return ``value`` as floats after checking every entry is finite and > 0."""
    arr = as_float_array(value, label)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(arr) & (arr > 0))
    _raise_on(arr, bad, label, "> 0")
    return arr


def check_at_most(arr, limit, label, reason):
    """Raise if any entry of an already-checked array exceeds ``limit``."""
    _raise_on(arr, arr > limit, label, f"<= {_format_value(limit)} {reason}")
    return arr


def scalar_or_array(result, *inputs):
    """Return a Python float when every input was a scalar, else an ndarray."""
    if all(np.ndim(x) == 0 for x in inputs):
        return float(result)
    return np.asarray(result, dtype=float)


def check_bits(bits, limit, reason):
    """Check a bit-width: finite, > 0 and at most ``limit``."""
    arr = check_positive(bits, "bit-width b")
    return check_at_most(arr, limit, "bit-width b", reason)


def map_scalar(func, *arrays):
    """Apply a scalar function elementwise over broadcast float arrays."""
    return np.vectorize(func, otypes=[float])(*arrays)
