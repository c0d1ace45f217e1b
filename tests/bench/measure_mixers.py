"""Time one layer's token mixing on a CUDA GPU: softmax attention against three linear mixers.

    python tests/bench/measure_mixers.py --out instruments/data/mixers-h200.json

Needs a CUDA GPU, PyTorch and fla-core (``pip install '.[measure]'``); the site never
runs it, it reads the JSON it wrote. Every kernel runs in bf16 on the chapter's
running example, d = 4096:

* ``attention``: causal softmax attention, H = 32 heads of d_h = 128, through
  ``torch.nn.functional.scaled_dot_product_attention`` with one backend forced (the
  first of ``--attention-backends`` that runs; the one that ran is recorded);
* ``ssd``: Mamba-2's SSD (eq-11-4) through fla-core's ``chunk_simple_gla``:
  E·d = 8192 channels as 64 heads of P = 128, state N = 128 per head (query = C,
  key = B, value = x, gate = log a_t, one scalar decay per head and step, scale 1);
* ``gated_deltanet``: fla-core's ``chunk_gated_delta_rule``, 32 heads,
  d_k = d_v = 128, queries and keys L2-normalised, beta in (0, 1);
* ``linear_attention``: fla-core's ``chunk_linear_attn`` with ``normalize=False``:
  causal linear attention with the identity feature map and no normaliser (eq-11-5's
  numerator), 32 heads of 128, scale 1/sqrt(128).

For each it records, per context length n: the prefill (forward) time of one layer
(median, min, max over the timed repetitions after a warm-up), the decode time of one
token at context n (attention reading a KV cache of n tokens; a recurrent mixer
stepping its fixed state), the bytes each keeps for decoding, the peak GPU memory of
each measurement, and, for a length that did not run, the reason. Before timing, each
kernel is checked against the chapter's numpy reference (``instruments/mixers.py``) on a
short sequence; a mismatch beyond ``--tolerance`` aborts the run.

Timing: CUDA events around each call, the device synchronised before reading them.
When a call can be captured as a CUDA graph, the graph is replayed instead, so the
time is the GPU's and not Python's launch overhead; each measurement says which.

The pure parts (argument handling, statistics, the comparison, the writer) import no
torch and are tested on any machine (``tests/test_measure_mixers.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from instruments import mixers  # noqa: E402

SCHEMA_VERSION = 1
KERNELS = ("attention", "ssd", "gated_deltanet", "linear_attention")
ATTENTION_BACKENDS = ("flash", "efficient", "cudnn", "math")
BF16_TOLERANCE = 2e-2
"""Largest accepted ||out - ref|| / ||ref|| of a bf16 kernel against the float64
reference: bf16 keeps 8 significant bits (relative rounding 2^-9 = 2e-3), and a kernel
that stores scores, chunk states or outputs in bf16 rounds several times."""

MODEL_WIDTH = 4096
SHAPES = {
    "d": MODEL_WIDTH,
    "dtype": "bfloat16",
    "batch": 1,
    "attention": {"heads": 32, "head_dim": 128, "causal": True, "scale": 128**-0.5},
    "ssd": {"expansion": 2, "channels": 8192, "heads": 64, "head_dim": 128, "state": 128, "scale": 1.0},
    "gated_deltanet": {"heads": 32, "key_dim": 128, "value_dim": 128, "scale": 128**-0.5},
    "linear_attention": {"heads": 32, "key_dim": 128, "value_dim": 128, "scale": 128**-0.5,
                         "feature_map": "identity", "normalised": False},
}
"""The running example. Decode state per layer: attention 2·n·d values (its KV cache),
SSD E·d·N = 1,048,576, Gated DeltaNet and linear attention H·d_k·d_v = 524,288."""

KERNEL_LABELS = {
    "attention": "softmax attention, torch.nn.functional.scaled_dot_product_attention (causal)",
    "ssd": "Mamba-2 SSD, fla.ops.simple_gla.chunk_simple_gla (scalar decay per head)",
    "gated_deltanet": "Gated DeltaNet, fla.ops.gated_delta_rule.chunk_gated_delta_rule",
    "linear_attention": "causal linear attention, fla.ops.linear_attn.chunk_linear_attn "
                        "(identity feature map, unnormalised)",
}
DECODE_LABELS = {
    "attention": "scaled_dot_product_attention of one query over a KV cache of n tokens",
    "ssd": "fla.ops.simple_gla.fused_recurrent_simple_gla, one step from the state",
    "gated_deltanet": "fla.ops.gated_delta_rule.fused_recurrent_gated_delta_rule, one step from the state",
    "linear_attention": "fla.ops.linear_attn.fused_recurrent_linear_attn, one step from the state",
}


class MeasureError(RuntimeError):
    """The run cannot go on (no GPU, a kernel disagrees with its reference)."""


# ── arguments ────────────────────────────────────────────────────────────────


def parse_length(text: str) -> int:
    """A context length as typed: ``4096``, ``4K`` (= 4096) or ``1M`` (= 1,048,576).

    Examples
    --------
    >>> parse_length("2K"), parse_length("1M"), parse_length("512")
    (2048, 1048576, 512)
    """
    raw = str(text).strip().upper()
    factor = 1
    if raw.endswith("K"):
        factor, raw = 1024, raw[:-1]
    elif raw.endswith("M"):
        factor, raw = 1024**2, raw[:-1]
    try:
        value = int(raw) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a context length: {text!r} (try 4096, 4K or 1M)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a context length must be >= 1, got {text!r}")
    return value


def doubling(low: int, high: int) -> list[int]:
    """Lengths from ``low`` doubling up to ``high`` inclusive.

    Examples
    --------
    >>> doubling(2048, 16384)
    [2048, 4096, 8192, 16384]
    """
    if low < 1 or high < low:
        raise ValueError(f"need 1 <= low <= high, got {low} and {high}")
    out = [low]
    while out[-1] * 2 <= high:
        out.append(out[-1] * 2)
    return out


def _kernel_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in KERNELS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"kernels are {', '.join(KERNELS)}; got {text!r}")
    return names


def _backend_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in ATTENTION_BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"attention backends are {', '.join(ATTENTION_BACKENDS)}; got {text!r}")
    return names


def _positive(kind):
    def convert(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return value
    return convert


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line. Lengths accept ``K`` and ``M`` suffixes.

    Examples
    --------
    >>> args = parse_args(["--out", "x.json", "--prefill", "2K", "8K", "--kernels", "ssd,attention"])
    >>> args.prefill_lengths, args.kernels, args.reps
    ([2048, 4096, 8192], ['ssd', 'attention'], 10)
    """
    p = argparse.ArgumentParser(
        prog="measure_mixers.py",
        description="Time one layer of token mixing (softmax attention, SSD, Gated DeltaNet, "
                    "linear attention) on a CUDA GPU and write the results as JSON.",
    )
    p.add_argument("--out", type=Path, required=True, help="JSON file to write (rewritten after every measurement)")
    p.add_argument("--prefill", nargs=2, type=parse_length, default=[2048, 2**20], metavar=("LOW", "HIGH"),
                   help="prefill lengths, doubling from LOW to HIGH (default 2K 1M)")
    p.add_argument("--decode", nargs=2, type=parse_length, default=[4096, 2**20], metavar=("LOW", "HIGH"),
                   help="decode context lengths, doubling (default 4K 1M)")
    p.add_argument("--kernels", type=_kernel_list, default=list(KERNELS),
                   help=f"comma-separated subset of {','.join(KERNELS)}")
    p.add_argument("--attention-backends", type=_backend_list, default=list(ATTENTION_BACKENDS),
                   help="SDPA backends to try in order; the first that runs is used (default flash,efficient,cudnn,math)")
    p.add_argument("--reps", type=_positive(int), default=10, help="timed repetitions per point (default 10)")
    p.add_argument("--min-reps", type=_positive(int), default=3,
                   help="fewest repetitions where --reps would exceed --point-budget (default 3)")
    p.add_argument("--point-budget", type=_positive(float), default=25.0,
                   help="seconds of timed calls per point before repetitions are cut (default 25)")
    p.add_argument("--decode-iters", type=_positive(int), default=50,
                   help="decode steps per timed repetition (default 50)")
    p.add_argument("--max-call", type=_positive(float), default=60.0,
                   help="skip a point whose single call is predicted to take longer (seconds, default 60)")
    p.add_argument("--deadline", type=_positive(float), default=540.0,
                   help="stop starting new points after this many seconds (default 540)")
    p.add_argument("--check-n", type=_positive(int), default=300,
                   help="tokens of the correctness check against numpy (default 300: a partial last chunk)")
    p.add_argument("--tune-n", type=parse_length, default=65536,
                   help="length of the first call of each fla kernel, where Triton autotunes (default 64K)")
    p.add_argument("--tolerance", type=_positive(float), default=BF16_TOLERANCE,
                   help=f"largest relative error against the reference (default {BF16_TOLERANCE})")
    p.add_argument("--no-graphs", action="store_true", help="time eager calls, never CUDA graph replays")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    args.prefill_lengths = doubling(*args.prefill)
    args.decode_lengths = doubling(*args.decode)
    if args.min_reps > args.reps:
        p.error(f"--min-reps ({args.min_reps}) exceeds --reps ({args.reps})")
    return args


