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
    """Token-mixing cost and decode memory (``eq-11-1``, ``eq-11-5``) of the running example and
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


def _ceil_sig(value: float) -> str:
    """One significant digit, rounded up, for a bound: 0.0391 -> "0.04", 0.031 -> "0.04"."""
    import math

    unit = 10.0 ** math.floor(math.log10(value))
    return f"{math.ceil(value / unit - 1e-9) * unit:.1g}"


def _percent(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}g}"


def _quantization_numbers() -> dict[str, str]:
    """Errors, grids and formats of section 11.4 (``eq-11-6``), from the functions the
    cells and the bit-width instrument use."""
    from instruments import _gaussian, formats, rotation

    q = quantization
    clip = q.FIXED_CLIP
    fixed = {b: q.fixed_clip_uniform_error(b) for b in (2, 4)}
    fmt = {f.name: (f, formats.format_error_gaussian(f)) for f in formats.FORMATS}
    rot = rotation.rotation_errors([4, 3, 2], **rotation.ROTATION_EXAMPLE)
    ex = rotation.ROTATION_EXAMPLE

    def bits(name: str) -> str:
        return f"{fmt[name][0].effective_bits():g}"

    def error(name: str) -> str:
        return _percent(fmt[name][1].rmse, 3)

    return {
        "weights_70b_2bit_gb": f"{q.weight_storage_gb(70e9, 2):g}",
        "weights_70b_fp16_gb": f"{q.weight_storage_gb(70e9, 16):g}",
        "uniform_levels_2bit": str(q.uniform_levels(2)),
        "tail_beyond_fixed_clip_pct": _percent(2 * float(_gaussian.upper_tail(clip))),
        "clipping_share_8bit_pct": f"{100 * q.clipping_mse(8, clip) / q.gaussian_uniform_mse(8, clip):.0f}",
        "fixed_clip_err_2bit": _sig(fixed[2]),
        "fixed_clip_err_ratio_2_over_4": f"{fixed[2] / fixed[4]:.1f}",
        "midtread_err_2bit": _sig(q.midtread_uniform_error(2)),
        "best_clip_2bit": _sig(q.optimal_clip(2), 3),
        "best_err_2bit": _sig(q.best_clip_uniform_error(2)),
        "best_err_4bit_pct": _percent(q.best_clip_uniform_error(4), 3),
        "lloyd_err_4bit_pct": _percent(float(q.lloyd_max_gaussian(16).mse) ** 0.5, 3),
        "best_err_8bit_pct": _percent(q.best_clip_uniform_error(8)),
        "rd_bound_2bit": _sig(q.rate_distortion_bound(2)),
        "int4_g128_bits": bits("INT4, g128"),
        "mxfp4_bits": bits("MXFP4"),
        "nvfp4_bits": bits("NVFP4"),
        "nf4_bits": bits("NF4"),
        "int4_g128_err_pct": error("INT4, g128"),
        "mxfp4_err_pct": error("MXFP4"),
        "nvfp4_err_pct": error("NVFP4"),
        "nf4_err_pct": error("NF4"),
        "fp8_err_pct": error("FP8 E4M3"),
        "format_mc_samples": _thousands(formats.MC_SIZE),
        "format_mc_seed": str(formats.MC_SEED),
        "format_max_se_pct": _ceil_sig(100 * max(e.standard_error for _, e in fmt.values())),
        "rotation_seed": str(ex["seed"]),
        "rotation_rows": str(ex["rows"]),
        "rotation_cols": str(ex["cols"]),
        "rotation_df": str(ex["df"]),
        "rotation_outlier_channels": str(ex["outlier_channels"]),
        "rotation_outlier_scale": f"{ex['outlier_scale']:g}",
        "rotation_plain_4bit_pct": _percent(rot["plain"][0]),
        "rotation_rotated_4bit_pct": _percent(rot["rotated"][0]),
        "rotation_plain_2bit_pct": _percent(rot["plain"][2]),
        "rotation_rotated_2bit_pct": _percent(rot["rotated"][2]),
    }


# Layers of Mamba-2-Hybrid, the 8B hybrid of Waleffe et al. (2024), arXiv:2406.07887
WALEFFE_HYBRID_LAYERS = {"mamba2": 24, "attention": 4, "mlp": 28}


def _hybrid_evidence_numbers() -> dict[str, str]:
    """The composition of the controlled 8B hybrid of sections 11.2-11.3."""
    layers = WALEFFE_HYBRID_LAYERS
    total = sum(layers.values())
    return {
        "waleffe_hybrid_layers": str(total),
        "waleffe_mamba2_layers": str(layers["mamba2"]),
        "waleffe_attention_layers": str(layers["attention"]),
        "waleffe_mlp_layers": str(layers["mlp"]),
        "waleffe_attention_pct": f"{100 * layers['attention'] / total:.0f}",
        "waleffe_mamba2_per_attention": f"{layers['mamba2'] / layers['attention']:g}",
    }


MEASURED_CONTEXTS = {"128k": 2**17, "1m": 2**20}           # n of the measured-vs-modeled comparison


def _measured_numbers() -> dict[str, str]:
    """The token mixers timed on a GPU (instruments/data/, read by instruments/measured.py)."""
    from instruments import measured

    runs = measured.load_runs()
    s = measured.series(runs)
    primary = measured.primary_attention(runs)
    lengths = sorted(set(s["ssd"]["prefill_n"]) & set(s[primary]["prefill_n"]))
    cross = measured.prefill_crossover(primary, "ssd", runs)
    flash = measured.prefill_crossover("attention_flash", "ssd", runs)
    if cross["bound"] != "interpolated" or flash["bound"] != "below":
        raise ValueError(f"the prose describes an interpolated crossover and FlashAttention-2 slower from the shortest "
                         f"length; the data say {cross} and {flash}")
    sig2 = lambda x: _thousands(measured.round_sig(x, 2))  # noqa: E731
    out = {
        "measured_gpu": runs["main"]["provenance"]["gpu"],
        "measured_crossover": sig2(cross["tokens"]),
        "measured_shortest": _thousands(lengths[0]),
        "measured_attention_tflops_1m": sig2(measured.attention_tflops(LONG_CONTEXT, primary, runs)),
        "measured_attention_1m_s": sig2(measured.value_at(s[primary]["prefill_n"], s[primary]["prefill_ms"], LONG_CONTEXT) / 1e3),
        "measured_ssd_1m_ms": sig2(measured.value_at(s["ssd"]["prefill_n"], s["ssd"]["prefill_ms"], LONG_CONTEXT)),
    }
    for key, n in MEASURED_CONTEXTS.items():
        ratio = measured.measured_ratio(n, primary, "ssd", runs=runs)
        model = measured.modeled_ratio(n, runs)
        out[f"measured_ratio_{key}"] = sig2(ratio)
        out[f"measured_flash_ratio_{key}"] = sig2(measured.measured_ratio(n, "attention_flash", "ssd", runs=runs))
        out[f"modeled_ratio_{key}"] = _thousands(model)
        out[f"measured_overstatement_{key}"] = sig2(model / ratio)
    a, m = s[primary], s["ssd"]
    step_ms = measured.value_at(a["decode_n"], a["decode_ms"], LONG_CONTEXT)
    out["measured_decode_attention_1m_ms"] = f"{measured.round_sig(step_ms, 2):g}"
    out["measured_decode_ssd_us"] = sig2(measured.value_at(m["decode_n"], m["decode_ms"], LONG_CONTEXT) * 1e3)
    out["measured_decode_ratio_1m"] = sig2(measured.measured_ratio(LONG_CONTEXT, primary, "ssd", "decode", runs))
    kv_bytes = measured.value_at(a["decode_n"], a["bytes_held"], LONG_CONTEXT)
    out["measured_kv_read_tbps"] = f"{measured.round_sig(kv_bytes / (step_ms / 1e3) / 1e12, 2):g}"
    return out


def quoted_numbers() -> dict[str, str]:
    """Every quotable number, formatted for prose (no units)."""
    return {
        **_measured_numbers(),
        **_cost_numbers(),
        **_quantization_numbers(),
        **_hybrid_evidence_numbers(),
    }
