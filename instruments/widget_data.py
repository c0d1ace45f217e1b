"""Build-time data for the three browser instruments (``eq-11-1``, ``eq-11-4``, ``eq-11-5``, ``eq-11-6``).

Glossary of symbols
-------------------
n : context length      d : model width      N : SSM state size
E : SSM expansion       d_h : head width     k : hybrid period
b : bit-width           P : parameter count

The page draws the instruments with Plotly and no Python, so every position
a control can take is evaluated here, once, with the same functions the
tests and the code cells use.  Each ``*_data()`` returns plain JSON-ready
dicts of lists (arrays, not per-point objects, to keep the page small).
Array order always follows the axis lists stored next to them
(``context_lengths``, ``hybrid_periods``, ``bit_widths``).
"""

from dataclasses import asdict

import numpy as np

from . import cost, defaults, measured
from .catalog import INSTRUMENTS, module_name
from .architectures import FAMILIES, MODEL_PRESETS, family_costs, model_costs
from .formats import FORMATS, MC_SEED, MC_SIZE, format_error_gaussian
from .rotation import ROTATION_EXAMPLE, rotation_errors
from .quantization import (
    BIT_WIDTHS,
    MODEL_SIZES,
    REGIME_THRESHOLDS,
    REGIMES,
    FIXED_CLIP,
    best_clip_uniform_error,
    fixed_clip_uniform_error,
    midrise_levels,
    rate_distortion_bound,
    regime,
    uniform_levels,
    weight_storage_gb,
    absmean_ternary_error,
    best_ternary_error,
)

__all__ = [
    "CONTEXT_LENGTHS",
    "MODEL_WIDTHS",
    "STATE_SIZES",
    "HYBRID_PERIODS",
    "ARCHITECTURE_WIDTH",
    "ARCHITECTURE_STATE",
    "HEAD_WIDTH",
    "EXPANSION",
    "CONV_WIDTH",
    "BYTES_PER_VALUE",
    "width_state_key",
    "scaling_explorer_data",
    "architecture_matrix_data",
    "bit_width_data",
    "all_instrument_data",
]

CONTEXT_LENGTHS = tuple(2**p for p in range(9, 21))
"""Context slider: 512 ... 1,048,576 tokens (powers of 2)."""

MODEL_WIDTHS = (1024, 2048, 4096, 8192)
"""Model-width selector d."""

STATE_SIZES = (16, 32, 64, 128)
"""SSM state-size selector N (Mamba used 16; Mamba-2 defaults to 128, the running example)."""

HYBRID_PERIODS = (1, 2, 4, 6, 8, 12, 16)
"""Hybrid selector k: one attention layer in every k (1 = pure Transformer)."""

ARCHITECTURE_WIDTH = defaults.WIDTH
"""Fixed d of the architecture matrix (the running example)."""

ARCHITECTURE_STATE = defaults.STATE_SIZE
"""Fixed N of the architecture matrix (the Mamba-2 default)."""

HEAD_WIDTH = defaults.HEAD_WIDTH
"""d_h of attention and linear-attention heads in both instruments."""

EXPANSION = defaults.EXPANSION
"""E of the SSM layers in both instruments."""

CONV_WIDTH = defaults.CONV_WIDTH
"""w, the causal convolution of the SSM layers in both instruments."""

BYTES_PER_VALUE = defaults.BYTES_PER_VALUE
"""fp16/bf16 cache and state entries."""

SCALING_START = {"n": 2**17, "d": defaults.WIDTH, "N": defaults.STATE_SIZE}
"""Where the scaling explorer's controls start: 131,072 tokens, the running example."""

MATRIX_START = {"n": 2**17, "k": 8}
"""Where the architecture matrix starts: 131,072 tokens, one attention layer in 8 (Jamba's ratio)."""

WEIGHT_MODES = ("gaussian", "outliers")
"""The bit-width slider's weights: Gaussian, or heavy tails with outlier channels (rotation)."""

BIT_WIDTH_START = {"b": 4, "P": "70B", "w": "gaussian"}
"""Where the bit-width slider starts: 4 bits, a 70B model, Gaussian weights."""


def _floats(values):
    return [float(v) for v in np.ravel(values)]


def _checked_start(start: dict, **options) -> dict:
    """``start`` (a widget's first control values), each checked against its options."""
    for key, value in start.items():
        if value not in options[key]:
            raise ValueError(f"start value {key}={value!r} is not one of {options[key]}")
    return dict(start)


def width_state_key(d, N):
    """Key of one (d, N) series in :func:`scaling_explorer_data`, e.g. ``"4096,16"``.

    Examples
    --------
    >>> width_state_key(4096, 16)
    '4096,16'
    """
    return f"{int(d)},{int(N)}"


