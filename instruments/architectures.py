"""The four contenders of section 11.5 and five shipped models, as data with their costs.

Glossary of symbols
-------------------
n : context length (tokens)
d : model width
d_h : head width of attention and linear attention
N : SSM state size per channel
E : expansion factor of Mamba and Mamba-2 layers
k : hybrid period: one attention layer in every k layers

``FAMILIES`` holds the qualitative rows of the section 11.5 table (token-mix
cost, decode memory, exact recall, strengths, weaknesses);
:func:`family_costs` adds the numbers, per layer, from :mod:`instruments.cost`
at the running example of :mod:`instruments.defaults`.

``MODEL_PRESETS`` holds the decode-time shapes of five released models, each
read from the model's published configuration or paper (``source`` names the
entry of ``chapter/references.toml``); :func:`model_costs` turns them into
whole-model decode memory (``eq-11-1``).
"""

from dataclasses import dataclass

from . import cost, defaults

__all__ = ["Family", "FAMILIES", "FAMILY_IDS", "family_costs", "ModelPreset", "MODEL_PRESETS", "model_costs"]


@dataclass(frozen=True)
class Family:
    """One sequence-mixing family and its trade-offs (section 11.5).

    Attributes
    ----------
    id : str
        Slug used as a key in data and in the page.
    name : str
        Display name.
    token_mix : str
        Asymptotic token-mixing compute in n.
    decode_memory : str
        What is kept per layer while generating.
    exact_recall : str
        How faithfully an exact earlier token can be retrieved.
    best_at : str
        Where the family wins.
    weakest_at : str
        Where it loses.
    """

    id: str
    name: str
    token_mix: str
    decode_memory: str
    exact_recall: str
    best_at: str
    weakest_at: str


FAMILIES = (
    Family(
        id="transformer",
        name="Transformer",
        token_mix="O(n²)",
        decode_memory="O(n) KV cache",
        exact_recall="Exact",
        best_at="Verbatim recall, reasoning, the most mature tooling",
        weakest_at="Compute and memory at long context",
    ),
    Family(
        id="ssm",
        name="SSM (Mamba-2)",
        token_mix="O(n)",
        decode_memory="O(1) state",
        exact_recall="Lossy",
        best_at="Throughput, streaming, very long inputs",
        weakest_at="Copying or retrieving an exact span from far back",
    ),
    Family(
        id="linear-attention",
        name="Linear / gated attention",
        token_mix="O(n)",
        decode_memory="O(1) state",
        exact_recall="Lossy",
        best_at="Cheap token mixing; a near relative of SSD",
        weakest_at="Sharp lookup by content",
    ),
    Family(
        id="hybrid",
        name="Hybrid",
        token_mix="O(n) + a few O(n²) layers",
        decode_memory="Small KV cache + state",
        exact_recall="Near-exact with a few attention layers",
        best_at="Most of both; today's practical sweet spot",
        weakest_at="Choosing the attention ratio; not yet top of the leaderboards",
    ),
)
"""The four families, in the order of the section 11.5 table."""

FAMILY_IDS = tuple(f.id for f in FAMILIES)


