"""Token mixers computed two ways: as a recurrence and as a masked matrix product.

Symbols
-------
n : sequence length (tokens)
N : state size of the SSM
d : head width of linear attention
a : per-step scalar decay of the SSM, 0 < a_t <= 1 (the ``A`` of SSD, EQ 11.4)
B, C : per-step input and output projections of the SSM, shape (n, N)
Q, K, V : queries, keys, values, shape (n, d)

Each pair of functions computes the same outputs: the recurrence carries a fixed-size
state through the sequence (linear in n), the matrix form builds an n-by-n mixing
matrix (quadratic in n). The code cells time them; the tests check they agree.
"""

from __future__ import annotations

import numpy as np

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
    """Selective SSM with scalar decay, as a scan: h_t = a_t h_{t-1} + B_t x_t, y_t = C_t . h_t.

    This is the linear form of EQ 11.4 (and EQ 11.2-11.3 with a scalar-times-identity
    transition): one pass over the sequence with an N-number state, O(n N) work.

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


def ssd_quadratic(x, a, B, C):
    """The same operator in its masked "attention" form: y = (L o (C B^T)) x  (EQ 11.4).

    ``L[t, s]`` is the product of the decays a_{s+1} ... a_t for s <= t and 0 above
    the diagonal: a 1-semiseparable mask. Builds n-by-n matrices: O(n^2 N) work.

    Examples
    --------
    >>> ssd_quadratic([1.0, 0.0], [0.5, 0.5], [[1.0], [1.0]], [[1.0], [1.0]]).tolist()
    [1.0, 0.5]
    """
    x, a, B, C = _check_ssm(x, a, B, C)
    log_decay = np.cumsum(np.log(a))
    gaps = log_decay[:, None] - log_decay[None, :]
    causal = np.tril(np.ones((x.shape[0], x.shape[0]), dtype=bool))
    L = np.where(causal, np.exp(np.where(causal, gaps, 0.0)), 0.0)
    return (L * (C @ B.T)) @ x


def feature_map(x):
    """phi(x) = elu(x) + 1, the positive feature map of Katharopoulos et al. (2020)."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def _check_qkv(Q, K, V):
    Q, K, V = (np.asarray(v, dtype=float) for v in (Q, K, V))
    if Q.ndim != 2 or Q.shape != K.shape or V.ndim != 2 or V.shape[0] != Q.shape[0]:
        raise InstrumentArgumentError(
            f"expected Q, K of shape (n, d) and V of shape (n, d_v); got {Q.shape}, {K.shape}, {V.shape}"
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
    """The same outputs by reassociation (EQ 11.5): running sums S_i and z_i.

    S_i = sum_{j<=i} phi(k_j) v_j^T (a d-by-d_v matrix), z_i = sum_{j<=i} phi(k_j);
    output_i = phi(q_i)^T S_i / phi(q_i)^T z_i. Fixed-size state, O(n d d_v) work.

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
