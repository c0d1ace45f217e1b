"""Token-mixing cost and decode memory of one layer and of a whole model (``eq-11-1``, ``eq-11-5``).

Glossary of symbols
-------------------
n : context length (tokens), a positive integer
d : model width (channels per token), a positive integer
H : attention heads, each d_h wide; in the running example H * d_h = d
d_h : head width of attention and of linear attention (d_k = d_v = d_h)
E : expansion factor: Mamba and Mamba-2 run their scan on E * d channels
N : SSM state size per channel, a positive integer (16 in Mamba, 128 in Mamba-2)
w : width of the causal convolution in front of the scan (4 in Mamba and Mamba-2)
k : hybrid period: one attention layer in every k layers, the other k - 1 SSM
b : bytes per stored value (``bytes_per_value``; 2 for fp16/bf16, 4 for fp32)

The defaults of ``E``, ``w`` and ``b`` are the running example of
:mod:`instruments.defaults`.

Counting convention
-------------------
All FLOP counts are the plain leading-order term with constant factor 1
(one multiply-accumulate counted as one operation, lower-order terms and
projections dropped):

* attention    ``n**2 * d``      (``eq-11-1``: the n x n scores of H heads, length-d_h
  dots, H * d_h = d; the weighted sum of values costs the same again)
* SSM scan     ``n * E * d * N`` (``eq-11-1``: n tokens update E * d states of size N)
* linear attn  ``n * d * d_h``   (``eq-11-5``: n tokens update H states of d_k x d_v,
  H * d_k * d_v = d * d_h)

A fuller count multiplies each by a small constant (attention's two matmuls,
2 FLOPs per multiply-accumulate); such constants cancel in the ratios the
chapter quotes, and leaving them out makes doubling n give exactly 4x attention
and exactly 2x scan work.

Decode memory counts what a layer must keep between tokens: the KV cache of an
attention layer, the scan state and convolution state of an SSM layer, the
running sum of a linear-attention layer. It is modeled from the shapes, not
measured, and leaves out weights, activations and an engine's own padding.

Every function broadcasts over its arguments and returns a ``float`` for
scalar inputs and an ``ndarray`` otherwise.
"""

import numpy as np

from . import defaults
from ._validate import as_float_array, check_positive, check_positive_integer, scalar_or_array
from .errors import InstrumentArgumentError

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
    "attention_dominance_length",
    "model_kv_cache_bytes",
    "model_state_bytes",
    "model_decode_bytes",
]

_N_CTX = "context length n"
_D = "model width d"
_D_H = "head width d_h"
_N_STATE = "state size N"
_E = "expansion factor E"
_W = "convolution width w"
_K = "hybrid period k"
_BYTES = "bytes per value"

_E0 = defaults.EXPANSION
_W0 = defaults.CONV_WIDTH
_B0 = defaults.BYTES_PER_VALUE


def _check_count(value, label):
    """Floats of ``value`` after checking every entry is an integer >= 0."""
    arr = as_float_array(value, label)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(arr) & (arr >= 0) & (arr == np.floor(arr)))
    if np.any(bad):
        first = float(arr[bad].flat[0])
        shown = str(int(first)) if np.isfinite(first) and first.is_integer() else repr(first)
        raise InstrumentArgumentError(f"{label} must be a whole number >= 0, got {shown}")
    return arr


def _check_divides(d_h, d):
    """Raise unless the head width d_h divides the model width d (H = d / d_h heads)."""
    if np.any(np.mod(d, d_h) != 0):
        bad = np.broadcast_to(np.mod(d, d_h) != 0, np.broadcast_shapes(np.shape(d), np.shape(d_h)))
        first_d = float(np.broadcast_to(d, bad.shape)[bad].flat[0])
        first_h = float(np.broadcast_to(d_h, bad.shape)[bad].flat[0])
        raise InstrumentArgumentError(
            f"head width d_h must divide model width d into whole heads, got d_h = {int(first_h)} "
            f"for d = {int(first_d)}"
        )


