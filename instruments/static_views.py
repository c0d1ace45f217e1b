"""The instruments' views without JavaScript: a table of each one's default state.

Glossary of symbols
-------------------
n : context length      d : model width      N : SSM state size
k : hybrid period       b : bit-width        P : parameter count

:func:`fallback_html` renders, from the same embedded data the widgets read
(:func:`instruments.tables.all_instrument_data`), what the page shows inside
``<div class="instrument-body">`` until the widget replaces it.  The number
formatters here mirror ``instruments/format.js`` digit for digit (JavaScript's
``toPrecision`` / ``toExponential`` round exact binary halves up, so do these,
with :mod:`decimal`), and ``tests/test_js_units.py`` checks that both agree on
every value an instrument can show.
"""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "group_thousands",
    "sig3",
    "format_flops",
    "format_ratio",
    "format_bytes",
    "format_gb",
    "format_percent",
    "format_ms",
    "format_tokens",
    "short_tokens",
    "format_bits",
    "format_period",
    "memory_or_none",
    "fallback_html",
]

# ── formatting, as instruments/format.js does it ─────────────────────────────


def _round_sig(x: float, digits: int) -> Decimal:
    """``x`` rounded to ``digits`` significant digits, exact halves up (as JS does)."""
    exact = Decimal(x)
    if exact == 0:
        return Decimal(0)
    quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    if len(rounded.as_tuple().digits) > digits:  # 999.7 -> 1.00E+3
        rounded = rounded.quantize(quantum.scaleb(1), rounding=ROUND_HALF_UP)
    return rounded


def _number(x) -> str:
    """A number as JavaScript's ``String(x)`` writes it (16 -> "16", 1.58 -> "1.58")."""
    value = float(x)
    return str(int(value)) if value.is_integer() else repr(value)


def group_thousands(x: float) -> str:
    """Round half up and group: ``65536 -> "65,536"``.

    Examples
    --------
    >>> group_thousands(65536), group_thousands(2.5)
    ('65,536', '3')
    """
    return f"{int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP)):,}"


def sig3(x: float) -> str:
    """Three significant digits, trailing zeros dropped (JS ``toPrecision(3)``).

    Examples
    --------
    >>> sig3(17.5), sig3(140.0), sig3(0.0625), sig3(3.125), sig3(999.7)
    ('17.5', '140', '0.0625', '3.13', '1.00e3')
    """
    if x == 0:
        return "0"
    rounded = _round_sig(x, 3)
    digits = "".join(map(str, rounded.as_tuple().digits))
    exponent = rounded.adjusted()
    if exponent < -6 or exponent >= 3:
        return f"{digits[0]}.{digits[1:]}e{exponent}"
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_flops(x: float) -> str:
    """``1.2e15 FLOPs`` (JS ``toExponential(1)``).

    Examples
    --------
    >>> format_flops(4503599627370496.0)
    '4.5e15 FLOPs'
    """
    rounded = _round_sig(x, 2)
    digits = "".join(map(str, rounded.as_tuple().digits))
    return f"{digits[0]}.{digits[1]}e{rounded.adjusted()} FLOPs"


def format_ratio(x: float) -> str:
    """``65,536×``; three significant digits below 100.

    Examples
    --------
    >>> format_ratio(65536.0), format_ratio(4.0)
    ('65,536×', '4×')
    """
    return f"{group_thousands(x)}×" if x >= 100 else f"{sig3(x)}×"


_BYTE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def format_bytes(x: float) -> str:
    """Decimal units, 3 significant digits: ``131072 -> "131 KB"``.

    Examples
    --------
    >>> format_bytes(131072.0), format_bytes(17179869184.0), format_bytes(999999.0)
    ('131 KB', '17.2 GB', '1 MB')
    """
    unit = 0
    while unit < len(_BYTE_UNITS) - 1 and x >= 1000 ** (unit + 1):
        unit += 1
    text = sig3(x / 1000**unit)
    if float(text) >= 1000 and unit < len(_BYTE_UNITS) - 1:
        unit += 1
        text = sig3(x / 1000**unit)
    return f"{text} {_BYTE_UNITS[unit]}"


