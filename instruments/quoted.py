"""Numbers the chapter's prose quotes, computed by the same functions as the cells.

``{{ name }}`` in a chapter file is replaced by ``quoted_numbers()[name]`` at build
time, so a sentence cannot say something the code does not compute.
"""

from __future__ import annotations

from instruments import cost, quantization

LONG_CONTEXT = 2**20          # 1,048,576 tokens
WIDTH, STATE = 4096, 16       # d and N of the chapter's running example
FP16 = 2                      # bytes per cached value


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


def _sig(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}g}"


def quoted_numbers() -> dict[str, str]:
    """Every quotable number, formatted for prose (no units)."""
    naive = {b: quantization.naive_uniform_error(b) for b in (2, 4)}
    return {
        "ratio_at_1m": _thousands(cost.attention_to_ssm_ratio(LONG_CONTEXT, STATE)),
        "kv_cache_1m_gb": f"{cost.kv_cache_bytes(LONG_CONTEXT, WIDTH, FP16) / 1e9:.1f}",
        "ssm_state_kb": _thousands(cost.ssm_state_bytes(WIDTH, STATE, FP16) / 1e3),
        "weights_70b_2bit_gb": f"{quantization.weight_storage_gb(70e9, 2):g}",
        "weights_70b_fp16_gb": f"{quantization.weight_storage_gb(70e9, 16):g}",
        "uniform_levels_2bit": str(quantization.uniform_levels(2)),
        "naive_err_2bit": _sig(naive[2]),
        "naive_err_4bit": _sig(naive[4]),
        "naive_err_ratio_2_over_4": f"{naive[2] / naive[4]:.1f}",
        "best_err_2bit": _sig(quantization.best_clip_uniform_error(2)),
        "rd_bound_2bit": _sig(quantization.rate_distortion_bound(2)),
    }