def attention_flops(n, d):
    """Token-mixing FLOPs of one softmax-attention layer, ``n**2 * d`` (``eq-11-1``).

    With H heads of width d_h, every one of the n x n query-key pairs of a head
    costs a length-d_h dot product, and H * d_h = d, so the head count drops out.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    d : int or array_like of int
        Model width (H * d_h).

    Returns
    -------
    float or ndarray
        ``n**2 * d`` (constant factor 1, see the module notes).

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


def ssm_flops(n, d, N, *, E=_E0):
    """Token-mixing FLOPs of one selective-SSM scan, ``n * E * d * N`` (``eq-11-1``, ``eq-11-4``).

    This is the linear ("recurrent") form of the SSD operator of ``eq-11-4``. A
    Mamba or Mamba-2 layer first projects the d-wide token to E * d channels,
    and each of the n tokens updates E * d independent states of size N.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    d : int or array_like of int
        Model width.
    N : int or array_like of int
        State size per channel.
    E : int or array_like of int, optional
        Expansion factor (2 in Mamba and Mamba-2).

    Returns
    -------
    float or ndarray
        ``n * E * d * N`` (constant factor 1).

    Raises
    ------
    InstrumentArgumentError
        If any argument is not a positive integer.

    Examples
    --------
    >>> ssm_flops(1024, 4096, 128)
    1073741824.0
    >>> ssm_flops(2048, 4096, 128) / ssm_flops(1024, 4096, 128)
    2.0
    >>> ssm_flops(1024, 4096, 16, E=1)
    67108864.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    E_ = check_positive_integer(E, _E)
    return scalar_or_array(n_ * E_ * d_ * N_, n, d, N, E)


def linear_attention_flops(n, d, d_h):
    """Token-mixing FLOPs of one multi-head linear-attention layer, ``n * d * d_h`` (``eq-11-5``).

    Computing ``Q (K^T V)`` instead of ``(Q K^T) V``, each of the H = d / d_h
    heads updates and reads a d_k x d_v running sum once per token; with
    d_k = d_v = d_h that is H * d_h**2 = d * d_h per token.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    d : int or array_like of int
        Model width.
    d_h : int or array_like of int
        Head width (d_k = d_v = d_h); must divide ``d``.

    Returns
    -------
    float or ndarray
        ``n * d * d_h`` (constant factor 1).

    Raises
    ------
    InstrumentArgumentError
        If an argument is not a positive integer or ``d_h`` does not divide ``d``.

    Examples
    --------
    >>> linear_attention_flops(1024, 4096, 128)
    536870912.0
    >>> linear_attention_flops(1024, 4096, 128) / attention_flops(1024, 4096)
    0.125
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    h_ = check_positive_integer(d_h, _D_H)
    _check_divides(h_, d_)
    return scalar_or_array(n_ * d_ * h_, n, d, d_h)


def hybrid_flops(n, d, N, k, *, E=_E0):
    """Mean per-layer token-mixing FLOPs of a hybrid stack (``eq-11-1``).

    One layer in every ``k`` is softmax attention and the other ``k - 1`` are
    SSM scans, so the mean cost per layer is
    ``(attention_flops(n, d) + (k - 1) * ssm_flops(n, d, N, E=E)) / k``.
    ``k = 1`` is a pure Transformer; large ``k`` approaches a pure SSM.

    Parameters
    ----------
    n, d, N : int or array_like of int
        Context length, model width and SSM state size.
    k : int or array_like of int
        Hybrid period (layers per attention layer).
    E : int or array_like of int, optional
        Expansion factor of the SSM layers.

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
    >>> hybrid_flops(1024, 4096, 128, 1) == attention_flops(1024, 4096)
    True
    >>> hybrid_flops(1024, 4096, 128, 8)
    1476395008.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    k_ = check_positive_integer(k, _K)
    E_ = check_positive_integer(E, _E)
    mean = (n_**2 * d_ + (k_ - 1) * (n_ * E_ * d_ * N_)) / k_
    return scalar_or_array(mean, n, d, N, k, E)