def format_gb(gb: float) -> str:
    """Gigabytes given as such: ``17.5 -> "17.5 GB"``.

    Examples
    --------
    >>> format_gb(17.5), format_gb(79.9875), format_gb(0.5)
    ('17.5 GB', '80 GB', '500 MB')
    """
    return f"{sig3(gb)} GB" if 1 <= gb < 1000 else format_bytes(gb * 1e9)


def format_percent(x: float) -> str:
    """A relative error in percent: ``0.1188 -> "11.9%"``.

    Examples
    --------
    >>> format_percent(0.11881108374314113), format_percent(0.25)
    ('11.9%', '25%')
    """
    return f"{sig3(x * 100)}%"


_TIME_UNITS = (("µs", 1e-3), ("ms", 1.0), ("s", 1e3))


def format_ms(ms: float) -> str:
    """A time given in milliseconds, 3 significant digits in µs, ms or s.

    Examples
    --------
    >>> format_ms(0.01122), format_ms(437.72), format_ms(19400.0), format_ms(0.9997)
    ('11.2 µs', '438 ms', '19.4 s', '1 ms')
    """
    unit = 0 if ms < 1 else 1 if ms < 1000 else 2
    text = sig3(ms / _TIME_UNITS[unit][1])
    if float(text) >= 1000 and unit < len(_TIME_UNITS) - 1:
        unit += 1
        text = sig3(ms / _TIME_UNITS[unit][1])
    return f"{text} {_TIME_UNITS[unit][0]}"


def format_tokens(n: int) -> str:
    """``131,072 tokens``.

    Examples
    --------
    >>> format_tokens(131072)
    '131,072 tokens'
    """
    return f"{group_thousands(n)} tokens"


def short_tokens(n: int) -> str:
    """Tick-label lengths: ``512``, ``4K``, ``128K``, ``1M``.

    Examples
    --------
    >>> [short_tokens(n) for n in (512, 4096, 131072, 1048576)]
    ['512', '4K', '128K', '1M']
    """
    n = int(n)
    if n >= 2**20 and n % 2**20 == 0:
        return f"{n // 2**20}M"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024}K"
    return group_thousands(n)


def format_bits(b: float) -> str:
    """``4 bits``, ``1.58 bits``.

    Examples
    --------
    >>> format_bits(4), format_bits(1.58)
    ('4 bits', '1.58 bits')
    """
    return f"{_number(b)} bit{'' if float(b) == 1 else 's'}"


def format_period(k: int) -> str:
    """The hybrid's attention ratio: ``1 in every 8`` (``every layer`` for k = 1).

    Examples
    --------
    >>> format_period(8), format_period(1)
    ('1 in every 8', 'every layer')
    """
    return "every layer" if int(k) == 1 else f"1 in every {int(k)}"


# ── the static views ─────────────────────────────────────────────────────────

_e = html.escape


def _index(options: list, wanted) -> int:
    return [str(o) for o in options].index(str(wanted))


def _table(label: str, caption: str, columns: list[str], rows: list[list[str]], row_headers: bool = True,
           note: bool = True) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    body = []
    for row in rows:
        first, rest = row[0], row[1:]
        cell = f'<th scope="row">{_e(first)}</th>' if row_headers else f"<td>{_e(first)}</td>"
        body.append("<tr>" + cell + "".join(f"<td>{_e(v)}</td>" for v in rest) + "</tr>")
    # The caption is shown above the scroll box (inside it, it would scroll out of
    # sight on a phone) and kept, hidden, as the table's caption for screen readers.
    return (
        f'<p class="instrument-static-caption" aria-hidden="true">{_e(caption)}</p>'
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="{_e(label)}">'
        f'<table class="instrument-static"><caption class="visually-hidden">{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + ('<p class="instrument-static-note">With JavaScript on, controls here change these numbers.</p>'
           if note else "")
    )


