"""The token mixers as measured on a GPU: the checked-in JSON and what is read off it.

Glossary of symbols
-------------------
n : context length (tokens)       d : model width, 4096
E : expansion factor, 2           N : SSM state size per channel, 128
t(n) : measured time of one layer (ms), the median of its timed repetitions

``tests/bench/measure_mixers.py`` timed one layer of each token mixer in bf16 on an
NVIDIA H200 and wrote ``instruments/data/mixers-h200.json`` (attention through PyTorch's
FlashAttention-2 backend, and fla-core's SSD, Gated DeltaNet and linear-attention
kernels) and ``instruments/data/mixers-h200-cudnn.json`` (attention through cuDNN, the
backend PyTorch picks by itself on that GPU). Nothing here runs a GPU: these functions
read those files, so the scaling explorer, the prose and the tests quote the same
measurement. The modeled side comes from :mod:`instruments.cost` (``eq-11-1``), at the shapes
that were measured.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import cost
from .errors import InstrumentArgumentError

__all__ = [
    "DATA_DIR",
    "RUN_FILES",
    "SERIES",
    "load_runs",
    "check_run",
    "series",
    "primary_attention",
    "loglog_slope",
    "crossover",
    "modeled_ratio",
    "measured_ratio",
    "value_at",
    "prefill_crossover",
    "attention_tflops",
    "explorer_data",
    "round_sig",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

RUN_FILES = {"main": "mixers-h200.json", "cudnn": "mixers-h200-cudnn.json"}
"""The two runs of the measuring script: all four kernels, and attention through cuDNN."""

SERIES = (
    # id, run, kernel in that run, short label
    ("attention_cudnn", "cudnn", "attention", "Attention, cuDNN"),
    ("attention_flash", "main", "attention", "Attention, FlashAttention-2"),
    ("ssd", "main", "ssd", "SSD (Mamba-2)"),
    ("gated_deltanet", "main", "gated_deltanet", "Gated DeltaNet"),
    ("linear_attention", "main", "linear_attention", "Linear attention"),
)
"""The measured series, in drawing order."""

BACKEND_NAMES = {"flash": "FlashAttention-2", "cudnn": "cuDNN", "efficient": "memory-efficient", "math": "math"}

_PROVENANCE_KEYS = ("gpu", "driver", "cuda", "torch", "triton", "fla_core", "started_utc", "command", "gpu_seconds")
_SHAPES = {  # what was measured must be the chapter's running example (instruments/defaults.py)
    ("d",): 4096,
    ("attention", "heads"): 32, ("attention", "head_dim"): 128,
    ("ssd", "expansion"): 2, ("ssd", "heads"): 64, ("ssd", "head_dim"): 128, ("ssd", "state"): 128,
    ("gated_deltanet", "heads"): 32, ("gated_deltanet", "key_dim"): 128, ("gated_deltanet", "value_dim"): 128,
    ("linear_attention", "heads"): 32, ("linear_attention", "key_dim"): 128,
}


def check_run(run: dict, name: str = "run") -> dict:
    """Check one measuring run's JSON: schema, provenance, shapes and rows; return it.

    Raises
    ------
    InstrumentArgumentError
        Naming the first thing that is missing or wrong.

    Examples
    --------
    >>> check_run(load_runs()["main"])["provenance"]["gpu"]
    'NVIDIA H200'
    """
    def fail(what):
        raise InstrumentArgumentError(f"{name}: {what}")

    if run.get("schema") != 1:
        fail(f"schema {run.get('schema')!r}, expected 1")
    for key in ("shapes", "provenance", "method", "correctness", "prefill", "decode"):
        if key not in run:
            fail(f"no {key!r}")
    missing = [k for k in _PROVENANCE_KEYS if k not in run["provenance"]]
    if missing:
        fail(f"provenance lacks {missing}")
    for path, value in _SHAPES.items():
        got = run["shapes"]
        for key in path:
            got = got.get(key, {}) if isinstance(got, dict) else None
        if got != value:
            fail(f"shape {'.'.join(path)} is {got!r}, the running example has {value}")
    if run["shapes"].get("dtype") != "bfloat16":
        fail("not measured in bfloat16")
    if not run.get("complete"):
        fail("the run did not finish")
    for kernel, check in run["correctness"].items():
        for part in ("prefill", "decode_step"):
            c = check[part]
            if not c["relative_error"] <= c["tolerance"]:
                fail(f"{kernel} {part} failed its check against the numpy reference")
    for phase in ("prefill", "decode"):
        for kernel, rows in run[phase].items():
            lengths = [r["n"] for r in rows]
            if lengths != sorted(set(lengths)):
                fail(f"{phase} {kernel}: lengths not increasing")
            for r in rows:
                if "median_ms" in r:
                    if not (r["min_ms"] <= r["median_ms"] <= r["max_ms"]) or r["reps"] < 1:
                        fail(f"{phase} {kernel} n={r['n']}: inconsistent statistics")
                    if r["reps"] != len(r["samples_ms"]):
                        fail(f"{phase} {kernel} n={r['n']}: reps and samples disagree")
                elif not r.get("status"):
                    fail(f"{phase} {kernel} n={r['n']}: neither a time nor a reason")
    return run


@lru_cache(maxsize=None)
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_runs(data_dir: Path | str = DATA_DIR) -> dict[str, dict]:
    """The checked runs, ``{"main": ..., "cudnn": ...}`` (see :data:`RUN_FILES`).

    Examples
    --------
    >>> runs = load_runs()
    >>> runs["main"]["attention_backend"]["backend"], runs["cudnn"]["attention_backend"]["backend"]
    ('flash', 'cudnn')
    """
    runs = {}
    for key, filename in RUN_FILES.items():
        path = Path(data_dir) / filename
        if not path.is_file():
            raise InstrumentArgumentError(f"no measured data at {path}")
        runs[key] = check_run(json.loads(_read(str(path))), filename)
    return runs


def _rows(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    done = [r for r in rows if "median_ms" in r]
    return np.array([r["n"] for r in done], dtype=float), np.array([r["median_ms"] for r in done], dtype=float)


def series(runs: dict | None = None) -> dict[str, dict]:
    """Every measured series: label, backend, prefill and decode medians by n.

    Returns
    -------
    dict
        ``{id: {"label", "kernel", "run", "backend", "prefill_n", "prefill_ms",
        "decode_n", "decode_ms", "bytes_held", "held_dtype", "not_run"}}`` with
        arrays over the lengths that ran, and ``not_run`` listing ``(phase, n,
        reason)`` for those that did not.

    Examples
    --------
    >>> s = series()
    >>> int(s["ssd"]["prefill_n"][0]), s["attention_cudnn"]["backend"]
    (2048, 'cudnn')
    """
    runs = load_runs() if runs is None else runs
    out = {}
    for sid, run_key, kernel, label in SERIES:
        run = runs[run_key]
        pn, pt = _rows(run["prefill"][kernel])
        dn, dtm = _rows(run["decode"][kernel])
        done = [r for r in run["decode"][kernel] if "median_ms" in r]
        out[sid] = {
            "label": label,
            "kernel": kernel,
            "run": run_key,
            "backend": run.get("attention_backend", {}).get("backend") if kernel == "attention" else "fla-core",
            "prefill_n": pn, "prefill_ms": pt,
            "decode_n": dn, "decode_ms": dtm,
            "bytes_held": np.array([r["bytes_held"] for r in done], dtype=float),
            "held_dtype": done[0]["held_dtype"] if done else None,
            "not_run": [(phase, r["n"], r["status"]) for phase in ("prefill", "decode")
                        for r in run[phase][kernel] if "median_ms" not in r],
        }
    return out


def primary_attention(runs: dict | None = None) -> str:
    """The attention series the readouts and the prose compare with: PyTorch's own choice.

    ``scaled_dot_product_attention`` picks a backend by itself; each run profiled which
    kernels that choice launched (``attention_backend.default_dispatch``). The series
    whose forced backend is the one PyTorch picks is the primary one.

    Examples
    --------
    >>> primary_attention()
    'attention_cudnn'
    """
    runs = load_runs() if runs is None else runs
    launched = " ".join(runs["main"]["attention_backend"].get("default_dispatch", [])).lower()
    for sid, run_key, kernel, _ in SERIES:
        if kernel == "attention" and runs[run_key]["attention_backend"]["backend"] in launched:
            return sid
    return "attention_flash"


def loglog_slope(n, t, last: int = 4) -> float:
    """Least-squares slope of log t against log n over the ``last`` longest lengths.

    A cost that grows like n^p has slope p: 2 for attention (``eq-11-1``), 1 for a scan.

    Examples
    --------
    >>> round(loglog_slope([1, 2, 4, 8, 16], [5, 4, 16, 64, 256]), 12)
    2.0
    """
    n = np.asarray(n, dtype=float)
    t = np.asarray(t, dtype=float)
    if n.shape != t.shape or n.ndim != 1 or len(n) < max(2, last):
        raise InstrumentArgumentError(f"need at least {max(2, last)} lengths and times of one shape, got {n.shape}, {t.shape}")
    if np.any(n[-last:] <= 0) or np.any(t[-last:] <= 0):
        raise InstrumentArgumentError("lengths and times must be > 0")
    slope, _ = np.polyfit(np.log(n[-last:]), np.log(t[-last:]), 1)
    return float(slope)


def crossover(n, slow, fast) -> dict:
    """Where ``slow`` (attention) first becomes slower than ``fast``, on log-log axes.

    Between two measured lengths the crossing is interpolated linearly in
    (log n, log t_slow - log t_fast).

    Returns
    -------
    dict
        ``{"tokens": float, "bound": "interpolated"}``; or ``{"tokens": n[0], "bound":
        "below"}`` when ``slow`` is slower already at the shortest length, or
        ``{"tokens": n[-1], "bound": "above"}`` when it never is.

    Examples
    --------
    Attention 4x faster at 1,000 tokens and 4x slower at 4,000 crosses halfway on a log axis:

    >>> c = crossover([1000, 4000], [1.0, 16.0], [4.0, 4.0])
    >>> round(c["tokens"], 6), c["bound"]
    (2000.0, 'interpolated')
    >>> crossover([1000, 2000], [3.0, 9.0], [2.0, 4.0])["bound"]
    'below'
    """
    n, slow, fast = (np.asarray(v, dtype=float) for v in (n, slow, fast))
    if not (n.shape == slow.shape == fast.shape) or n.ndim != 1 or len(n) < 2:
        raise InstrumentArgumentError("need two or more lengths, with one time of each kind per length")
    if np.any(n <= 0) or np.any(slow <= 0) or np.any(fast <= 0) or np.any(np.diff(n) <= 0):
        raise InstrumentArgumentError("lengths must increase and times be > 0")
    gap = np.log(slow) - np.log(fast)
    if gap[0] > 0:
        return {"tokens": float(n[0]), "bound": "below"}
    for i in range(len(n) - 1):
        if gap[i] <= 0 < gap[i + 1]:
            x0, x1 = np.log(n[i]), np.log(n[i + 1])
            x = x0 + (x1 - x0) * (-gap[i]) / (gap[i + 1] - gap[i])
            return {"tokens": float(np.exp(x)), "bound": "interpolated"}
    return {"tokens": float(n[-1]), "bound": "above"}


def _shape(runs, *path):
    value = runs["main"]["shapes"]
    for key in path:
        value = value[key]
    return value


def modeled_ratio(n, runs: dict | None = None):
    """The attention-to-scan FLOP ratio of ``eq-11-1``, ``n / (E N)``, at the measured shapes.

    Examples
    --------
    >>> modeled_ratio(2**20)
    4096.0
    """
    runs = load_runs() if runs is None else runs
    return cost.attention_to_ssm_ratio(n, _shape(runs, "ssd", "state"), E=_shape(runs, "ssd", "expansion"))


def value_at(n_list, values, n) -> float:
    """The entry of ``values`` measured at context ``n``.

    Raises
    ------
    InstrumentArgumentError
        If ``n`` was not measured.

    Examples
    --------
    >>> value_at([2048, 4096], [0.5, 1.5], 4096)
    1.5
    """
    hits = np.nonzero(np.asarray(n_list) == n)[0]
    if len(hits) == 0:
        raise InstrumentArgumentError(f"n = {n} was not measured")
    return float(np.asarray(values)[hits[0]])


def prefill_crossover(attention: str | None = None, mixer: str = "ssd", runs: dict | None = None) -> dict:
    """:func:`crossover` of a measured attention series and a mixer, over the lengths both ran.

    Examples
    --------
    >>> prefill_crossover("attention_flash")
    {'tokens': 2048.0, 'bound': 'below'}
    """
    runs = load_runs() if runs is None else runs
    s = series(runs)
    a, m = s[attention or primary_attention(runs)], s[mixer]
    common = np.intersect1d(a["prefill_n"], m["prefill_n"])
    return crossover(common, [value_at(a["prefill_n"], a["prefill_ms"], n) for n in common],
                     [value_at(m["prefill_n"], m["prefill_ms"], n) for n in common])


def measured_ratio(n: int, attention: str | None = None, mixer: str = "ssd", phase: str = "prefill",
                   runs: dict | None = None) -> float:
    """Measured time of an attention layer over that of ``mixer`` at context ``n``.

    Examples
    --------
    >>> round(measured_ratio(2**20, "attention_flash"))
    497
    """
    runs = load_runs() if runs is None else runs
    s = series(runs)
    attention = attention or primary_attention(runs)
    a, m = s[attention], s[mixer]
    return value_at(a[f"{phase}_n"], a[f"{phase}_ms"], n) / value_at(m[f"{phase}_n"], m[f"{phase}_ms"], n)


def attention_tflops(n: int, attention: str | None = None, runs: dict | None = None) -> float:
    """Arithmetic rate of a measured causal attention layer, in 10^12 FLOP/s.

    The layer performs ``2 n^2 d`` floating-point operations: the ``n^2 d``
    multiply-adds of ``eq-11-1`` for the scores and as many for the weighted sum of values, two
    operations each, halved because a causal kernel skips the masked half.

    Examples
    --------
    >>> 400 < attention_tflops(2**20) < 600
    True
    """
    runs = load_runs() if runs is None else runs
    s = series(runs)[attention or primary_attention(runs)]
    seconds = value_at(s["prefill_n"], s["prefill_ms"], n) / 1e3
    return 2 * n**2 * _shape(runs, "d") / seconds / 1e12


def round_sig(x: float, digits: int = 2) -> float:
    """``x`` to ``digits`` significant digits, for numbers that are not exact.

    Examples
    --------
    >>> round_sig(3365.2), round_sig(35.64), round_sig(0.011225, 2)
    (3400.0, 36.0, 0.011)
    """
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - int(np.floor(np.log10(abs(x))))))


def _rounded(cross: dict) -> dict:
    """An interpolated crossover to two significant digits; a bound stays the length it is."""
    if cross["bound"] == "interpolated":
        return {"tokens": round_sig(cross["tokens"]), "bound": "interpolated"}
    return dict(cross)


def _floats(values):
    return [float(v) for v in np.ravel(values)]


def explorer_data(context_lengths) -> dict:
    """The scaling explorer's measured views, aligned with its context slider.

    Each list runs over ``context_lengths`` (the slider's stops) and holds ``None``
    where that length was not measured.

    Examples
    --------
    >>> data = explorer_data([512, 2048, 2**20])
    >>> data["prefill_ms"]["ssd"][0] is None, data["crossover"]["bound"], data["gpu"]
    (True, 'interpolated', 'NVIDIA H200')
    """
    runs = load_runs()
    s = series(runs)
    primary = primary_attention(runs)
    lengths = [int(n) for n in context_lengths]

    def aligned(ns, values):
        table = dict(zip(ns.astype(int).tolist(), _floats(values)))
        return [table.get(n) for n in lengths]

    prefill = {sid: aligned(v["prefill_n"], v["prefill_ms"]) for sid, v in s.items()}
    decode = {sid: aligned(v["decode_n"], v["decode_ms"]) for sid, v in s.items()}
    held = {sid: aligned(v["decode_n"], v["bytes_held"]) for sid, v in s.items()}
    cross = prefill_crossover(primary, "ssd", runs)
    flash_cross = prefill_crossover("attention_flash", "ssd", runs)
    ratio = [p / q if p and q else None for p, q in zip(prefill[primary], prefill["ssd"])]
    decode_ratio = [p / q if p and q else None for p, q in zip(decode[primary], decode["ssd"])]
    prov = runs["main"]["provenance"]
    reps = [r["reps"] for run in runs.values() for rows in run["prefill"].values() for r in rows if "reps" in r]
    return {
        "gpu": prov["gpu"],
        "context_lengths": lengths,
        "primary_attention": primary,
        "series": [{"id": sid, "label": label, "held_dtype": s[sid]["held_dtype"]} for sid, _, _, label in SERIES],
        "prefill_ms": prefill,
        "decode_ms": decode,
        "bytes_held": held,
        "measured_ratio": ratio,
        "decode_ratio": decode_ratio,
        "modeled_ratio": _floats(modeled_ratio(np.array(lengths), runs)),
        "reps": [min(reps), max(reps)],
        "crossover": _rounded(cross),
        "flash_crossover": _rounded(flash_cross),
        "shapes": {"d": _shape(runs, "d"), "E": _shape(runs, "ssd", "expansion"), "N": _shape(runs, "ssd", "state"),
                   "heads": _shape(runs, "attention", "heads"), "d_h": _shape(runs, "attention", "head_dim")},
        "provenance": {k: prov[k] for k in ("gpu", "driver", "cuda", "torch", "triton", "fla_core")}
        | {"date": prov["started_utc"][:10]},
    }
