"""The instruments' views without JavaScript: a table of each one's default state.

Glossary of symbols
-------------------
n : context length      d : model width      N : SSM state size
k : hybrid period       b : bit-width        P : parameter count

:func:`fallback_html` lays out, from the same embedded data the widgets read
(:func:`instruments.widget_data.all_instrument_data`), what the page shows inside
``<div class="instrument-body">`` until the widget replaces it.  It writes no
number itself: where a table shows one, :func:`fmt` leaves a placeholder naming a
formatter of ``instruments/format.js``, and :func:`render` has that module, the
widgets' own, write every placeholder of the page in one Node process.  So the
table and the widget that replaces it read alike by construction.
"""

from __future__ import annotations

import html
import json
import numbers
import re
import shutil
import subprocess
from pathlib import Path

from .catalog import INSTRUMENTS, module_name

__all__ = ["FormattingError", "call_js", "fmt", "render", "fallback_html", "keyboard_box"]

# ── numbers, written by instruments/format.js ────────────────────────────────

FORMAT_JS = Path(__file__).with_name("format.js")


# NUL cannot occur in HTML text, so no table text is taken for a placeholder; the
# value is a JSON number, which HTML escaping leaves as it is.
_PLACEHOLDER = re.compile(r"\x00([A-Za-z0-9]+):([-+.0-9eE]+)\x00")

_RUNNER = r"""
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const { module, calls } = JSON.parse(readFileSync(0, "utf8"));
const exports = await import(pathToFileURL(module).href);
const written = calls.map(([name, value]) => {
  if (typeof exports[name] !== "function") throw new Error(`${module} exports no function '${name}'`);
  return exports[name](value);
});
process.stdout.write(JSON.stringify(written));
"""


class FormattingError(RuntimeError):
    """A module run under Node (``format.js``, ``chart_image.js``) wrote nothing: Node is
    missing or the module failed."""