def family_costs(
    n,
    d,
    N,
    k,
    *,
    d_h=defaults.HEAD_WIDTH,
    E=defaults.EXPANSION,
    conv_width=defaults.CONV_WIDTH,
    bytes_per_value=defaults.BYTES_PER_VALUE,
):
    """Per-layer token-mixing FLOPs and decode bytes of each family (``eq-11-1``, ``eq-11-5``).

    * transformer: :func:`~instruments.cost.attention_flops`,
      :func:`~instruments.cost.kv_cache_bytes` (multi-head, H * d_h = d)
    * ssm: :func:`~instruments.cost.ssm_flops`,
      :func:`~instruments.cost.ssm_state_bytes` (scan and convolution state)
    * linear-attention: :func:`~instruments.cost.linear_attention_flops`,
      :func:`~instruments.cost.linear_attention_state_bytes` (d / d_h heads)
    * hybrid (1 attention layer in k): :func:`~instruments.cost.hybrid_flops`,
      :func:`~instruments.cost.hybrid_decode_bytes`

    Parameters
    ----------
    n, d, N, k : int or array_like of int
        Context length, model width, state size, hybrid period.
    d_h : int, optional
        Head width of the linear-attention layer.
    E, conv_width : int, optional
        Expansion factor and convolution width of the SSM layers.
    bytes_per_value : float, optional
        Storage per cached number (2 for fp16).

    Returns
    -------
    dict
        ``{family_id: {"flops": ..., "decode_bytes": ...}}``; floats for
        scalar inputs, arrays otherwise.

    Raises
    ------
    InstrumentArgumentError
        If an argument is out of range.

    Examples
    --------
    >>> costs = family_costs(131072, 4096, 128, 8)
    >>> costs["transformer"]["flops"] / costs["ssm"]["flops"]  # n / (E N)
    512.0
    >>> costs["linear-attention"]["decode_bytes"]  # 32 heads x 128 x 128 x 2 bytes
    1048576.0
    """
    state = dict(E=E, conv_width=conv_width, bytes_per_value=bytes_per_value)
    return {
        "transformer": {
            "flops": cost.attention_flops(n, d),
            "decode_bytes": cost.kv_cache_bytes(n, d, bytes_per_value),
        },
        "ssm": {
            "flops": cost.ssm_flops(n, d, N, E=E),
            "decode_bytes": cost.ssm_state_bytes(d, N, **state),
        },
        "linear-attention": {
            "flops": cost.linear_attention_flops(n, d, d_h),
            "decode_bytes": cost.linear_attention_state_bytes(d, d_h, bytes_per_value),
        },
        "hybrid": {
            "flops": cost.hybrid_flops(n, d, N, k, E=E),
            "decode_bytes": cost.hybrid_decode_bytes(n, d, N, k, **state),
        },
    }


@dataclass(frozen=True)
class ModelPreset:
    """The decode-time shape of one released model.

    Only the token-mixing layers matter here: MLP and mixture-of-experts
    blocks keep nothing between tokens.

    Attributes
    ----------
    id : str
        Slug used as a key in data and in the page.
    name : str
        The model's name as released.
    family : str
        ``"transformer"``, ``"ssm"`` or ``"hybrid"`` (ids of ``FAMILIES``).
    mixer : str
        The recurrent layer kind (``"Mamba"``, ``"Mamba-2"``,
        ``"Gated DeltaNet"``), or ``""`` for none.
    attention_layers : int
        Layers with softmax attention, each keeping a KV cache.
    kv_heads, head_dim : int
        Key-value heads per attention layer and their width.
    recurrent_layers : int
        Layers that keep a fixed-size state.
    state_values : int
        State values per recurrent layer.
    conv_channels : int
        Channels of each recurrent layer's causal convolution.
    conv_width : int
        Width of that convolution.
    shape : str
        The same numbers in words, for the page.
    source : str
        Key of the work in ``chapter/references.toml`` the shape comes from.
    """

    id: str
    name: str
    family: str
    mixer: str
    attention_layers: int
    kv_heads: int
    head_dim: int
    recurrent_layers: int
    state_values: int
    conv_channels: int
    conv_width: int
    shape: str
    source: str

    @property
    def layers(self) -> str:
        """The token-mixing layers in words, e.g. ``"4 attention + 28 Mamba"``."""
        parts = []
        if self.attention_layers:
            parts.append(f"{self.attention_layers} attention")
        if self.recurrent_layers:
            parts.append(f"{self.recurrent_layers} {self.mixer}")
        return " + ".join(parts)