# ── statistics ───────────────────────────────────────────────────────────────


def plan_reps(first_call_s: float, reps: int, min_reps: int, budget_s: float) -> int:
    """How many timed repetitions a point gets, from the time of its warm-up call.

    ``reps`` when they fit in ``budget_s``; else as many as fit, but never fewer than
    ``min_reps``.

    Examples
    --------
    >>> plan_reps(0.01, 10, 3, 25.0), plan_reps(4.5, 10, 3, 25.0), plan_reps(18.0, 10, 3, 25.0)
    (10, 5, 3)
    """
    if first_call_s <= 0 or first_call_s * reps <= budget_s:
        return reps
    return max(min_reps, min(reps, int(budget_s // first_call_s)))


def summarize(samples_ms: list[float]) -> dict:
    """Median, min and max of timed repetitions, with the samples themselves.

    Examples
    --------
    >>> summarize([3.0, 1.0, 2.0, 10.0])
    {'median_ms': 2.5, 'min_ms': 1.0, 'max_ms': 10.0, 'reps': 4, 'samples_ms': [3.0, 1.0, 2.0, 10.0]}
    """
    if not samples_ms:
        raise ValueError("no samples")
    values = [float(s) for s in samples_ms]
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError(f"samples must be finite and >= 0, got {values}")
    return {
        "median_ms": statistics.median(values),
        "min_ms": min(values),
        "max_ms": max(values),
        "reps": len(values),
        "samples_ms": values,
    }


def compare(name: str, out, ref, tolerance: float) -> dict:
    """Compare a kernel's output with the float64 reference; raise if it is off.

    Returns ``{"relative_error": ||out-ref||/||ref||, "max_abs_error": ...,
    "max_abs_reference": ..., "tolerance": ..., "elements": ...}``. NaN or infinity
    anywhere, a shape mismatch, or a relative error above ``tolerance`` raises
    :class:`MeasureError`.

    Examples
    --------
    >>> compare("x", [1.0, 2.0], [1.0, 2.0], 1e-2)["relative_error"]
    0.0
    >>> try:
    ...     compare("x", [1.0, 2.5], [1.0, 2.0], 1e-2)
    ... except MeasureError as exc:
    ...     print(exc)
    x: relative error 0.224 exceeds the tolerance 0.01
    """
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if out.shape != ref.shape:
        raise MeasureError(f"{name}: output shape {out.shape} differs from the reference's {ref.shape}")
    if not np.all(np.isfinite(out)):
        raise MeasureError(f"{name}: output has {int(np.sum(~np.isfinite(out)))} non-finite values")
    norm = float(np.linalg.norm(ref))
    if norm == 0:
        raise MeasureError(f"{name}: the reference is all zeros; draw other inputs")
    diff = out - ref
    result = {
        "relative_error": float(np.linalg.norm(diff) / norm),
        "max_abs_error": float(np.max(np.abs(diff))),
        "max_abs_reference": float(np.max(np.abs(ref))),
        "tolerance": float(tolerance),
        "elements": int(ref.size),
    }
    if not result["relative_error"] <= tolerance:
        raise MeasureError(f"{name}: relative error {result['relative_error']:.3g} exceeds the tolerance {tolerance:g}")
    return result


def state_values(kernel: str, n: int) -> int:
    """Numbers a layer keeps for decoding at context ``n`` (the running example's shapes).

    Examples
    --------
    >>> state_values("attention", 1024) == 2 * 1024 * 4096
    True
    >>> state_values("ssd", 10**6), state_values("gated_deltanet", 10**6)
    (1048576, 524288)
    """
    s = SHAPES[kernel]
    if kernel == "attention":
        return 2 * n * s["heads"] * s["head_dim"]
    if kernel == "ssd":
        return s["heads"] * s["head_dim"] * s["state"]
    return s["heads"] * s["key_dim"] * s["value_dim"]


# ── numpy references (float64, on the CPU) ──────────────────────────────────


def reference(kernel: str, inputs: dict) -> np.ndarray:
    """The chapter's numpy mixer for ``kernel`` on float64 inputs laid out (H, n, ...).

    ``inputs`` holds ``q, k, v`` of shape (H, n, ·) and, by kernel, ``log_a`` (H, n)
    and ``beta`` (H, n); the query scale is applied here, as the kernel applies it.

    Examples
    --------
    With every decay 1, SSD (scale 1) is linear attention (scale 1/sqrt(128)) times sqrt(128):

    >>> rng = np.random.default_rng(0)
    >>> x = {"q": rng.normal(size=(2, 5, 3)), "k": rng.normal(size=(2, 5, 3)), "v": rng.normal(size=(2, 5, 4)),
    ...      "log_a": np.zeros((2, 5))}
    >>> np.allclose(reference("ssd", x), reference("linear_attention", x) * 128**0.5)
    True
    """
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; kernels are {', '.join(KERNELS)}")
    q = inputs["q"] * SHAPES[kernel]["scale"]
    if kernel == "attention":
        return mixers.causal_softmax_attention(q, inputs["k"], inputs["v"])
    if kernel == "ssd":
        return mixers.ssd_multihead(inputs["v"], np.exp(inputs["log_a"]), inputs["k"], q)
    if kernel == "gated_deltanet":
        return mixers.gated_delta_rule(q, inputs["k"], inputs["v"], np.exp(inputs["log_a"]), inputs["beta"])
    return mixers.linear_attention_unnormalised(q, inputs["k"], inputs["v"])


# ── output ───────────────────────────────────────────────────────────────────


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically (a reader never sees half a file).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "sub" / "r.json"
    ...     write_json(target, {"a": [1, 2.5]})
    ...     json.loads(target.read_text())
    {'a': [1, 2.5]}
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, allow_nan=False) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def new_result(args: argparse.Namespace, argv: list[str]) -> dict:
    """The output's skeleton: shapes, method and an empty measurement table."""
    return {
        "schema": SCHEMA_VERSION,
        "what": "one layer's token mixing, timed on a GPU, bf16, batch 1",
        "shapes": SHAPES,
        "kernels": {k: {"prefill": KERNEL_LABELS[k], "decode": DECODE_LABELS[k]} for k in args.kernels},
        "method": {
            "prefill_lengths": args.prefill_lengths,
            "decode_lengths": args.decode_lengths,
            "reps": args.reps,
            "min_reps": args.min_reps,
            "point_budget_s": args.point_budget,
            "decode_iters_per_rep": args.decode_iters,
            "warmup_calls": 1,
            "timer": "CUDA events around each call (CUDA graph replay where capture worked), device synchronised",
            "check_n": args.check_n,
            "tune_n": args.tune_n,
            "tolerance": args.tolerance,
            "tolerance_means": "relative Frobenius error ||out - ref|| / ||ref|| against instruments/mixers.py in float64",
            "seed": args.seed,
        },
        "provenance": {
            "command": " ".join(shlex.quote(a) for a in ["python", "tests/bench/measure_mixers.py", *argv]),
            "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
        },
        "correctness": {},
        "prefill": {k: [] for k in args.kernels},
        "decode": {k: [] for k in args.kernels},
        "complete": False,
    }


def table(result: dict) -> str:
    """A plain-text table of median times (ms) for the end of the log.

    Examples
    --------
    >>> r = {"prefill": {"ssd": [{"n": 2048, "median_ms": 0.5}, {"n": 4096, "status": "out of memory"}]},
    ...      "decode": {"ssd": []}}
    >>> print(table(r))
    prefill (ms)              ssd
            2048            0.500
            4096              OOM
    """
    lines = []
    for phase in ("prefill", "decode"):
        kernels = [k for k, rows in result[phase].items() if rows]
        if not kernels:
            continue
        lengths = sorted({row["n"] for k in kernels for row in result[phase][k]})
        lines.append(f"{phase + ' (ms)':<12}" + "".join(f"{k:>17}" for k in kernels))
        for n in lengths:
            cells = []
            for k in kernels:
                row = next((r for r in result[phase][k] if r["n"] == n), None)
                if row is None:
                    cells.append("")
                elif "median_ms" in row:
                    cells.append(f"{row['median_ms']:.3f}" if row["median_ms"] < 1e4 else f"{row['median_ms']:.4g}")
                else:
                    cells.append("OOM" if "memory" in row.get("status", "") else "-")
            lines.append(f"{n:>12}" + "".join(f"{c:>17}" for c in cells))
    return "\n".join(lines)


# ── the GPU part (imports torch only when it runs) ──────────────────────────


def require_cuda():
    """Import torch and check for a CUDA device; raise MeasureError saying what is missing."""
    try:
        import torch
    except ImportError as exc:
        raise MeasureError(
            f"this script needs a CUDA GPU with PyTorch and fla-core, and PyTorch is not installed ({exc}); "
            "install them with pip install '.[measure]' on a machine with an NVIDIA GPU"
        ) from None
    if not torch.cuda.is_available():
        raise MeasureError(
            "this script needs a CUDA GPU, and PyTorch sees none (torch.cuda.is_available() is False); "
            "run it on a machine with an NVIDIA GPU and a CUDA build of PyTorch"
        )
    try:
        import fla  # noqa: F401
    except ImportError as exc:
        raise MeasureError(f"this script needs fla-core (pip install fla-core): {exc}") from None
    return torch


def provenance(torch) -> dict:
    from importlib import metadata

    import triton

    props = torch.cuda.get_device_properties(0)
    info = {
        "gpu": torch.cuda.get_device_name(0),
        "gpu_memory_bytes": int(props.total_memory),
        "multiprocessors": int(props.multi_processor_count),
        "compute_capability": f"{props.major}.{props.minor}",
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "torch": torch.__version__,
        "triton": triton.__version__,
        "fla_core": metadata.version("fla-core"),
        "numpy": np.__version__,
    }
    try:
        smi = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version,name,clocks.max.sm,power.limit", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip().splitlines()[0]
        driver, _, max_sm, power = (s.strip() for s in smi.split(","))
        info.update({"driver": driver, "max_sm_clock": max_sm, "power_limit": power})
    except Exception as exc:  # provenance must not stop a run; say why it is missing
        info["driver"] = f"unknown ({exc.__class__.__name__}: {exc})"
    return info


class Bench:
    """Inputs, kernels and timing for one GPU run."""

    def __init__(self, torch, args):
        self.torch = torch
        self.args = args
        self.dev = torch.device("cuda")
        self.gen = torch.Generator(device=self.dev)
        self.gen.manual_seed(args.seed)
        from fla.ops.gated_delta_rule import chunk_gated_delta_rule, fused_recurrent_gated_delta_rule
        from fla.ops.linear_attn import chunk_linear_attn, fused_recurrent_linear_attn
        from fla.ops.simple_gla import chunk_simple_gla, fused_recurrent_simple_gla
        self.fla = {
            "ssd": (chunk_simple_gla, fused_recurrent_simple_gla),
            "gated_deltanet": (chunk_gated_delta_rule, fused_recurrent_gated_delta_rule),
            "linear_attention": (chunk_linear_attn, fused_recurrent_linear_attn),
        }
        self.backend = None  # the SDPA backend that runs, chosen once

    # inputs -----------------------------------------------------------------

    def randn(self, *shape, dtype=None):
        return self.torch.randn(*shape, generator=self.gen, device=self.dev, dtype=dtype or self.torch.bfloat16)

    def inputs(self, kernel, n):
        """Fresh random inputs of one layer for ``n`` tokens, in the kernel's layout."""
        torch, F = self.torch, self.torch.nn.functional
        s = SHAPES[kernel]
        if kernel == "attention":
            H, D = s["heads"], s["head_dim"]
            return {"q": self.randn(1, H, n, D), "k": self.randn(1, H, n, D), "v": self.randn(1, H, n, D)}
        H = s["heads"]
        K = s.get("state", s.get("key_dim"))
        V = s.get("head_dim", s.get("value_dim"))
        x = {"q": self.randn(1, n, H, K), "k": self.randn(1, n, H, K), "v": self.randn(1, n, H, V)}
        if kernel in ("ssd", "gated_deltanet"):
            # log of a decay in (0, 1), as Mamba-2's -softplus(dt)*exp(A_log) gives
            x["g"] = F.logsigmoid(self.randn(1, n, H, dtype=torch.float32) + 2.0)
        if kernel == "gated_deltanet":
            x["q"] = F.normalize(x["q"].float(), p=2, dim=-1).to(torch.bfloat16)
            x["k"] = F.normalize(x["k"].float(), p=2, dim=-1).to(torch.bfloat16)
            x["beta"] = torch.sigmoid(self.randn(1, n, H, dtype=torch.float32)).to(torch.bfloat16)
        return x

    # kernels ----------------------------------------------------------------

    def sdpa(self, backend, q, k, v, causal):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        names = {"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
                 "cudnn": SDPBackend.CUDNN_ATTENTION, "math": SDPBackend.MATH}
        with sdpa_kernel([names[backend]]):
            return self.torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)

    def choose_backend(self, log):
        """The first of --attention-backends that runs on a short causal input."""
        x = self.inputs("attention", 1024)
        tried = {}
        for name in self.args.attention_backends:
            try:
                self.sdpa(name, x["q"], x["k"], x["v"], True)
                self.torch.cuda.synchronize()
                self.backend = name
                tried[name] = "ran"
                break
            except Exception as exc:  # a backend that cannot run this shape says why
                tried[name] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
        log(f"SDPA backends tried: {tried}")
        if self.backend is None:
            raise MeasureError(f"no SDPA backend ran: {tried}")
        return {"backend": self.backend, "tried": tried, "default_dispatch": self.default_dispatch()}

    def default_dispatch(self):
        """Which kernels PyTorch's own choice (no backend forced) launches, by profiling."""
        torch = self.torch
        x = self.inputs("attention", 4096)
        try:
            torch.nn.functional.scaled_dot_product_attention(x["q"], x["k"], x["v"], is_causal=True)
            torch.cuda.synchronize()
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
                torch.nn.functional.scaled_dot_product_attention(x["q"], x["k"], x["v"], is_causal=True)
                torch.cuda.synchronize()
            names = sorted({e.name for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA})
            return [n[:120] for n in names][:8]
        except Exception as exc:
            return [f"not profiled ({exc.__class__.__name__}: {exc})"]

    def prefill_call(self, kernel, x):
        """A closure running one layer's forward pass on inputs ``x``."""
        s = SHAPES[kernel]
        if kernel == "attention":
            return lambda: self.sdpa(self.backend, x["q"], x["k"], x["v"], True)
        chunk = self.fla[kernel][0]
        if kernel == "ssd":
            return lambda: chunk(x["q"], x["k"], x["v"], g=x["g"], scale=s["scale"])[0]
        if kernel == "gated_deltanet":
            return lambda: chunk(x["q"], x["k"], x["v"], x["g"], x["beta"], scale=s["scale"])[0]
        return lambda: chunk(x["q"], x["k"], x["v"], scale=s["scale"], normalize=False)[0]

    def final_state(self, kernel, x):
        """Prefill ``x`` and return the state a decode step continues from."""
        s = SHAPES[kernel]
        chunk = self.fla[kernel][0]
        if kernel == "ssd":
            return chunk(x["q"], x["k"], x["v"], g=x["g"], scale=s["scale"], output_final_state=True)[1]
        if kernel == "gated_deltanet":
            return chunk(x["q"], x["k"], x["v"], x["g"], x["beta"], scale=s["scale"], output_final_state=True)[1]
        return chunk(x["q"], x["k"], x["v"], scale=s["scale"], normalize=False, output_final_state=True)[1]

    def decode_call(self, kernel, x, state):
        """One decoding step: attention over the cache ``state=(K, V)``, or one recurrent step."""
        s = SHAPES[kernel]
        if kernel == "attention":
            K, V = state
            return lambda: self.sdpa(self.backend, x["q"], K, V, False)
        step = self.fla[kernel][1]
        if kernel == "ssd":
            return lambda: step(x["q"], x["k"], x["v"], g=x["g"], scale=s["scale"],
                                initial_state=state, output_final_state=True)
        if kernel == "gated_deltanet":
            return lambda: step(x["q"], x["k"], x["v"], g=x["g"], beta=x["beta"], scale=s["scale"],
                                initial_state=state, output_final_state=True)
        return lambda: step(x["q"], x["k"], x["v"], scale=s["scale"], initial_state=state,
                            output_final_state=True, normalize=False)

    # correctness ------------------------------------------------------------

    def check(self, kernel, n):
        """Prefill and decode outputs against the numpy reference on ``n`` (+1) tokens."""
        torch = self.torch
        x = self.inputs(kernel, n + 1)

        def host(t, heads_first):
            a = t.float().cpu().numpy().astype(np.float64)[0]
            return a if heads_first else np.moveaxis(a, 0, 1)  # (n, H, ·) -> (H, n, ·)

        heads_first = kernel == "attention"
        ref_in = {k: host(v, heads_first) for k, v in x.items() if k in ("q", "k", "v")}
        if "g" in x:
            ref_in["log_a"] = x["g"].double().cpu().numpy()[0].T
        if "beta" in x:
            ref_in["beta"] = x["beta"].double().cpu().numpy()[0].T
        ref = reference(kernel, ref_in)  # (H, n+1, V)

        if kernel == "attention":
            prefix = {k: v[:, :, :n] for k, v in x.items()}
            out = self.prefill_call(kernel, prefix)()
            last = {"q": x["q"][:, :, n:], "k": None, "v": None}
            step = self.decode_call(kernel, last, (x["k"], x["v"]))()
            got, got_step = out.float().cpu().numpy()[0], step.float().cpu().numpy()[0]
        else:
            prefix = {k: v[:, :n].contiguous() for k, v in x.items()}
            out = self.prefill_call(kernel, prefix)()
            state = self.final_state(kernel, prefix)
            last = {k: v[:, n:].contiguous() for k, v in x.items()}
            step_out = self.decode_call(kernel, last, state)()[0]
            got = np.moveaxis(out.float().cpu().numpy()[0], 0, 1)
            got_step = np.moveaxis(step_out.float().cpu().numpy()[0], 0, 1)
        torch.cuda.synchronize()
        tol = self.args.tolerance
        return {
            "n": n,
            "prefill": compare(f"{kernel} prefill", got, ref[:, :n], tol),
            "decode_step": compare(f"{kernel} decode step", got_step, ref[:, n:], tol),
        }

    # timing -----------------------------------------------------------------

    def _events(self):
        return self.torch.cuda.Event(enable_timing=True), self.torch.cuda.Event(enable_timing=True)

    def _time_eager(self, fn, reps, inner):
        samples = []
        for _ in range(reps):
            start, end = self._events()
            start.record()
            for _ in range(inner):
                fn()
            end.record()
            end.synchronize()
            samples.append(start.elapsed_time(end) / inner)
        return samples

    def _graph(self, fn):
        """Capture ``fn`` as a CUDA graph, or return None (and why) if it cannot be."""
        torch = self.torch
        if self.args.no_graphs:
            return None, "disabled by --no-graphs"
        try:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                fn()  # a call on the side stream before capture, as PyTorch advises
            torch.cuda.current_stream().wait_stream(stream)
            torch.cuda.synchronize()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                fn()
            graph.replay()
            torch.cuda.synchronize()
            return graph, None
        except Exception as exc:
            torch.cuda.synchronize()
            return None, f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"

    def measure(self, fn, inner=1):
        """Warm up, pick the repetitions, time; the dict of one measurement."""
        torch = self.torch
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start, end = self._events()
        start.record()
        fn()  # warm-up (and, for a new shape, compilation)
        end.record()
        end.synchronize()
        warm_ms = start.elapsed_time(end)
        graph, why = (None, "single call over 1 s: launch overhead negligible") if warm_ms > 1000 else self._graph(fn)
        run = graph.replay if graph is not None else fn
        if graph is not None:
            warm_ms = min(warm_ms, self._time_eager(run, 1, inner)[0])
        reps = plan_reps(warm_ms * inner / 1e3, self.args.reps, self.args.min_reps, self.args.point_budget)
        samples = self._time_eager(run, reps, inner)
        row = summarize(samples)
        row["timing"] = "cuda_graph" if graph is not None else "eager"
        if graph is None:
            row["graph_note"] = why
        row["warmup_ms"] = warm_ms
        row["peak_memory_bytes"] = int(torch.cuda.max_memory_allocated())
        del graph
        return row


def _oom(torch, exc) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def run(args, argv, log) -> dict:
    """The whole measurement; writes ``args.out`` after every point."""
    t0 = time.perf_counter()
    torch = require_cuda()
    result = new_result(args, argv)
    result["provenance"].update(provenance(torch))
    log(f"GPU: {result['provenance']['gpu']}, driver {result['provenance'].get('driver')}, "
        f"torch {torch.__version__}, fla-core {result['provenance']['fla_core']}")
    bench = Bench(torch, args)
    if "attention" in args.kernels:
        result["attention_backend"] = bench.choose_backend(log)
        result["kernels"]["attention"]["backend"] = bench.backend
    write_json(args.out, result)

    # First call of each fla kernel at a long length: Triton autotunes on it, and the
    # configuration it picks (cached per head count and width, not per n) serves all n.
    for kernel in args.kernels:
        if kernel == "attention":
            continue
        x = bench.inputs(kernel, args.tune_n)
        bench.prefill_call(kernel, x)()
        torch.cuda.synchronize()
        del x
    # Correct before fast.
    for kernel in args.kernels:
        result["correctness"][kernel] = bench.check(kernel, args.check_n)
        c = result["correctness"][kernel]
        log(f"check {kernel}: prefill rel. error {c['prefill']['relative_error']:.2e}, "
            f"decode step {c['decode_step']['relative_error']:.2e} (tolerance {args.tolerance:g})")
    write_json(args.out, result)

    def point(phase, kernel, n, body, predicted_s):
        elapsed = time.perf_counter() - t0
        if elapsed > args.deadline:
            row = {"n": n, "status": f"not run: the run's deadline of {args.deadline:g} s was reached"}
        elif predicted_s is not None and predicted_s > args.max_call:
            row = {"n": n, "status": f"not run: one call predicted to take {predicted_s:.0f} s, "
                                    f"over the limit of {args.max_call:g} s"}
        else:
            try:
                row = {"n": n, **body()}
            except MeasureError:
                raise
            except Exception as exc:  # recorded with its reason, never dropped
                first_line = (str(exc).splitlines() or [""])[0][:300]
                row = {"n": n, "status": "out of memory" if _oom(torch, exc) else f"failed: {exc.__class__.__name__}",
                       "error": first_line, "peak_memory_bytes": int(torch.cuda.max_memory_allocated())}
            torch.cuda.empty_cache()
        result[phase][kernel].append(row)
        write_json(args.out, result)
        shown = f"{row['median_ms']:.4g} ms ({row['reps']} reps, {row['timing']})" if "median_ms" in row else row["status"]
        log(f"{phase} {kernel} n={n}: {shown}")
        return row

    def predict(rows, n, power):
        done = [r for r in rows if "median_ms" in r]
        if not done:
            return None
        last = done[-1]
        return last["median_ms"] / 1e3 * (n / last["n"]) ** power

    # Decode first (short), then prefill by ascending n across kernels, so that a
    # deadline, if reached, cuts only the longest lengths.
    for kernel in args.kernels:
        for n in args.decode_lengths:
            def body(kernel=kernel, n=n):
                x = bench.inputs(kernel, 1)
                if kernel == "attention":
                    s = SHAPES[kernel]
                    cache = (bench.randn(1, s["heads"], n, s["head_dim"]), bench.randn(1, s["heads"], n, s["head_dim"]))
                    held = sum(c.numel() * c.element_size() for c in cache)
                    dtype = str(cache[0].dtype).replace("torch.", "")
                else:
                    # the state's size does not depend on n, so neither does a step's
                    # cost; it is timed at each n all the same
                    cache = bench.final_state(kernel, bench.inputs(kernel, 64))
                    held = cache.numel() * cache.element_size()
                    dtype = str(cache.dtype).replace("torch.", "")
                row = bench.measure(bench.decode_call(kernel, x, cache), inner=args.decode_iters)
                row.update({"bytes_held": int(held), "values_held": state_values(kernel, n), "held_dtype": dtype})
                del cache
                return row
            point("decode", kernel, n, body, None)

    for n in args.prefill_lengths:
        for kernel in args.kernels:
            def body(kernel=kernel, n=n):
                x = bench.inputs(kernel, n)
                try:
                    return bench.measure(bench.prefill_call(kernel, x))
                finally:
                    del x
            power = 2 if kernel == "attention" else 1
            point("prefill", kernel, n, body, predict(result["prefill"][kernel], n, power))

    result["complete"] = not any("deadline" in r.get("status", "")
                                 for phase in ("prefill", "decode") for rows in result[phase].values() for r in rows)
    result["provenance"]["finished_utc"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result["provenance"]["gpu_seconds"] = round(time.perf_counter() - t0, 1)
    write_json(args.out, result)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)

    def log(message):
        print(message, flush=True)

    try:
        result = run(args, argv, log)
    except MeasureError as exc:
        print(f"measure_mixers.py: {exc}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        return 1
    print(table(result))
    print(f"wrote {args.out} ({result['provenance']['gpu_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
