"""The JavaScript unit tests (tests/js/*.test.mjs) under Node, and the JS and Python
number formatters agreeing on every value an instrument can show."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from instruments import static_views as sv
from instruments.tables import all_instrument_data

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def test_node_unit_tests_pass():
    result = subprocess.run(
        [NODE, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


FORMATTERS = {
    "formatFlops": sv.format_flops,
    "formatRatio": sv.format_ratio,
    "formatBytes": sv.format_bytes,
    "formatGB": sv.format_gb,
    "formatPercent": sv.format_percent,
    "formatMs": sv.format_ms,
    "formatTokens": sv.format_tokens,
    "shortTokens": sv.short_tokens,
    "formatBits": sv.format_bits,
    "formatPeriod": sv.format_period,
    "groupThousands": sv.group_thousands,
    "memoryOrNone": sv.memory_or_none,
    "sig3": sv.sig3,
}

RUNNER = """
import * as f from "./instruments/format.js";
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map(([name, value]) => f[name](value))));
});
"""


def format_in_node(cases: list[tuple[str, float]]) -> list[str]:
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", RUNNER],
        cwd=ROOT, input=json.dumps(cases), capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(result.stdout)


def instrument_cases() -> list[tuple[str, float]]:
    """Every (formatter, value) pair the three widgets and the static views use."""
    data = all_instrument_data()
    cases: list[tuple[str, float]] = []
    scaling = data["scaling-explorer"]
    for n in scaling["context_lengths"]:
        cases += [("formatTokens", n), ("shortTokens", n), ("groupThousands", n)]
    for d in scaling["model_widths"]:
        cases += [("groupThousands", d), ("shortTokens", d)]
    for series in scaling["series"].values():
        cases += [("formatFlops", v) for v in series["attention_flops"] + series["ssm_flops"] + series["linear_flops"]]
        cases += [("formatRatio", v) for v in series["ratio"]]
        cases += [("formatBytes", v) for v in series["kv_cache_bytes"]
                  + [series["ssm_state_bytes"], series["linear_state_bytes"]]]
    measured = scaling["measured"]
    for table in ("prefill_ms", "decode_ms"):
        cases += [("formatMs", v) for values in measured[table].values() for v in values if v is not None]
    cases += [("formatBytes", v) for values in measured["bytes_held"].values() for v in values if v is not None]
    cases += [("formatRatio", v) for key in ("measured_ratio", "decode_ratio", "modeled_ratio")
              for v in measured[key] if v is not None]
    matrix = data["architecture-matrix"]
    for metric, fmt in (("flops", "formatFlops"), ("decode_bytes", "formatBytes")):
        for fid, values in matrix[metric].items():
            rows = values if fid == "hybrid" else [values]
            cases += [(fmt, v) for row in rows for v in row]
    cases += [("formatPeriod", k) for k in matrix["hybrid_periods"]]
    for model in matrix["models"]:
        cases += [("memoryOrNone", v) for v in model["kv_cache_bytes"] + [model["state_bytes"]]]
        cases += [("formatBytes", v) for v in model["decode_bytes"]]
    bits = data["bit-width"]
    cases += [("formatBits", b) for b in bits["bit_widths"]]
    cases += [("formatGB", v) for values in bits["storage_gb"].values() for v in values]
    cases += [("formatPercent", v) for values in bits["error_curve"].values() for v in values]
    return cases


def test_js_and_python_format_every_instrument_value_alike():
    cases = instrument_cases()
    assert len(cases) > 900
    js = format_in_node(cases)
    py = [FORMATTERS[name](value) for name, value in cases]
    mismatches = [(c, a, b) for c, a, b in zip(cases, js, py) if a != b]
    assert not mismatches, mismatches[:10]


def test_js_and_python_agree_on_awkward_numbers():
    """Exact binary halves, carries to a new power of ten, tiny and huge values."""
    rng = random.Random(11)
    awkward = [0.5, 1.5, 2.5, 3.125, 0.03125, 2.625, 4.375, 999.5, 999.7, 99.95, 9.995, 1e-7, 123456789.5]
    awkward += [rng.uniform(0, 1) * 10 ** rng.randint(-5, 16) for _ in range(300)]
    cases = [(name, v) for v in awkward for name in ("sig3", "formatFlops", "formatBytes", "formatPercent", "formatRatio",
                                                    "formatMs")]
    cases += [("formatGB", v) for v in awkward if v < 1e6]
    js = format_in_node(cases)
    py = [FORMATTERS[name](value) for name, value in cases]
    mismatches = [(c, a, b) for c, a, b in zip(cases, js, py) if a != b]
    assert not mismatches, mismatches[:10]