MODEL_PRESETS = (
    # config: 80 layers, 64 query heads, 8 key-value heads, hidden 8192 (d_h = 128)
    ModelPreset(
        id="llama-3.1-70b", name="Llama-3.1-70B", family="transformer", mixer="",
        attention_layers=80, kv_heads=8, head_dim=128,
        recurrent_layers=0, state_values=0, conv_channels=0, conv_width=1,
        shape="80 attention layers, 8 KV heads × 128",
        source="grattafiori2024llama3",
    ),
    # config: d_model 2560, n_layer 64, Mamba2 defaults d_state 128, expand 2,
    # headdim 64, ngroups 1, d_conv 4; the convolution covers x, B and C
    ModelPreset(
        id="mamba2-2.7b", name="Mamba-2 2.7B", family="ssm", mixer="Mamba-2",
        attention_layers=0, kv_heads=1, head_dim=1,
        recurrent_layers=64, state_values=2 * 2560 * 128, conv_channels=2 * 2560 + 2 * 1 * 128, conv_width=4,
        shape="64 Mamba-2 layers, E·d = 5,120 channels × N = 128",
        source="dao2024ssd",
    ),
    # config (Jamba architecture): 32 layers, attention at i % 8 == 4, 32 query and
    # 8 key-value heads, hidden 4096; Mamba (1) layers with d_state 16, expand 2,
    # d_conv 4, convolving the E * d channels only
    ModelPreset(
        id="jamba-1.5-mini", name="Jamba-1.5-Mini", family="hybrid", mixer="Mamba",
        attention_layers=4, kv_heads=8, head_dim=128,
        recurrent_layers=28, state_values=2 * 4096 * 16, conv_channels=2 * 4096, conv_width=4,
        shape="4 attention layers (8 KV heads × 128) + 28 Mamba layers, 8,192 channels × N = 16",
        source="lenz2024jamba15",
    ),
    # config: pattern M-M-M-M*-... (24 Mamba-2, 4 attention, 24 MLP), hidden 4096,
    # 32 query and 8 key-value heads of 128; 128 Mamba heads of 64, state 128,
    # 8 groups of B and C, d_conv 4
    ModelPreset(
        id="nemotron-h-8b", name="Nemotron-H-8B", family="hybrid", mixer="Mamba-2",
        attention_layers=4, kv_heads=8, head_dim=128,
        recurrent_layers=24, state_values=128 * 64 * 128, conv_channels=128 * 64 + 2 * 8 * 128, conv_width=4,
        shape="4 attention layers (8 KV heads × 128) + 24 Mamba-2 layers, 8,192 channels × N = 128",
        source="nvidia2025nemotronh",
    ),
    # config: 48 layers, full attention every 4th (12) with 2 key-value heads of
    # 256; 36 Gated DeltaNet layers with 32 value heads, d_k = d_v = 128, 16 key
    # heads; the convolution (width 4) covers q, k and v
    ModelPreset(
        id="qwen3-next-80b-a3b", name="Qwen3-Next-80B-A3B", family="hybrid", mixer="Gated DeltaNet",
        attention_layers=12, kv_heads=2, head_dim=256,
        recurrent_layers=36, state_values=32 * 128 * 128, conv_channels=2 * 16 * 128 + 32 * 128, conv_width=4,
        shape="12 attention layers (2 KV heads × 256) + 36 Gated DeltaNet layers, 32 heads × 128 × 128",
        source="qwen2025qwen3next",
    ),
)
"""Five released models, their shapes from each model's configuration or paper."""


def model_costs(preset, n, bytes_per_value=defaults.BYTES_PER_VALUE, state_bytes_per_value=None):
    """KV cache, recurrent state and total decode memory of a released model (``eq-11-1``).

    Parameters
    ----------
    preset : ModelPreset
        One of ``MODEL_PRESETS``.
    n : int or array_like of int
        Context length in tokens.
    bytes_per_value : float, optional
        Storage per cached key or value (2 for fp16/bf16).
    state_bytes_per_value : float, optional
        Storage per state value; ``None`` uses ``bytes_per_value``.

    Returns
    -------
    dict
        ``kv_cache_bytes`` (over n), ``state_bytes`` (one number) and
        ``decode_bytes`` (their sum, over n), from
        :func:`~instruments.cost.model_kv_cache_bytes`,
        :func:`~instruments.cost.model_state_bytes` and
        :func:`~instruments.cost.model_decode_bytes`.

    Raises
    ------
    InstrumentArgumentError
        If ``n`` or a byte size is out of range.

    Examples
    --------
    >>> llama = MODEL_PRESETS[0]
    >>> round(model_costs(llama, 131072)["decode_bytes"] / 1e9, 1)
    42.9
    >>> model_costs(MODEL_PRESETS[1], 131072)["kv_cache_bytes"]
    0.0
    """
    p = preset
    state_b = bytes_per_value if state_bytes_per_value is None else state_bytes_per_value
    return {
        "kv_cache_bytes": cost.model_kv_cache_bytes(n, p.attention_layers, p.kv_heads, p.head_dim, bytes_per_value),
        "state_bytes": cost.model_state_bytes(
            p.recurrent_layers, p.state_values, p.conv_channels, p.conv_width, state_b),
        "decode_bytes": cost.model_decode_bytes(
            n, p.attention_layers, p.kv_heads, p.head_dim, p.recurrent_layers, p.state_values,
            p.conv_channels, p.conv_width, bytes_per_value, state_b),
    }