def scaling_explorer_data():
    """Series for the scaling explorer, every (d, N) over every n (``eq-11-1``, ``eq-11-4``, ``eq-11-5``).

    Returns
    -------
    dict
        ``context_lengths`` (12 ints), ``model_widths`` (4), ``state_sizes``
        (4), ``E``, ``d_h``, ``conv_width``, ``bytes_per_value``, and
        ``series``: for each key ``width_state_key(d, N)`` (16 keys) a dict
        with lists over n of ``attention_flops``, ``ssm_flops``,
        ``linear_flops`` (H = d / d_h heads of linear attention), ``ratio``
        (attention / SSM) and ``kv_cache_bytes``, plus the scalars
        ``ssm_state_bytes`` (scan and convolution state) and
        ``linear_state_bytes``; ``measured``: the same layers timed on a GPU
        (:func:`instruments.measured.explorer_data`, lists over n with ``None``
        where a length was not measured).

    Examples
    --------
    >>> data = scaling_explorer_data()
    >>> len(data["series"]), len(data["series"]["4096,128"]["ratio"])
    (16, 12)
    >>> data["series"]["4096,128"]["ratio"][-1]  # n / (E N) at a million tokens
    4096.0
    """
    n = np.array(CONTEXT_LENGTHS)
    b = BYTES_PER_VALUE
    series = {}
    for d in MODEL_WIDTHS:
        for N in STATE_SIZES:
            series[width_state_key(d, N)] = {
                "attention_flops": _floats(cost.attention_flops(n, d)),
                "ssm_flops": _floats(cost.ssm_flops(n, d, N, E=EXPANSION)),
                "linear_flops": _floats(cost.linear_attention_flops(n, d, HEAD_WIDTH)),
                "ratio": _floats(cost.attention_to_ssm_ratio(n, N, E=EXPANSION)),
                "kv_cache_bytes": _floats(cost.kv_cache_bytes(n, d, b)),
                "ssm_state_bytes": cost.ssm_state_bytes(d, N, E=EXPANSION, conv_width=CONV_WIDTH, bytes_per_value=b),
                "linear_state_bytes": cost.linear_attention_state_bytes(d, HEAD_WIDTH, b),
            }
    return {
        "context_lengths": list(CONTEXT_LENGTHS),
        "model_widths": list(MODEL_WIDTHS),
        "state_sizes": list(STATE_SIZES),
        "E": EXPANSION,
        "d_h": HEAD_WIDTH,
        "conv_width": CONV_WIDTH,
        "bytes_per_value": b,
        "series": series,
        "measured": measured.explorer_data(CONTEXT_LENGTHS),
        "defaults": _checked_start(SCALING_START, n=CONTEXT_LENGTHS, d=MODEL_WIDTHS, N=STATE_SIZES),
    }


def architecture_matrix_data():
    """Rows, per-layer costs and released models for the architecture matrix (``eq-11-1``, ``eq-11-5``).

    Returns
    -------
    dict
        ``families`` (4 dicts with id, name, token_mix, decode_memory,
        exact_recall, best_at, weakest_at), ``context_lengths`` (12),
        ``hybrid_periods`` (7), ``d``, ``N``, ``E``, ``d_h``, ``conv_width``,
        ``bytes_per_value``, and ``flops`` / ``decode_bytes``: each maps
        ``transformer``, ``ssm`` and ``linear-attention`` to a list over n
        (12) and ``hybrid`` to a list over k (7) of lists over n (12).
        ``models`` lists the released models (id, name, family, mixer,
        attention_layers, recurrent_layers, layers, shape, source, ``state_bytes``,
        and lists over n of ``kv_cache_bytes`` and ``decode_bytes``).

    Examples
    --------
    >>> data = architecture_matrix_data()
    >>> [f["id"] for f in data["families"]]
    ['transformer', 'ssm', 'linear-attention', 'hybrid']
    >>> len(data["flops"]["hybrid"]), len(data["flops"]["hybrid"][0])
    (7, 12)
    >>> [m["name"] for m in data["models"]][:2]
    ['Llama-3.1-70B', 'Mamba-2 2.7B']
    """
    n = np.array(CONTEXT_LENGTHS)
    b = BYTES_PER_VALUE
    shape = dict(d_h=HEAD_WIDTH, E=EXPANSION, conv_width=CONV_WIDTH, bytes_per_value=b)
    by_k = [family_costs(n, ARCHITECTURE_WIDTH, ARCHITECTURE_STATE, k, **shape) for k in HYBRID_PERIODS]
    single = by_k[0]
    tables = {}
    for metric in ("flops", "decode_bytes"):
        row = {
            fid: _floats(np.broadcast_to(single[fid][metric], n.shape))
            for fid in ("transformer", "ssm", "linear-attention")
        }
        row["hybrid"] = [_floats(costs["hybrid"][metric]) for costs in by_k]
        tables[metric] = row
    models = []
    for preset in MODEL_PRESETS:
        costs = model_costs(preset, n, b)
        models.append({
            "id": preset.id,
            "name": preset.name,
            "family": preset.family,
            "mixer": preset.mixer,
            "attention_layers": preset.attention_layers,
            "recurrent_layers": preset.recurrent_layers,
            "layers": preset.layers,
            "shape": preset.shape,
            "source": preset.source,
            "state_bytes": float(costs["state_bytes"]),
            "kv_cache_bytes": _floats(costs["kv_cache_bytes"]),
            "decode_bytes": _floats(costs["decode_bytes"]),
        })
    return {
        "families": [asdict(f) for f in FAMILIES],
        "context_lengths": list(CONTEXT_LENGTHS),
        "hybrid_periods": list(HYBRID_PERIODS),
        "d": ARCHITECTURE_WIDTH,
        "N": ARCHITECTURE_STATE,
        "E": EXPANSION,
        "d_h": HEAD_WIDTH,
        "conv_width": CONV_WIDTH,
        "bytes_per_value": b,
        **tables,
        "models": models,
        "defaults": _checked_start(MATRIX_START, n=CONTEXT_LENGTHS, k=HYBRID_PERIODS),
    }


