"""Token-mixing cost and decode memory per layer (EQ 11.1, 11.4, 11.5).

Glossary of symbols
-------------------
n : context length (tokens), a positive integer
d : model width (channels per token), a positive integer
N : SSM state size per channel, a positive integer (typically 16-128)
k : hybrid period: one attention layer in every k layers, the other k - 1 SSM
b : bytes per stored value (``bytes_per_value``; 2 for fp16/bf16)

Counting convention
-------------------
All FLOP counts are the plain leading-order term with constant factor 1
(one multiply-accumulate counted as one operation, lower-order terms and
projections dropped):

* attention   ``n**2 * d``   (EQ 11.1: the n x n score matrix, length-d dots)
* SSM scan    ``n * d * N``  (EQ 11.1 / 11.4: n tokens update d states of size N)
* linear attn ``n * d**2``   (EQ 11.5: n tokens update a d x d running sum)

A fuller count multiplies each by a small constant (about 4 for attention:
two matmuls, 2 FLOPs per multiply-accumulate); such constants cancel in
every ratio the chapter quotes, and leaving them out makes doubling n give
exactly 4x attention and exactly 2x SSM work.

Every function broadcasts over its arguments and returns a ``float`` for
scalar inputs and an ``ndarray`` otherwise.
"""

from ._validate import check_positive, check_positive_integer, scalar_or_array

__all__ = [
    "attention_flops",
    "ssm_flops",
    "linear_attention_flops",
    "hybrid_flops",
    "kv_cache_bytes",
    "ssm_state_bytes",
    "linear_attention_state_bytes",
    "hybrid_decode_bytes",
    "attention_to_ssm_ratio",
]

_N_CTX = "context length n"
_D = "model width d"
_N_STATE = "state size N"
_K = "hybrid period k"
_BYTES = "bytes per value"


def attention_flops(n, d):
    """Token-mixing FLOPs of one softmax-attention layer, ``n**2 * d`` (EQ 11.1).

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    d : int or array_like of int
        Model width.

    Returns
    -------
    float or ndarray
        ``n**2 * d``: every one of the n x n query-key pairs costs one
        length-d dot product (constant factor 1, see the module notes).

    Raises
    ------
    InstrumentArgumentError
        If ``n`` or ``d`` is not a positive integer.

    Examples
    --------
    >>> attention_flops(1024, 4096)
    4294967296.0
    >>> attention_flops(2048, 4096) / attention_flops(1024, 4096)
    4.0
    >>> attention_flops([512, 1024], 4096)
    array([1.07374182e+09, 4.29496730e+09])
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    return scalar_or_array(n_**2 * d_, n, d)


def ssm_flops(n, d, N):
    """Token-mixing FLOPs of one selective-SSM scan, ``n * d * N`` (EQ 11.1, 11.4).

    This is the linear ("recurrent") form of the SSD operator of EQ 11.4:
    each of the n tokens updates d independent states of size N.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    d : int or array_like of int
        Model width.
    N : int or array_like of int
        State size per channel.

    Returns
    -------
    float or ndarray
        ``n * d * N`` (constant factor 1).

    Raises
    ------
    InstrumentArgumentError
        If any argument is not a positive integer.

    Examples
    --------
    >>> ssm_flops(1024, 4096, 16)
    67108864.0
    >>> ssm_flops(2048, 4096, 16) / ssm_flops(1024, 4096, 16)
    2.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    return scalar_or_array(n_ * d_ * N_, n, d, N)


def linear_attention_flops(n, d):
    """Token-mixing FLOPs of one linear-attention layer, ``n * d**2`` (EQ 11.5).

    Computing ``Q (K^T V)`` instead of ``(Q K^T) V`` updates and reads a
    d x d running sum once per token.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    d : int or array_like of int
        Model width.

    Returns
    -------
    float or ndarray
        ``n * d**2`` (constant factor 1).

    Raises
    ------
    InstrumentArgumentError
        If ``n`` or ``d`` is not a positive integer.

    Examples
    --------
    >>> linear_attention_flops(1024, 4096)
    17179869184.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    return scalar_or_array(n_ * d_**2, n, d)


def hybrid_flops(n, d, N, k):
    """Mean per-layer token-mixing FLOPs of a hybrid stack (EQ 11.1).

    One layer in every ``k`` is softmax attention and the other ``k - 1`` are
    SSM scans, so the mean cost per layer is
    ``(attention_flops(n, d) + (k - 1) * ssm_flops(n, d, N)) / k``.
    ``k = 1`` is a pure Transformer; large ``k`` approaches a pure SSM.

    Parameters
    ----------
    n, d, N : int or array_like of int
        Context length, model width and SSM state size.
    k : int or array_like of int
        Hybrid period (layers per attention layer).

    Returns
    -------
    float or ndarray
        Mean FLOPs per layer.

    Raises
    ------
    InstrumentArgumentError
        If any argument is not a positive integer.

    Examples
    --------
    >>> hybrid_flops(1024, 4096, 16, 1) == attention_flops(1024, 4096)
    True
    >>> hybrid_flops(1024, 4096, 16, 8)
    595591168.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    k_ = check_positive_integer(k, _K)
    mean = (n_**2 * d_ + (k_ - 1) * (n_ * d_ * N_)) / k_
    return scalar_or_array(mean, n, d, N, k)