def kv_cache_bytes(n, d, bytes_per_value=_B0):
    """Decode memory of one multi-head attention layer's KV cache, ``2 * n * d * b`` (``eq-11-1``).

    Keys and values (the factor 2) of all H heads, H * d_h = d numbers each,
    are kept for all n tokens, so the cache grows linearly with context:
    ``M_attn(n) = Theta(n d)``. Grouped-query attention keeps fewer key-value
    heads; :func:`model_kv_cache_bytes` counts those.

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


def ssm_state_bytes(d, N, *, E=_E0, conv_width=_W0, bytes_per_value=_B0):
    """Decode memory of one Mamba-style layer, ``E * d * (N + w - 1) * b`` (``eq-11-1``, ``eq-11-2``).

    The scan state folds the whole past into E * d channels of N numbers each,
    independent of the context length: ``M_ssm(n) = Theta(E d N)``. The causal
    convolution of width w in front of the scan also keeps the last w - 1
    inputs of each of its E * d channels. (Mamba-2 convolves its B and C
    projections too, 2 N more channels per group; the model presets of
    :mod:`instruments.architectures` count those.) ``conv_width=1`` counts the
    scan state alone.

    Parameters
    ----------
    d, N : int or array_like of int
        Model width and state size per channel.
    E : int or array_like of int, optional
        Expansion factor (2 in Mamba and Mamba-2).
    conv_width : int or array_like of int, optional
        Width w of the causal convolution (4 in Mamba and Mamba-2).
    bytes_per_value : float or array_like, optional
        Storage per number (2 for fp16/bf16; 4 for the fp32 states many
        inference engines keep).

    Returns
    -------
    float or ndarray
        Bytes per layer.

    Raises
    ------
    InstrumentArgumentError
        If ``d``, ``N``, ``E`` or ``conv_width`` is not a positive integer or
        ``bytes_per_value`` is not > 0.

    Examples
    --------
    >>> ssm_state_bytes(4096, 128, conv_width=1)  # scan state: 2 * 4096 * 128 values
    2097152.0
    >>> ssm_state_bytes(4096, 128)  # plus 2 * 4096 * 3 convolution values
    2146304.0
    >>> ssm_state_bytes(4096, 128, bytes_per_value=4) / ssm_state_bytes(4096, 128)
    2.0
    """
    d_ = check_positive_integer(d, _D)
    N_ = check_positive_integer(N, _N_STATE)
    E_ = check_positive_integer(E, _E)
    w_ = check_positive_integer(conv_width, _W)
    b_ = check_positive(bytes_per_value, _BYTES)
    return scalar_or_array(E_ * d_ * (N_ + w_ - 1) * b_, d, N, E, conv_width, bytes_per_value)


def linear_attention_state_bytes(d, d_h, bytes_per_value=_B0):
    """Decode memory of one multi-head linear-attention layer, ``d * d_h * b`` (``eq-11-5``).

    Each of the H = d / d_h heads keeps a running sum ``S_i`` of d_k x d_v
    numbers; with d_k = d_v = d_h that is H * d_h**2 = d * d_h per layer. Like
    an SSM state it does not grow with n. The normaliser ``z_i`` of ``eq-11-5``
    adds H * d_k = d numbers (1 / d_h of the state; Gated DeltaNet has none)
    and is left out.

    Parameters
    ----------
    d : int or array_like of int
        Model width.
    d_h : int or array_like of int
        Head width (d_k = d_v = d_h); must divide ``d``.
    bytes_per_value : float or array_like, optional
        Storage per number.

    Returns
    -------
    float or ndarray
        Bytes per layer.

    Raises
    ------
    InstrumentArgumentError
        If ``d`` or ``d_h`` is not a positive integer, ``d_h`` does not divide
        ``d``, or ``bytes_per_value`` is not > 0.

    Examples
    --------
    >>> linear_attention_state_bytes(4096, 128)  # 32 heads x 128 x 128 values
    1048576.0
    >>> linear_attention_state_bytes(4096, 4096) / linear_attention_state_bytes(4096, 128)
    32.0
    """
    d_ = check_positive_integer(d, _D)
    h_ = check_positive_integer(d_h, _D_H)
    _check_divides(h_, d_)
    b_ = check_positive(bytes_per_value, _BYTES)
    return scalar_or_array(d_ * h_ * b_, d, d_h, bytes_per_value)


def hybrid_decode_bytes(n, d, N, k, *, E=_E0, conv_width=_W0, bytes_per_value=_B0):
    """Mean per-layer decode memory of a hybrid stack (``eq-11-1``).

    ``(kv_cache_bytes(n, d, b) + (k - 1) * ssm_state_bytes(d, N, ...)) / k``:
    one attention layer in every k keeps a KV cache, the rest keep states.

    Parameters
    ----------
    n, d, N : int or array_like of int
        Context length, model width and SSM state size.
    k : int or array_like of int
        Hybrid period (layers per attention layer).
    E, conv_width : int or array_like of int, optional
        Expansion factor and convolution width of the SSM layers.
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
    >>> hybrid_decode_bytes(131072, 4096, 128, 1) == kv_cache_bytes(131072, 4096)
    True
    >>> hybrid_decode_bytes(131072, 4096, 128, 8)
    270313472.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    k_ = check_positive_integer(k, _K)
    kv = kv_cache_bytes(n_, d, bytes_per_value)
    state = ssm_state_bytes(d, N, E=E, conv_width=conv_width, bytes_per_value=bytes_per_value)
    mean = (np.asarray(kv) + (k_ - 1) * np.asarray(state)) / k_
    return scalar_or_array(mean, n, d, N, k, E, conv_width, bytes_per_value)