def _scaling_explorer(data: dict) -> str:
    d, N = data["defaults"]["d"], data["defaults"]["N"]
    s = data["series"][f"{d},{N}"]
    rows = [
        [
            group_thousands(n),
            format_flops(s["attention_flops"][i]),
            format_flops(s["ssm_flops"][i]),
            format_flops(s["linear_flops"][i]),
            format_ratio(s["ratio"][i]),
            format_bytes(s["kv_cache_bytes"][i]),
            format_bytes(s["ssm_state_bytes"]),
            format_bytes(s["linear_state_bytes"]),
        ]
        for i, n in enumerate(data["context_lengths"])
    ]
    caption = (
        f"Per layer, at model width d = {group_thousands(d)} (heads of d_h = {data['d_h']}), "
        f"SSM expansion E = {data['E']} and state size N = {N}, {data['bytes_per_value']} bytes a stored value: "
        "token-mixing FLOPs and decode memory."
    )
    columns = ["Context length (tokens)", "Attention FLOPs", "SSM scan FLOPs", "Linear attention FLOPs",
               "Attention ÷ scan", "KV cache", "SSM state", "Linear-attention state"]
    modeled = _table("Scaling explorer table (scrolls sideways)", caption, columns, rows,
                     note="measured" not in data)
    return modeled + (_scaling_measured(data["measured"]) if "measured" in data else "")


def _or_dash(value, format_value) -> str:
    return "—" if value is None else format_value(value)


def _scaling_measured(m: dict) -> str:
    """The measured views as two tables: prefill time per layer, decode per token."""
    primary = m["primary_attention"]
    labels = {s["id"]: s["label"] for s in m["series"]}
    ids = [s["id"] for s in m["series"]]
    measured_at = [i for i, _ in enumerate(m["modeled_ratio"]) if any(m["prefill_ms"][k][i] for k in ids)]
    lengths = m["context_lengths"]
    rows = [
        [group_thousands(lengths[i])]
        + [_or_dash(m["prefill_ms"][k][i], format_ms) for k in ids]
        + [_or_dash(m["measured_ratio"][i], format_ratio), format_ratio(m["modeled_ratio"][i])]
        for i in measured_at
    ]
    cross = m["crossover"]
    where = {"interpolated": f"at about {format_tokens(cross['tokens'])}",
             "below": f"below {format_tokens(cross['tokens'])}",
             "above": f"beyond {format_tokens(cross['tokens'])}"}[cross["bound"]]
    caption = (
        f"Measured on an {m['gpu']}: one layer's forward pass in bf16 (median time), and the ratio of the "
        f"{labels[primary].split(', ')[-1]} attention layer's time to the SSD layer's next to EQ 11.1's modeled "
        f"n/(E·N). The SSD layer becomes the faster of the two {where}."
    )
    prefill = _table("Measured prefill table (scrolls sideways)", caption,
                     ["Context length (tokens)"] + [labels[k] for k in ids] + ["Attention ÷ SSD, measured",
                                                                                "Attention ÷ SSD, modeled"],
                     rows, note=False)
    decoded = [i for i in range(len(lengths)) if m["decode_ms"][primary][i] is not None]
    held = [primary, "ssd", "gated_deltanet"]
    rows = [
        [group_thousands(lengths[i])]
        + [_or_dash(m["decode_ms"][k][i], format_ms) for k in ids]
        + [_or_dash(m["bytes_held"][k][i], format_bytes) for k in held]
        for i in decoded
    ]
    caption = (
        f"Measured on an {m['gpu']}: time to produce one token at context n, and the bytes each layer keeps for "
        "decoding (the KV cache in bf16, the recurrent states in fp32)."
    )
    decode = _table("Measured decode table (scrolls sideways)", caption,
                    ["Context length (tokens)"] + [f"{labels[k]}, per token" for k in ids]
                    + ["KV cache held", "SSD state held", "Gated DeltaNet state held"], rows)
    return prefill + decode


def memory_or_none(x: float) -> str:
    """``format_bytes``, or ``none`` for nothing kept.

    Examples
    --------
    >>> memory_or_none(0.0), memory_or_none(42949672960.0)
    ('none', '42.9 GB')
    """
    return format_bytes(x) if x else "none"


_MATRIX_ROWS = (
    ("token_mix", "Token-mix cost"),
    ("decode_memory", "Decode memory"),
    ("exact_recall", "Exact recall"),
    ("best_at", "Best at"),
    ("weakest_at", "Weakest at"),
)