def kv_cache_bytes(n, d, bytes_per_value=2):
    """Decode memory of one attention layer's KV cache, ``2 * n * d * b`` (EQ 11.1).

    Keys and values (the factor 2) of width d are kept for all n tokens, so
    the cache grows linearly with context: ``M_attn(n) = Theta(n)``.

    Parameters
    ----------
    n, d : int or array_like of int
        Context length and model width.
    bytes_per_value : float or array_like, optional
        Storage per number (2 for fp16/bf16, 1 for int8, 0.5 for 4-bit).

    Returns
    -------
    float or ndarray
        Bytes per layer.

    Raises
    ------
    InstrumentArgumentError
        If ``n`` or ``d`` is not a positive integer or ``bytes_per_value``
        is not > 0.

    Examples
    --------
    >>> kv_cache_bytes(131072, 4096)
    2147483648.0
    >>> kv_cache_bytes(131072, 4096, bytes_per_value=1)
    1073741824.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    b_ = check_positive(bytes_per_value, _BYTES)
    return scalar_or_array(2 * n_ * d_ * b_, n, d, bytes_per_value)


def ssm_state_bytes(d, N, bytes_per_value=2):
    """Decode memory of one SSM layer's state, ``d * N * b`` (EQ 11.1).

    The state folds the whole past into d x N numbers, independent of the
    context length: ``M_ssm(n) = Theta(1)``.

    Parameters
    ----------
    d, N : int or array_like of int
        Model width and state size.
    bytes_per_value : float or array_like, optional
        Storage per number (2 for fp16/bf16).

    Returns
    -------
    float or ndarray
        Bytes per layer.

    Raises
    ------
    InstrumentArgumentError
        If ``d`` or ``N`` is not a positive integer or ``bytes_per_value``
        is not > 0.

    Examples
    --------
    >>> ssm_state_bytes(4096, 16)
    131072.0
    """
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    b_ = check_positive(bytes_per_value, _BYTES)
    return scalar_or_array(d_ * N_ * b_, d, N, bytes_per_value)


def linear_attention_state_bytes(d, bytes_per_value=2):
    """Decode memory of one linear-attention layer, ``d**2 * b`` (EQ 11.5).

    The running sum ``S_i`` is a d x d matrix (the normaliser ``z_i`` adds
    only d numbers and is dropped); like an SSM state it does not grow
    with n.

    Parameters
    ----------
    d : int or array_like of int
        Model width.
    bytes_per_value : float or array_like, optional
        Storage per number.

    Returns
    -------
    float or ndarray
        Bytes per layer.

    Raises
    ------
    InstrumentArgumentError
        If ``d`` is not a positive integer or ``bytes_per_value`` is not > 0.

    Examples
    --------
    >>> linear_attention_state_bytes(4096)
    33554432.0
    """
    d_ = check_positive_integer(d, _D)
    b_ = check_positive(bytes_per_value, _BYTES)
    return scalar_or_array(d_**2 * b_, d, bytes_per_value)


def hybrid_decode_bytes(n, d, N, k, bytes_per_value=2):
    """Mean per-layer decode memory of a hybrid stack (EQ 11.1).

    ``(kv_cache_bytes(n, d, b) + (k - 1) * ssm_state_bytes(d, N, b)) / k``:
    one attention layer in every k keeps a KV cache, the rest keep states.

    Parameters
    ----------
    n, d, N : int or array_like of int
        Context length, model width and SSM state size.
    k : int or array_like of int
        Hybrid period (layers per attention layer).
    bytes_per_value : float or array_like, optional
        Storage per number.

    Returns
    -------
    float or ndarray
        Mean bytes per layer.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range (see the other functions).

    Examples
    --------
    >>> hybrid_decode_bytes(131072, 4096, 16, 1) == kv_cache_bytes(131072, 4096)
    True
    >>> hybrid_decode_bytes(131072, 4096, 16, 8)
    268550144.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    k_ = check_positive_integer(k, _K)
    b_ = check_positive(bytes_per_value, _BYTES)
    mean = (2 * n_ * d_ * b_ + (k_ - 1) * (d_ * N_ * b_)) / k_
    return scalar_or_array(mean, n, d, N, k, bytes_per_value)


def attention_to_ssm_ratio(n, N):
    """How many times more mixing work attention does than an SSM, ``n / N``.

    ``attention_flops(n, d) / ssm_flops(n, d, N) = n**2 d / (n d N) = n / N``
    (EQ 11.1): the width d cancels, and the gap grows linearly with context.

    Parameters
    ----------
    n : int or array_like of int
        Context length.
    N : int or array_like of int
        SSM state size.

    Returns
    -------
    float or ndarray
        ``n / N``.

    Raises
    ------
    InstrumentArgumentError
        If ``n`` or ``N`` is not a positive integer.

    Examples
    --------
    >>> attention_to_ssm_ratio(1048576, 16)
    65536.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    N_ = check_positive_integer(N, _N_STATE)
    return scalar_or_array(n_ / N_, n, N)
