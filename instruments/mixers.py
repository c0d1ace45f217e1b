"""Token mixers computed two ways: as a recurrence and as a masked matrix product.

Symbols (as in the chapter)
-------
n : sequence length (tokens)
N : state size of the SSM, per channel
d_h : head width of linear attention
x_t : the scalar input of one SSM channel at step t; ``x`` stacks them, shape (n,)
u_t : the token vector in R^d from which B_t, C_t and Delta_t are computed (``eq-11-3``)
Delta_t : the SSM step; with A < 0 it sets the decay a_t = exp(Delta_t A)
a : per-step scalar decay of the SSM, 0 < a_t <= 1 (the ``a_t`` of SSD, ``eq-11-4``)
B_t, C_t : write and read vectors of the SSM, columns in R^N, y_t = C_t^T h_t;
    ``B`` and ``C`` stack them as rows, shape (n, N)
Q, K, V : queries, keys, values, shape (n, d_h)

Each pair of functions computes the same outputs: the recurrence carries a fixed-size
state through the sequence (linear in n), the matrix form builds an n-by-n mixing
matrix (quadratic in n). The code cells time them; the tests check they agree.
"""

from __future__ import annotations

import numpy as np

from instruments._validate import as_float_array
from instruments.errors import InstrumentArgumentError


def _check_ssm(x, a, B, C):
    x, a, B, C = (np.asarray(v, dtype=float) for v in (x, a, B, C))
    n = x.shape[0]
    if x.ndim != 1 or a.shape != (n,) or B.ndim != 2 or B.shape[0] != n or C.shape != B.shape:
        raise InstrumentArgumentError(
            f"expected x and a of shape (n,) and B, C of shape (n, N); got x {x.shape}, "
            f"a {a.shape}, B {B.shape}, C {C.shape}"
        )
    if np.any(a <= 0) or np.any(a > 1):
        raise InstrumentArgumentError("decays a must lie in (0, 1]")
    return x, a, B, C


def ssd_recurrent(x, a, B, C):
    """Selective SSM with scalar decay, as a scan: h_t = a_t h_{t-1} + B_t x_t, y_t = C_t^T h_t.

    This is the linear form of ``eq-11-4`` (and ``eq-11-2``, ``eq-11-3`` with a scalar-times-identity
    transition, a_t = exp(Delta_t A), and Delta_t absorbed into B_t): one pass over the
    sequence with an N-number state, O(n N) work. ``x``, ``a`` have shape (n,) and
    ``B``, ``C`` shape (n, N), one row per step; returns ``y`` of shape (n,).

    Examples
    --------
    >>> ssd_recurrent([1.0, 0.0], [0.5, 0.5], [[1.0], [1.0]], [[1.0], [1.0]]).tolist()
    [1.0, 0.5]
    """
    x, a, B, C = _check_ssm(x, a, B, C)
    h = np.zeros(B.shape[1])
    y = np.empty_like(x)
    for t in range(x.shape[0]):
        h = a[t] * h + B[t] * x[t]
        y[t] = C[t] @ h
    return y


def ssd_quadratic(x, a, B, C, block=64):
    """The same operator in its masked "attention" form: y = (L o (C B^T)) x  (``eq-11-4``).

    ``L[t, s]`` is the product of the decays a_{s+1} ... a_t for s <= t and 0 above
    the diagonal: a 1-semiseparable mask. The n-by-n matrix ``L o (C B^T)`` is formed
    ``block`` rows at a time, every entry of each row (those above the diagonal masked
    to zero), and applied to ``x``: O(n^2 N) work whatever the block, while at most
    ``block * n`` entries are held at once.

    Parameters
    ----------
    x : array_like, shape (n,)
        Inputs of one channel.
    a : array_like, shape (n,)
        Decays, 0 < a_t <= 1.
    B, C : array_like, shape (n, N)
        Write and read vectors, one row per step.
    block : int, optional
        Rows of the mixing matrix formed at a time (default 64); the output does not
        depend on it.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    InstrumentArgumentError
        If shapes disagree, a decay lies outside (0, 1] or ``block`` is not a positive
        integer.

    Examples
    --------
    >>> ssd_quadratic([1.0, 0.0], [0.5, 0.5], [[1.0], [1.0]], [[1.0], [1.0]]).tolist()
    [1.0, 0.5]
    >>> ssd_quadratic([1.0, 0.0, 2.0], [1.0, 0.5, 0.5], [[1.0]] * 3, [[1.0]] * 3, block=2).tolist()
    [1.0, 0.5, 2.25]
    """
    x, a, B, C = _check_ssm(x, a, B, C)
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise InstrumentArgumentError(f"block must be a positive integer, got {block!r}")
    n = x.shape[0]
    log_decay = np.cumsum(np.log(a))
    position = np.arange(n)
    y = np.empty(n)
    for start in range(0, n, block):
        rows = slice(start, start + block)
        mixing = np.subtract.outer(log_decay[rows], log_decay)       # log(a_{s+1} ... a_t)
        mixing[np.less.outer(position[rows], position)] = -np.inf     # s > t: masked
        np.exp(mixing, out=mixing)
        mixing *= C[rows] @ B.T
        y[rows] = mixing @ x
    return y