def attention_to_ssm_ratio(n, N, *, E=_E0):
    """How many times more mixing work attention does than an SSM scan, ``n / (E N)``.

    ``attention_flops(n, d) / ssm_flops(n, d, N, E=E) = n**2 d / (n E d N)``
    ``= n / (E N)`` (``eq-11-1``): the width d cancels, and the gap grows linearly
    with context.

    Parameters
    ----------
    n : int or array_like of int
        Context length.
    N : int or array_like of int
        SSM state size.
    E : int or array_like of int, optional
        Expansion factor of the SSM layer.

    Returns
    -------
    float or ndarray
        ``n / (E * N)``.

    Raises
    ------
    InstrumentArgumentError
        If ``n``, ``N`` or ``E`` is not a positive integer.

    Examples
    --------
    >>> attention_to_ssm_ratio(1048576, 128)
    4096.0
    >>> attention_to_ssm_ratio(1048576, 16)  # the original Mamba's N
    32768.0
    """
    n_ = check_positive_integer(n, _N_CTX)
    N_ = check_positive_integer(N, _N_STATE)
    E_ = check_positive_integer(E, _E)
    return scalar_or_array(n_ / (E_ * N_), n, N, E)


def attention_dominance_length(d):
    """Context length beyond which attention's token mixing outweighs the rest of its block, ``6 d``.

    A standard Transformer block spends about ``12 d**2`` multiply-adds per
    token on its projections and MLP (``4 d**2`` for the query, key, value and
    output projections, ``8 d**2`` for an MLP four times as wide). A token at
    position n spends about ``2 n d`` on attention's scores and weighted sum
    (``eq-11-1`` per token). The two are equal at ``n = 6 d``.

    Parameters
    ----------
    d : int or array_like of int
        Model width.

    Returns
    -------
    float or ndarray
        ``6 * d`` tokens.

    Raises
    ------
    InstrumentArgumentError
        If ``d`` is not a positive integer.

    Examples
    --------
    >>> attention_dominance_length(4096)
    24576.0
    """
    d_ = check_positive_integer(d, _D)
    return scalar_or_array(12 * d_**2 / (2 * d_), d)


def model_kv_cache_bytes(n, attention_layers, kv_heads, head_dim, bytes_per_value=_B0):
    """KV cache of a whole model, ``2 * n * L_attn * H_kv * d_h * b`` (``eq-11-1``).

    Every attention layer keeps a key and a value (the factor 2) of width
    d_h for each of its H_kv key-value heads and each of the n tokens.
    Grouped-query attention shares one key-value head among several query
    heads, so H_kv is smaller than the number of query heads.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    attention_layers : int or array_like of int
        Attention layers in the model (0 for a pure SSM).
    kv_heads, head_dim : int or array_like of int
        Key-value heads per attention layer and their width d_h.
    bytes_per_value : float or array_like, optional
        Storage per number.

    Returns
    -------
    float or ndarray
        Bytes for the whole model.

    Raises
    ------
    InstrumentArgumentError
        If ``n``, ``kv_heads`` or ``head_dim`` is not a positive integer,
        ``attention_layers`` is not a whole number, or ``bytes_per_value``
        is not > 0.

    Examples
    --------
    Llama-3.1-70B (80 layers, 8 key-value heads of 128) at 131,072 tokens in
    16-bit:

    >>> model_kv_cache_bytes(131072, 80, 8, 128) / 1e9
    42.94967296
    """
    n_ = check_positive_integer(n, _N_CTX)
    L_ = _check_count(attention_layers, "attention layers")
    h_ = check_positive_integer(kv_heads, "key-value heads")
    dh_ = check_positive_integer(head_dim, _D_H)
    b_ = check_positive(bytes_per_value, _BYTES)
    return scalar_or_array(2 * n_ * L_ * h_ * dh_ * b_, n, attention_layers, kv_heads, head_dim, bytes_per_value)