def bit_width_data():
    """Size, error and regime at every bit-width position (``eq-11-6``).

    Returns
    -------
    dict
        ``bit_widths`` (8), ``levels`` (midrise, ``round(2**b)``),
        ``midtread_levels`` (:func:`uniform_levels`), ``model_sizes``
        ({name: P}), ``storage_gb`` ({name: list over b}), ``regime``
        (label per b), ``regimes`` and ``regime_thresholds``,
        ``fixed_clip`` (the clip c of the fixed-clip curve, in sigma),
        ``error_curve`` with lists over b of ``fixed_clip`` (the midrise grid
        of ``eq-11-6`` clipped at +-c), ``best_clip`` (the same grid, clip
        tuned for b) and ``bound`` (rate-distortion ``2**-b``), ``ternary``
        with the ``absmean`` and ``best`` 3-level errors, ``formats``: for
        each of :data:`instruments.formats.FORMATS` its ``name``,
        ``elements``, effective ``bits``, Monte Carlo ``error`` and
        ``standard_error``, ``mc`` (``size`` and ``seed`` of that sample), and
        ``rotation``: lists over b of the ``plain`` and ``rotated`` errors of
        :func:`instruments.rotation.rotation_errors` on the weights described
        by its ``example`` (:data:`instruments.rotation.ROTATION_EXAMPLE`).

    Examples
    --------
    >>> data = bit_width_data()
    >>> data["bit_widths"][-2], data["storage_gb"]["70B"][-2]
    (2, 17.5)
    """
    b = np.array(BIT_WIDTHS, dtype=float)
    return {
        "bit_widths": list(BIT_WIDTHS),
        "levels": [int(v) for v in midrise_levels(b)],
        "midtread_levels": [int(v) for v in uniform_levels(b)],
        "model_sizes": dict(MODEL_SIZES),
        "storage_gb": {name: _floats(weight_storage_gb(p, b)) for name, p in MODEL_SIZES.items()},
        "regime": [str(r) for r in regime(b)],
        "regimes": list(REGIMES),
        "regime_thresholds": dict(REGIME_THRESHOLDS),
        "fixed_clip": FIXED_CLIP,
        "error_curve": {
            "fixed_clip": _floats(fixed_clip_uniform_error(b)),
            "best_clip": _floats(best_clip_uniform_error(b)),
            "bound": _floats(rate_distortion_bound(b)),
        },
        "ternary": {"absmean": absmean_ternary_error(), "best": best_ternary_error()},
        "formats": [
            {"name": f.name, "elements": f.elements, "bits": e.bits, "error": e.rmse,
             "standard_error": e.standard_error}
            for f, e in zip(FORMATS, map(format_error_gaussian, FORMATS))
        ],
        "mc": {"size": MC_SIZE, "seed": MC_SEED},
        "rotation": {
            **{key: _floats(v) for key, v in rotation_errors(b, **ROTATION_EXAMPLE).items()},
            "example": dict(ROTATION_EXAMPLE),
        },
        "modes": list(WEIGHT_MODES),
        "defaults": _checked_start(BIT_WIDTH_START, b=BIT_WIDTHS, P=tuple(MODEL_SIZES), w=WEIGHT_MODES),
    }


def all_instrument_data():
    """Data of every instrument of :data:`instruments.catalog.INSTRUMENTS`, keyed by its
    block name (each from this module's ``NAME_data()``).

    Returns
    -------
    dict
        ``{"scaling-explorer": ..., "architecture-matrix": ..., "bit-width": ...}``

    Examples
    --------
    >>> sorted(all_instrument_data())
    ['architecture-matrix', 'bit-width', 'scaling-explorer']
    """
    return {name: globals()[f"{module_name(name)}_data"]() for name in INSTRUMENTS}