def feature_map(x):
    """phi(x) = elu(x) + 1, the positive feature map of Katharopoulos et al. (2020)."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def _check_qkv(Q, K, V):
    Q, K, V = (np.asarray(v, dtype=float) for v in (Q, K, V))
    if Q.ndim != 2 or Q.shape != K.shape or V.ndim != 2 or V.shape[0] != Q.shape[0]:
        raise InstrumentArgumentError(
            f"expected Q, K of shape (n, d_h) and V of shape (n, d_v); got {Q.shape}, {K.shape}, {V.shape}"
        )
    return Q, K, V


def linear_attention_masked(Q, K, V):
    """Causal linear attention the quadratic way: (mask o phi(Q) phi(K)^T) V, row-normalised.

    Examples
    --------
    >>> linear_attention_masked([[0.0]], [[0.0]], [[3.0]]).tolist()
    [[3.0]]
    """
    Q, K, V = _check_qkv(Q, K, V)
    scores = np.tril(feature_map(Q) @ feature_map(K).T)
    return (scores @ V) / scores.sum(axis=1, keepdims=True)


def linear_attention_recurrent(Q, K, V):
    """The same outputs by reassociation (``eq-11-5``): running sums S_i and z_i.

    S_i = sum_{j<=i} phi(k_j) v_j^T (a d_h-by-d_v matrix), z_i = sum_{j<=i} phi(k_j);
    output_i = phi(q_i)^T S_i / phi(q_i)^T z_i. Fixed-size state, O(n d_h d_v) work.

    Examples
    --------
    >>> linear_attention_recurrent([[0.0], [0.0]], [[0.0], [0.0]], [[3.0], [1.0]]).tolist()
    [[3.0], [2.0]]
    """
    Q, K, V = _check_qkv(Q, K, V)
    phi_q, phi_k = feature_map(Q), feature_map(K)
    S = np.zeros((Q.shape[1], V.shape[1]))
    z = np.zeros(Q.shape[1])
    out = np.empty((Q.shape[0], V.shape[1]))
    for i in range(Q.shape[0]):
        S += np.outer(phi_k[i], V[i])
        z += phi_k[i]
        out[i] = (phi_q[i] @ S) / (phi_q[i] @ z)
    return out


# ── multi-head mixers, as the GPU kernels compute them (tests/bench/measure_mixers.py) ──
#
# Leading axes broadcast: a head axis (and a batch axis, if any) sits in front of the
# token axis, so one call runs every head. Symbols: P channels per SSD head, N state
# size per head, d_k and d_v the key and value widths, H heads.


def _lead(*pairs):
    """Broadcast the leading (head) axes of (array, trailing ndim) pairs; check n agrees."""
    try:
        lead = np.broadcast_shapes(*(arr.shape[: arr.ndim - trail] for arr, trail in pairs))
    except ValueError as exc:
        raise InstrumentArgumentError(f"leading (head) axes do not broadcast: {exc}") from None
    lengths = {arr.shape[arr.ndim - trail] for arr, trail in pairs}
    if len(lengths) != 1:
        raise InstrumentArgumentError(f"all inputs need the same number of tokens n, got {sorted(lengths)}")
    return lead, lengths.pop()


def _as_arrays(names, values, min_ndims):
    arrays = []
    for name, value, ndim in zip(names, values, min_ndims):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise InstrumentArgumentError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
        arr = arr.astype(float)
        if arr.ndim < ndim:
            raise InstrumentArgumentError(f"{name} needs at least {ndim} axes, got shape {arr.shape}")
        arrays.append(arr)
    return arrays


def _check_gates(a, label, closed_at_one=True):
    high = (a > 1) if closed_at_one else (a >= 1)
    if np.any(~np.isfinite(a)) or np.any(a <= 0) or np.any(high):
        interval = "(0, 1]" if closed_at_one else "(0, 1)"
        raise InstrumentArgumentError(f"{label} must lie in {interval}")


def ssd_multihead(x, a, B, C):
    """Mamba-2's SSD with P channels per head sharing a scalar decay, as a recurrence.

    For each head, with state ``h_t`` of shape (N, P)::

        h_t = a_t h_{t-1} + B_t x_t^T,        y_t = h_t^T C_t

    which is the linear side of ``eq-11-4`` run on P channels at once: every
    channel of a head has its own N-number state but shares ``a_t``, ``B_t`` and ``C_t``.
    A layer with E·d channels in heads of P runs E·d/P such heads, holding E·d·N numbers.
    In the notation of the GPU kernel (fla's ``chunk_simple_gla``) ``C`` is the query,
    ``B`` the key, ``x`` the value and ``log a`` the gate, with scale 1.

    Parameters
    ----------
    x : array_like, shape (..., n, P)
        Inputs, P channels per head.
    a : array_like, shape (..., n)
        Scalar decay per head and step, 0 < a_t <= 1.
    B, C : array_like, shape (..., n, N)
        Write and read vectors per head and step.

    Returns
    -------
    numpy.ndarray, shape (..., n, P)
        Outputs; leading (head) axes are the broadcast of the inputs'.

    Raises
    ------
    InstrumentArgumentError
        If shapes disagree or a decay lies outside (0, 1].

    Examples
    --------
    With one channel per head this is :func:`ssd_recurrent`:

    >>> ssd_multihead([[1.0], [0.0]], [0.5, 0.5], [[1.0], [1.0]], [[1.0], [1.0]]).tolist()
    [[1.0], [0.5]]

    Two heads with different decays, broadcast over a leading axis:

    >>> ssd_multihead([[[1.0], [0.0]]], [[1.0, 1.0], [0.5, 0.5]], [[1.0], [1.0]], [[1.0], [1.0]])[:, -1].tolist()
    [[1.0], [0.5]]
    """
    x, a, B, C = _as_arrays(("x", "a", "B", "C"), (x, a, B, C), (2, 1, 2, 2))
    lead, n = _lead((x, 2), (a, 1), (B, 2), (C, 2))
    if B.shape[-1] != C.shape[-1]:
        raise InstrumentArgumentError(f"B and C need the same state size N, got {B.shape[-1]} and {C.shape[-1]}")
    _check_gates(a, "decays a")
    N, P = B.shape[-1], x.shape[-1]
    h = np.zeros(lead + (N, P))
    y = np.empty(lead + (n, P))
    for t in range(n):
        h = a[..., t, None, None] * h + B[..., t, :, None] * x[..., t, None, :]
        y[..., t, :] = np.einsum("...np,...n->...p", h, C[..., t, :])
    return y


def linear_attention_unnormalised(Q, K, V):
    """Causal linear attention with the identity feature map and no normaliser.

    ``S_t = S_{t-1} + k_t v_t^T`` (a d_k-by-d_v state per head) and ``o_t = S_t^T q_t``: the
    numerator of ``eq-11-5`` with phi(x) = x, which is also SSD (``eq-11-4``) with
    every decay a_t = 1. This is what fla's ``chunk_linear_attn(..., normalize=False)``
    computes, with the scale folded into ``Q``.

    Parameters
    ----------
    Q, K : array_like, shape (..., n, d_k)
        Queries and keys.
    V : array_like, shape (..., n, d_v)
        Values.

    Returns
    -------
    numpy.ndarray, shape (..., n, d_v)

    Raises
    ------
    InstrumentArgumentError
        If shapes disagree.

    Examples
    --------
    >>> linear_attention_unnormalised([[1.0], [1.0]], [[1.0], [2.0]], [[3.0], [1.0]]).tolist()
    [[3.0], [5.0]]
    """
    Q, K, V = _as_arrays(("Q", "K", "V"), (Q, K, V), (2, 2, 2))
    lead, n = _lead((Q, 2), (K, 2), (V, 2))
    if Q.shape[-1] != K.shape[-1]:
        raise InstrumentArgumentError(f"Q and K need the same width, got {Q.shape[-1]} and {K.shape[-1]}")
    S = np.zeros(lead + (K.shape[-1], V.shape[-1]))
    out = np.empty(lead + (n, V.shape[-1]))
    for t in range(n):
        S = S + K[..., t, :, None] * V[..., t, None, :]
        out[..., t, :] = np.einsum("...kv,...k->...v", S, Q[..., t, :])
    return out


def gated_delta_rule(Q, K, V, a, beta):
    """Gated DeltaNet's recurrence: decay, erase what the key points at, write.

    With a d_k-by-d_v state per head (section 11.3's delta rule, with decay)::

        S_t = a_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,     o_t = S_t^T q_t

    computed as fla's kernels do: decay the state, predict ``S^T k_t``, write
    ``beta_t`` times the error. With ``a_t = 1`` and ``beta_t = 0`` nothing changes;
    with a unit-norm key and ``beta_t = 1`` the state reads back ``v_t`` at ``k_t``.
    Keys are usually L2-normalised (fla's ``chunk_gated_delta_rule`` expects them so).
    Apply any query scale to ``Q`` first.

    Parameters
    ----------
    Q, K : array_like, shape (..., n, d_k)
        Queries and keys.
    V : array_like, shape (..., n, d_v)
        Values.
    a : array_like, shape (..., n)
        Decay per head and step, 0 < a_t <= 1.
    beta : array_like, shape (..., n)
        Write strength per head and step, 0 < beta_t <= 1.

    Returns
    -------
    numpy.ndarray, shape (..., n, d_v)

    Raises
    ------
    InstrumentArgumentError
        If shapes disagree or a gate lies outside (0, 1].

    Examples
    --------
    Writing 3 and then 5 at the same unit key with beta = 1 overwrites, where plain
    linear attention would add (3 + 5 = 8):

    >>> gated_delta_rule([[1.0], [1.0]], [[1.0], [1.0]], [[3.0], [5.0]], [1.0, 1.0], [1.0, 1.0]).tolist()
    [[3.0], [5.0]]
    """
    Q, K, V, a, beta = _as_arrays(("Q", "K", "V", "a", "beta"), (Q, K, V, a, beta), (2, 2, 2, 1, 1))
    lead, n = _lead((Q, 2), (K, 2), (V, 2), (a, 1), (beta, 1))
    if Q.shape[-1] != K.shape[-1]:
        raise InstrumentArgumentError(f"Q and K need the same width, got {Q.shape[-1]} and {K.shape[-1]}")
    _check_gates(a, "decays a")
    _check_gates(beta, "write strengths beta")
    S = np.zeros(lead + (K.shape[-1], V.shape[-1]))
    out = np.empty(lead + (n, V.shape[-1]))
    for t in range(n):
        k = K[..., t, :]
        S = a[..., t, None, None] * S
        error = V[..., t, :] - np.einsum("...kv,...k->...v", S, k)
        S = S + beta[..., t, None, None] * k[..., :, None] * error[..., None, :]
        out[..., t, :] = np.einsum("...kv,...k->...v", S, Q[..., t, :])
    return out


def causal_softmax_attention(Q, K, V):
    """Causal softmax attention, every head at once: softmax(mask(Q K^T)) V.

    The quadratic mixer of ``eq-11-1``: row t weights the values of tokens
    1..t by the softmax of ``q_t . k_s``. Apply the usual 1/sqrt(d_h) by scaling ``Q``.

    Parameters
    ----------
    Q, K : array_like, shape (..., n, d_h)
        Queries and keys.
    V : array_like, shape (..., n, d_v)
        Values.

    Returns
    -------
    numpy.ndarray, shape (..., n, d_v)

    Raises
    ------
    InstrumentArgumentError
        If shapes disagree.

    Examples
    --------
    The first token sees only itself; equal scores average:

    >>> causal_softmax_attention([[0.0], [0.0]], [[1.0], [1.0]], [[2.0], [4.0]]).tolist()
    [[2.0], [3.0]]
    """
    Q, K, V = _as_arrays(("Q", "K", "V"), (Q, K, V), (2, 2, 2))
    _lead((Q, 2), (K, 2), (V, 2))
    if Q.shape[-1] != K.shape[-1]:
        raise InstrumentArgumentError(f"Q and K need the same width, got {Q.shape[-1]} and {K.shape[-1]}")
    n = Q.shape[-2]
    scores = np.einsum("...td,...sd->...ts", Q, K)
    scores = np.where(np.tril(np.ones((n, n), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return np.einsum("...ts,...sv->...tv", weights, V)


# ── state tracking: the parity of a bit string read off the sign of one channel (§11.2) ──


def bit_recurrence_states(bits, on_zero=1.0, on_one=-1.0):
    """States h_1 ... h_n of the one-channel recurrence h_t = lambda_t h_{t-1}, h_0 = 1.

    Each bit x_t picks the transition: lambda_t = ``on_zero`` where x_t = 0 and
    ``on_one`` where x_t = 1. This is the recurrence of ``eq-11-3`` for one
    channel with the write term left out and the transition chosen by the input, the
    part of a selective SSM that decides what happens to the state it already holds.

    With the defaults, lambda_t = 1 - 2 x_t: a 1 flips the sign of the state and a 0
    keeps it, so h_t = (-1)^(x_1 + ... + x_t) and the sign of h_n is the parity of the
    string, exactly, at any length. With both transitions in (0, 1), where the decays
    exp(Delta_t A) of a Mamba layer always lie, h_t is a product of positive numbers:
    it shrinks but never changes sign (``numpy.signbit`` stays False even once it
    underflows to zero), so its sign carries no information about the bits.

    Parameters
    ----------
    bits : array_like of 0 and 1, shape (..., n)
        Bit strings along the last axis, n >= 1.
    on_zero, on_one : float or array_like, optional
        Finite real transitions for a 0 and for a 1 (defaults 1 and -1); they broadcast
        against ``bits``, so a shape (k, 1, 1) tries k choices on a (m, n) batch.

    Returns
    -------
    numpy.ndarray, shape broadcast(bits, on_zero, on_one)
        The states h_1 ... h_n along the last axis.

    Raises
    ------
    InstrumentArgumentError
        If ``bits`` has no axis, an empty last axis or an entry other than 0 and 1, or
        a transition is not a finite real number.

    Examples
    --------
    The sign of the last state is the parity, negative for an odd number of ones:

    >>> bit_recurrence_states([1, 0, 1, 1]).tolist()
    [-1.0, -1.0, 1.0, -1.0]

    Positive decays shrink the state and never flip it:

    >>> bit_recurrence_states([1, 0, 1, 1], on_zero=0.9, on_one=0.5).tolist()
    [0.5, 0.45, 0.225, 0.1125]
    """
    raw = np.asarray(bits)
    if raw.dtype.kind not in "biuf":
        raise InstrumentArgumentError(f"bits must be an array of 0s and 1s, got dtype {raw.dtype}")
    if raw.ndim < 1 or raw.shape[-1] < 1:
        raise InstrumentArgumentError(f"bits needs a last axis of length n >= 1, got shape {raw.shape}")
    if not np.all((raw == 0) | (raw == 1)):
        raise InstrumentArgumentError("bits must contain only 0 and 1")
    transitions = []
    for label, value in (("transition on_zero", on_zero), ("transition on_one", on_one)):
        arr = as_float_array(value, label)
        if not np.all(np.isfinite(arr)):
            raise InstrumentArgumentError(f"{label} must be finite, got {value!r}")
        transitions.append(arr)
    on_zero, on_one = transitions
    return np.cumprod(np.where(raw == 1, on_one, on_zero), axis=-1)