def model_state_bytes(recurrent_layers, state_values, conv_channels=0, conv_width=_W0, bytes_per_value=_B0):
    """Fixed decode memory of a model's recurrent layers, ``L_rec * (S + c * (w - 1)) * b``.

    Each recurrent layer (Mamba, Mamba-2, Gated DeltaNet) keeps S state values
    (E * d * N for a Mamba layer, H * d_k * d_v for linear attention) and the
    last w - 1 inputs of each of the c channels of its causal convolution.
    None of it depends on the context length (``eq-11-1``).

    Parameters
    ----------
    recurrent_layers : int or array_like of int
        Recurrent layers in the model (0 for a pure Transformer).
    state_values : int or array_like of int
        State values S per recurrent layer.
    conv_channels : int or array_like of int, optional
        Channels c of each layer's causal convolution (0 if it has none).
    conv_width : int or array_like of int, optional
        Width w of that convolution.
    bytes_per_value : float or array_like, optional
        Storage per number (many engines keep states in fp32: 4).

    Returns
    -------
    float or ndarray
        Bytes for the whole model.

    Raises
    ------
    InstrumentArgumentError
        If a count is not a whole number, ``conv_width`` is not a positive
        integer, or ``bytes_per_value`` is not > 0.

    Examples
    --------
    Mamba-2 2.7B: 64 layers, E * d = 5120 channels, N = 128, one group of B
    and C (5120 + 2 * 128 convolution channels), in 16-bit:

    >>> model_state_bytes(64, 5120 * 128, 5120 + 2 * 128) / 1e6
    85.950464
    """
    L_ = _check_count(recurrent_layers, "recurrent layers")
    S_ = _check_count(state_values, "state values")
    c_ = _check_count(conv_channels, "convolution channels")
    w_ = check_positive_integer(conv_width, _W)
    b_ = check_positive(bytes_per_value, _BYTES)
    total = L_ * (S_ + c_ * (w_ - 1)) * b_
    return scalar_or_array(total, recurrent_layers, state_values, conv_channels, conv_width, bytes_per_value)


def model_decode_bytes(
    n,
    attention_layers,
    kv_heads,
    head_dim,
    recurrent_layers=0,
    state_values=0,
    conv_channels=0,
    conv_width=_W0,
    bytes_per_value=_B0,
    state_bytes_per_value=None,
):
    """Whole-model decode memory: the KV cache plus the recurrent state (``eq-11-1``).

    ``model_kv_cache_bytes(n, ...) + model_state_bytes(...)``: what a model
    keeps for one sequence between generated tokens, apart from its weights.

    Parameters
    ----------
    n : int or array_like of int
        Context length in tokens.
    attention_layers, kv_heads, head_dim : int or array_like of int
        See :func:`model_kv_cache_bytes`.
    recurrent_layers, state_values, conv_channels, conv_width : int or array_like of int, optional
        See :func:`model_state_bytes`.
    bytes_per_value : float or array_like, optional
        Storage per cached key or value (2 for fp16/bf16).
    state_bytes_per_value : float or array_like, optional
        Storage per state value; ``None`` (the default) uses ``bytes_per_value``.

    Returns
    -------
    float or ndarray
        Bytes for the whole model and one sequence.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range (see the two functions above).

    Examples
    --------
    A pure Transformer has no state; a pure SSM has no cache:

    >>> model_decode_bytes(131072, 80, 8, 128) == model_kv_cache_bytes(131072, 80, 8, 128)
    True
    >>> model_decode_bytes([4096, 131072], 0, 1, 1, 64, 5120 * 128, 5120 + 256)
    array([85950464., 85950464.])
    """
    state_b = bytes_per_value if state_bytes_per_value is None else state_bytes_per_value
    kv = model_kv_cache_bytes(n, attention_layers, kv_heads, head_dim, bytes_per_value)
    state = model_state_bytes(recurrent_layers, state_values, conv_channels, conv_width, state_b)
    return scalar_or_array(
        np.asarray(kv) + np.asarray(state),
        n, attention_layers, kv_heads, head_dim, recurrent_layers, state_values, conv_channels, conv_width,
        bytes_per_value, state_b,
    )
