"""The four contenders of section 11.5 as data, with their costs (EQ 11.1, 11.5).

Glossary of symbols
-------------------
n : context length (tokens)
d : model width
N : SSM state size per channel
k : hybrid period: one attention layer in every k layers

``FAMILIES`` holds the qualitative rows of the section 11.5 table (token-mix
cost, decode memory, exact recall, strengths, weaknesses);
:func:`family_costs` adds the numbers, per layer, from :mod:`instruments.cost`.
"""

from dataclasses import dataclass

from . import cost

__all__ = ["Family", "FAMILIES", "FAMILY_IDS", "family_costs"]


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


def family_costs(n, d, N, k, bytes_per_value=2):
    """Per-layer token-mixing FLOPs and decode bytes of each family (EQ 11.1, 11.5).

    * transformer: :func:`~instruments.cost.attention_flops`,
      :func:`~instruments.cost.kv_cache_bytes`
    * ssm: :func:`~instruments.cost.ssm_flops`,
      :func:`~instruments.cost.ssm_state_bytes`
    * linear-attention: :func:`~instruments.cost.linear_attention_flops`,
      :func:`~instruments.cost.linear_attention_state_bytes`
    * hybrid (1 attention layer in k): :func:`~instruments.cost.hybrid_flops`,
      :func:`~instruments.cost.hybrid_decode_bytes`

    Parameters
    ----------
    n, d, N, k : int or array_like of int
        Context length, model width, state size, hybrid period.
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
    >>> costs["transformer"]["flops"] / costs["ssm"]["flops"]
    1024.0
    >>> costs["ssm"]["decode_bytes"]
    1048576.0
    """
    return {
        "transformer": {
            "flops": cost.attention_flops(n, d),
            "decode_bytes": cost.kv_cache_bytes(n, d, bytes_per_value),
        },
        "ssm": {
            "flops": cost.ssm_flops(n, d, N),
            "decode_bytes": cost.ssm_state_bytes(d, N, bytes_per_value),
        },
        "linear-attention": {
            "flops": cost.linear_attention_flops(n, d),
            "decode_bytes": cost.linear_attention_state_bytes(d, bytes_per_value),
        },
        "hybrid": {
            "flops": cost.hybrid_flops(n, d, N, k),
            "decode_bytes": cost.hybrid_decode_bytes(n, d, N, k, bytes_per_value),
        },
    }
