"""The chapter's running example, defined once.

The prose, the code cells, the instruments and the tests describe the same layer
with these numbers; a place that uses other values says why (for example
``N = 16``, the state size of the original Mamba).

Glossary of symbols
-------------------
d : model width, 4096
H : attention heads, 32, each d_h = 128 wide (H * d_h = d)
E : expansion factor of a Mamba or Mamba-2 layer, 2: its scan runs on E * d
    channels [Gu & Dao 2023; Dao & Gu 2024]
N : SSM state size per channel, 128 (Mamba-2's default; Mamba used 16)
w : width of the short causal convolution before the scan, 4 in Mamba and Mamba-2
linear attention and Gated DeltaNet: H = 32 heads with d_k = d_v = d_h = 128
b : bytes per stored value, 2 (fp16 or bf16); recurrent states are often kept in
    fp32 (4 bytes) by inference engines

Examples
--------
>>> WIDTH == HEADS * HEAD_WIDTH == LINEAR_HEADS * KEY_WIDTH
True
>>> EXPANSION * WIDTH * STATE_SIZE  # values in one Mamba-2 layer's scan state
1048576
"""

__all__ = [
    "WIDTH",
    "HEADS",
    "HEAD_WIDTH",
    "EXPANSION",
    "STATE_SIZE",
    "MAMBA1_STATE_SIZE",
    "CONV_WIDTH",
    "LINEAR_HEADS",
    "KEY_WIDTH",
    "VALUE_WIDTH",
    "BYTES_PER_VALUE",
    "FP32_BYTES",
    "LONG_CONTEXT",
]

WIDTH = 4096
"""d, the model width."""

HEADS = 32
"""H, attention heads of the running example's Transformer layer."""

HEAD_WIDTH = 128
"""d_h, the width of one attention head (H * d_h = d)."""

EXPANSION = 2
"""E, the expansion factor of Mamba and Mamba-2 layers."""

STATE_SIZE = 128
"""N, the SSM state size per channel (the Mamba-2 default)."""

MAMBA1_STATE_SIZE = 16
"""N of the original Mamba, used where the chapter compares the two."""

CONV_WIDTH = 4
"""w, the width of the causal convolution of Mamba and Mamba-2 layers."""

LINEAR_HEADS = 32
"""Heads of a linear-attention or Gated DeltaNet layer."""

KEY_WIDTH = 128
"""d_k of a linear-attention head."""

VALUE_WIDTH = 128
"""d_v of a linear-attention head."""

BYTES_PER_VALUE = 2
"""fp16 or bf16 storage of weights, caches and states."""

FP32_BYTES = 4
"""fp32 storage, in which recurrent states are often kept."""

LONG_CONTEXT = 2**20
"""1,048,576 tokens, the "million tokens" of the prose."""