def _architecture_matrix(data: dict) -> str:
    n, k = data["defaults"]["n"], data["defaults"]["k"]
    i = _index(data["context_lengths"], n)
    j = _index(data["hybrid_periods"], k)
    families = data["families"]

    def value(metric: str, fid: str) -> float:
        return data[metric]["hybrid"][j][i] if fid == "hybrid" else data[metric][fid][i]

    attention = {"transformer": "every layer", "hybrid": format_period(k)}
    rows = [[label] + [f[key] for f in families] for key, label in _MATRIX_ROWS]
    rows.append(["Attention layers"] + [attention.get(f["id"], "none") for f in families])
    rows.append(["Token-mix FLOPs per layer"] + [format_flops(value("flops", f["id"])) for f in families])
    rows.append(["Decode memory per layer"] + [format_bytes(value("decode_bytes", f["id"])) for f in families])
    caption = (
        f"The last three rows at a context of {format_tokens(n)}, per layer (d = {group_thousands(data['d'])} "
        f"in heads of {data['d_h']}; SSM with E = {data['E']}, N = {data['N']} and a width-{data['conv_width']} "
        f"convolution; {data['bytes_per_value']} bytes a value); the hybrid has attention in "
        f"{format_period(k)} layers and its numbers are means over its layers."
    )
    columns = ["Property"] + [f["name"] for f in families]
    families_table = _table("Architecture matrix table (scrolls sideways)", caption, columns, rows, note=False)
    model_rows = [
        [m["name"], m["layers"], memory_or_none(m["kv_cache_bytes"][i]), memory_or_none(m["state_bytes"]),
         format_bytes(m["decode_bytes"][i])]
        for m in data["models"]
    ]
    model_caption = (
        f"Released models at a context of {format_tokens(n)}: the whole model's decode memory for one sequence, "
        f"the KV cache of its attention layers plus the fixed state of its recurrent layers, "
        f"{data['bytes_per_value']} bytes a value."
    )
    model_columns = ["Model", "Token-mixing layers", "KV cache", "Recurrent state", "Decode memory"]
    return families_table + _table("Released models table (scrolls sideways)", model_caption, model_columns,
                                   model_rows)


def _bit_width(data: dict) -> str:
    size = data["defaults"]["P"]
    curve = data["error_curve"]
    rows = [
        [
            format_bits(b),
            format_gb(data["storage_gb"][size][i]),
            format_percent(curve["fixed_clip"][i]),
            format_percent(curve["best_clip"][i]),
            format_percent(curve["bound"][i]),
            data["regime"][i],
        ]
        for i, b in enumerate(data["bit_widths"])
    ]
    clip = _number(data["fixed_clip"])
    caption = (
        f"Weight storage of a {size} model and relative RMSE of quantizing Gaussian weights on the "
        f"uniform grid of EQ 11.6, clipped at ±{clip}σ or at the best clip for each width, "
        "from 16 bits down to ternary (1.58 bits)."
    )
    columns = ["Bit-width", f"Weights, {size} model", f"Uniform, ±{clip}σ clip", "Uniform, best clip",
               "Rate–distortion bound", "Regime"]
    widths = _table("Bit-width table (scrolls sideways)", caption, columns, rows, note=False)
    formats = [
        [f["name"], f["elements"], format_bits(f["bits"]), format_percent(f["error"]),
         format_percent(f["standard_error"])]
        for f in data["formats"]
    ]
    mc = data["mc"]
    caption = (
        f"Named formats at their effective bits per weight (scales counted), and their relative RMSE "
        f"on {group_thousands(mc['size'])} Gaussian weights drawn with seed {mc['seed']}."
    )
    columns = ["Format", "Elements and scale", "Bits per weight", "Relative RMSE", "Standard error"]
    return widths + _table("Weight formats table (scrolls sideways)", caption, columns, formats)


_VIEWS = {
    "scaling-explorer": _scaling_explorer,
    "architecture-matrix": _architecture_matrix,
    "bit-width": _bit_width,
}


def fallback_html(name: str, data: dict) -> str:
    """Static HTML for instrument ``name``: a table of its default view.

    Parameters
    ----------
    name : str
        ``"scaling-explorer"``, ``"architecture-matrix"`` or ``"bit-width"``.
    data : dict
        That instrument's entry of :func:`instruments.tables.all_instrument_data`.

    Returns
    -------
    str
        A captioned table (column headers ``scope="col"``) in a scrollable
        region, numbers formatted as the widget formats them.

    Raises
    ------
    KeyError
        If ``name`` is not an instrument.

    Examples
    --------
    >>> from instruments.tables import bit_width_data
    >>> "17.5 GB" in fallback_html("bit-width", bit_width_data())
    True
    """
    return _VIEWS[name](data)
