"""Numbers the chapter's prose quotes, computed by the same functions as the cells.

``{{ name }}`` in a chapter file is replaced by ``quoted_numbers()[name]`` at build
time, so a sentence cannot say something the code does not compute.
"""

from __future__ import annotations

from instruments import cost, defaults, quantization
from instruments.architectures import MODEL_PRESETS, model_costs

# the running example (instruments/defaults.py)
LONG_CONTEXT = defaults.LONG_CONTEXT                       # n = 1,048,576 tokens
WIDTH, HEAD, STATE = defaults.WIDTH, defaults.HEAD_WIDTH, defaults.STATE_SIZE   # d, d_h, N
FP16, FP32 = defaults.BYTES_PER_VALUE, defaults.FP32_BYTES  # bytes per stored value
MODEL_CONTEXT = 131072                                     # n of the released-model comparison


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


def _sig(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}g}"


def _cost_numbers() -> dict[str, str]:
    """Token-mixing cost and decode memory (EQ 11.1, 11.5) of the running example and
    of the released models in the architecture matrix."""
    w = defaults.CONV_WIDTH
    scan = cost.ssm_state_bytes(WIDTH, STATE, conv_width=1, bytes_per_value=FP16)
    layer = cost.ssm_state_bytes(WIDTH, STATE, bytes_per_value=FP16)
    kv_1m = cost.kv_cache_bytes(LONG_CONTEXT, WIDTH, FP16)
    linear = cost.linear_attention_state_bytes(WIDTH, HEAD, FP16)
    models = {p.id: model_costs(p, MODEL_CONTEXT, FP16) for p in MODEL_PRESETS}
    shapes = {p.id: p for p in MODEL_PRESETS}
    llama, nemotron = shapes["llama-3.1-70b"], shapes["nemotron-h-8b"]
    return {
        "ratio_at_1m": _thousands(cost.attention_to_ssm_ratio(LONG_CONTEXT, STATE)),
        "ratio_at_1m_mamba1": _thousands(cost.attention_to_ssm_ratio(LONG_CONTEXT, defaults.MAMBA1_STATE_SIZE)),
        "kv_cache_1m_gb": f"{kv_1m / 1e9:.1f}",
        "ssm_state_values": _thousands(scan / FP16),
        "ssm_state_mb": f"{scan / 1e6:.1f}",
        "ssm_state_fp32_mb": f"{cost.ssm_state_bytes(WIDTH, STATE, conv_width=1, bytes_per_value=FP32) / 1e6:.1f}",
        "conv_state_values": _thousands((layer - scan) / FP16),
        "conv_state_kb": _thousands((layer - scan) / 1e3),
        "conv_width": str(w),
        "kv_over_ssm_state_1m": _thousands(kv_1m / layer),
        "linear_state_values": _thousands(linear / FP16),
        "linear_state_mb": _sig(linear / 1e6, 3),
        "attention_dominance_tokens": _thousands(cost.attention_dominance_length(WIDTH)),
        "model_context_tokens": _thousands(MODEL_CONTEXT),
        "llama_70b_layers": str(llama.attention_layers),
        "llama_70b_kv_heads": str(llama.kv_heads),
        "llama_70b_head_dim": str(llama.head_dim),
        "llama_70b_kv_gb": f"{models['llama-3.1-70b']['kv_cache_bytes'] / 1e9:.1f}",
        "nemotron_h_8b_attention_layers": str(nemotron.attention_layers),
        "nemotron_h_8b_mixing_layers": str(nemotron.attention_layers + nemotron.recurrent_layers),
        "nemotron_h_8b_mamba_layers": str(nemotron.recurrent_layers),
        "nemotron_h_8b_decode_gb": f"{models['nemotron-h-8b']['decode_bytes'] / 1e9:.1f}",
        "nemotron_h_8b_state_mb": _thousands(models["nemotron-h-8b"]["state_bytes"] / 1e6),
        "mamba2_27b_state_mb": _thousands(models["mamba2-2.7b"]["state_bytes"] / 1e6),
    }


def quoted_numbers() -> dict[str, str]:
    """Every quotable number, formatted for prose (no units)."""
    naive = {b: quantization.naive_uniform_error(b) for b in (2, 4)}
    return {
        **_cost_numbers(),
        "weights_70b_2bit_gb": f"{quantization.weight_storage_gb(70e9, 2):g}",
        "weights_70b_fp16_gb": f"{quantization.weight_storage_gb(70e9, 16):g}",
        "uniform_levels_2bit": str(quantization.uniform_levels(2)),
        "naive_err_2bit": _sig(naive[2]),
        "naive_err_4bit": _sig(naive[4]),
        "naive_err_ratio_2_over_4": f"{naive[2] / naive[4]:.1f}",
        "best_err_2bit": _sig(quantization.best_clip_uniform_error(2)),
        "rd_bound_2bit": _sig(quantization.rate_distortion_bound(2)),
    }