def fmt(name: str, value: float) -> str:
    """A placeholder for ``value`` written by ``name`` of ``instruments/format.js``.

    Parameters
    ----------
    name : str
        A number formatter that ``format.js`` exports, e.g. ``"formatFlops"``
        (:func:`render` stops on a name it does not export, or on a function that
        returns no text).
    value : int or float
        A finite number.

    Returns
    -------
    str
        A marker that :func:`render` replaces with the formatted text.

    Raises
    ------
    ValueError
        If ``name`` cannot name a JavaScript function or ``value`` is not finite.
    TypeError
        If ``value`` is not a number.

    Examples
    --------
    >>> render({"cell": fmt("formatRatio", 65536.0)})
    {'cell': '65,536×'}
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
        raise ValueError(f"'{name}' cannot name a function of format.js")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} formats a number, got {value!r}")
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    return f"\x00{name}:{json.dumps(number, allow_nan=False)}\x00"


def call_js(module: Path, calls: list[tuple[str, object]], name: str | None = None) -> list[str]:
    """``function(argument)`` for each ``(function, argument)`` of ``calls``, from the
    exports of the pure ES module ``module``, in one Node process: the text each returns
    (``name``: how an error names the module; ``instruments/`` and its file by default).
    The build writes the instruments' numbers (``format.js``) and the static images of
    the cells' charts (``chart_image.js``) this way, with the page's own code."""
    if not calls:
        return []
    node = shutil.which("node")
    name = name or f"instruments/{module.name}"  # how errors name the module
    if node is None:
        raise FormattingError(f"Node.js is not installed: the build runs {name} under Node")
    request = {"module": str(module), "calls": [[function, argument] for function, argument in calls]}
    done = subprocess.run([node, "--input-type=module", "-e", _RUNNER], input=json.dumps(request),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    if done.returncode != 0:
        raise FormattingError(f"{name} failed under Node:\n{done.stderr.strip()}")
    written = json.loads(done.stdout)
    if len(written) != len(calls) or not all(isinstance(text, str) for text in written):
        raise FormattingError(f"{name} returned {written!r} for {calls!r}")
    return written


def render(fragments: dict[str, str]) -> dict[str, str]:
    """``fragments`` with every :func:`fmt` placeholder replaced by its text, HTML-escaped.

    All placeholders of all fragments are written by ``instruments/format.js`` in
    one Node process (the build renders every instrument's table in one call).

    Parameters
    ----------
    fragments : dict of str to str
        HTML (or plain text) holding placeholders, under any keys.

    Returns
    -------
    dict of str to str
        The same keys, the placeholders written out.

    Raises
    ------
    ValueError
        If a fragment holds a malformed placeholder.
    FormattingError
        If Node is not installed or ``format.js`` fails.

    Examples
    --------
    >>> render({"a": f"<td>{fmt('formatBytes', 131072)}</td>", "b": "no numbers"})
    {'a': '<td>131 KB</td>', 'b': 'no numbers'}
    """
    calls = sorted({found.groups() for text in fragments.values() for found in _PLACEHOLDER.finditer(text)})
    written = dict(zip(calls, call_js(FORMAT_JS, [(name, json.loads(value)) for name, value in calls])))
    out = {}
    for key, text in fragments.items():
        out[key] = _PLACEHOLDER.sub(lambda found: html.escape(written[found.groups()]), text)
        if "\x00" in out[key]:
            raise ValueError(f"a malformed number placeholder in {key!r}: {out[key]!r}")
    return out


# ── the static views ─────────────────────────────────────────────────────────

_e = html.escape


def keyboard_box(label: str, role: str | None = "region") -> str:
    """The attributes of a box of the build's HTML that may scroll: a named tab stop, so
    that the keyboard can scroll it without JavaScript (the page's ``markScrollable``
    and ``makeFocusableBox`` in ``widget.js`` give the same to the boxes it makes)."""
    return 'tabindex="0"' + (f' role="{role}"' if role else "") + f' aria-label="{_e(label)}"'


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
        f'<div class="table-scroll" {keyboard_box(label)}>'
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
            fmt("groupThousands", n),
            fmt("formatFlops", s["attention_flops"][i]),
            fmt("formatFlops", s["ssm_flops"][i]),
            fmt("formatFlops", s["linear_flops"][i]),
            fmt("formatRatio", s["ratio"][i]),
            fmt("formatBytes", s["kv_cache_bytes"][i]),
            fmt("formatBytes", s["ssm_state_bytes"]),
            fmt("formatBytes", s["linear_state_bytes"]),
        ]
        for i, n in enumerate(data["context_lengths"])
    ]
    caption = (
        f"Per layer, at model width d = {fmt('groupThousands', d)} (heads of d_h = {_plain(data['d_h'])}), "
        f"SSM expansion E = {_plain(data['E'])} and state size N = {_plain(N)}, "
        f"{_plain(data['bytes_per_value'])} bytes a stored value: "
        "token-mixing FLOPs and decode memory."
    )
    columns = ["Context length (tokens)", "Attention FLOPs", "SSM scan FLOPs", "Linear attention FLOPs",
               "Attention ÷ scan", "KV cache", "SSM state", "Linear-attention state"]
    modeled = _table("Scaling explorer table (scrolls sideways)", caption, columns, rows,
                     note="measured" not in data)
    return modeled + (_scaling_measured(data["measured"]) if "measured" in data else "")


def _plain(x) -> str:
    """A number shown as it is (an integer, the clip of 3σ), as the widgets write one in text."""
    return fmt("plainNumber", x)


def _or_dash(value, formatter: str) -> str:
    return "—" if value is None else fmt(formatter, value)


def _scaling_measured(m: dict) -> str:
    """The measured views as two tables: prefill time per layer, decode per token."""
    primary = m["primary_attention"]
    labels = {s["id"]: s["label"] for s in m["series"]}
    ids = [s["id"] for s in m["series"]]
    measured_at = [i for i, _ in enumerate(m["modeled_ratio"]) if any(m["prefill_ms"][k][i] for k in ids)]
    lengths = m["context_lengths"]
    rows = [
        [fmt("groupThousands", lengths[i])]
        + [_or_dash(m["prefill_ms"][k][i], "formatMs") for k in ids]
        + [_or_dash(m["measured_ratio"][i], "formatRatio"), fmt("formatRatio", m["modeled_ratio"][i])]
        for i in measured_at
    ]
    cross = m["crossover"]
    tokens = fmt("formatTokens", cross["tokens"])
    where = {"interpolated": f"at about {tokens}", "below": f"below {tokens}",
             "above": f"beyond {tokens}"}[cross["bound"]]
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
        [fmt("groupThousands", lengths[i])]
        + [_or_dash(m["decode_ms"][k][i], "formatMs") for k in ids]
        + [_or_dash(m["bytes_held"][k][i], "formatBytes") for k in held]
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

    attention = {"transformer": "every layer", "hybrid": fmt("formatPeriod", k)}
    rows = [[label] + [f[key] for f in families] for key, label in _MATRIX_ROWS]
    rows.append(["Attention layers"] + [attention.get(f["id"], "none") for f in families])
    rows.append(["Token-mix FLOPs per layer"] + [fmt("formatFlops", value("flops", f["id"])) for f in families])
    rows.append(["Decode memory per layer"] + [fmt("formatBytes", value("decode_bytes", f["id"])) for f in families])
    caption = (
        f"The last three rows at a context of {fmt('formatTokens', n)}, per layer "
        f"(d = {fmt('groupThousands', data['d'])} in heads of {_plain(data['d_h'])}; SSM with "
        f"E = {_plain(data['E'])}, N = {_plain(data['N'])} and a width-{_plain(data['conv_width'])} "
        f"convolution; {_plain(data['bytes_per_value'])} bytes a value); the hybrid has attention in "
        f"{fmt('formatPeriod', k)} layers and its numbers are means over its layers."
    )
    columns = ["Property"] + [f["name"] for f in families]
    families_table = _table("Architecture matrix table (scrolls sideways)", caption, columns, rows, note=False)
    model_rows = [
        [m["name"], m["layers"], fmt("memoryOrNone", m["kv_cache_bytes"][i]), fmt("memoryOrNone", m["state_bytes"]),
         fmt("formatBytes", m["decode_bytes"][i])]
        for m in data["models"]
    ]
    model_caption = (
        f"Released models at a context of {fmt('formatTokens', n)}: the whole model's decode memory for one "
        f"sequence, the KV cache of its attention layers plus the fixed state of its recurrent layers, "
        f"{_plain(data['bytes_per_value'])} bytes a value."
    )
    model_columns = ["Model", "Token-mixing layers", "KV cache", "Recurrent state", "Decode memory"]
    return families_table + _table("Released models table (scrolls sideways)", model_caption, model_columns,
                                   model_rows)


def _bit_width(data: dict) -> str:
    size = data["defaults"]["P"]
    curve = data["error_curve"]
    rows = [
        [
            fmt("formatBits", b),
            fmt("formatGB", data["storage_gb"][size][i]),
            fmt("formatPercent", curve["fixed_clip"][i]),
            fmt("formatPercent", curve["best_clip"][i]),
            fmt("formatPercent", curve["bound"][i]),
            data["regime"][i],
        ]
        for i, b in enumerate(data["bit_widths"])
    ]
    clip = _plain(data["fixed_clip"])
    caption = (
        f"Weight storage of a {size} model and relative RMSE of quantizing Gaussian weights on the "
        f"uniform grid of EQ 11.6, clipped at ±{clip}σ or at the best clip for each width, "
        "from 16 bits down to ternary (1.58 bits)."
    )
    columns = ["Bit-width", f"Weights, {size} model", f"Uniform, ±{clip}σ clip", "Uniform, best clip",
               "Rate–distortion bound", "Regime"]
    widths = _table("Bit-width table (scrolls sideways)", caption, columns, rows, note=False)
    formats = [
        [f["name"], f["elements"], fmt("formatBits", f["bits"]), fmt("formatPercent", f["error"]),
         fmt("formatPercent", f["standard_error"])]
        for f in data["formats"]
    ]
    mc = data["mc"]
    caption = (
        f"Named formats at their effective bits per weight (scales counted), and their relative RMSE "
        f"on {fmt('groupThousands', mc['size'])} Gaussian weights drawn with seed {_plain(mc['seed'])}."
    )
    columns = ["Format", "Elements and scale", "Bits per weight", "Relative RMSE", "Standard error"]
    return widths + _table("Weight formats table (scrolls sideways)", caption, columns, formats)


def fallback_html(name: str, data: dict) -> str:
    """Static HTML for instrument ``name``: a table of its default view, numbers as placeholders.

    Parameters
    ----------
    name : str
        ``"scaling-explorer"``, ``"architecture-matrix"`` or ``"bit-width"``.
    data : dict
        That instrument's entry of :func:`instruments.widget_data.all_instrument_data`.

    Returns
    -------
    str
        A captioned table (column headers ``scope="col"``) in a scrollable
        region; every number a :func:`fmt` placeholder, which :func:`render`
        writes as the widget writes it.

    Raises
    ------
    KeyError
        If ``name`` is not an instrument.

    Examples
    --------
    >>> from instruments.widget_data import bit_width_data
    >>> table = fallback_html("bit-width", bit_width_data())
    >>> "17.5 GB" in table, "17.5 GB" in render({"bit-width": table})["bit-width"]
    (False, True)
    """
    if name not in INSTRUMENTS:
        raise KeyError(f"no instrument '{name}' (known: {', '.join(INSTRUMENTS)})")
    return globals()[f"_{module_name(name)}"](data)
