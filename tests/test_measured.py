"""The checked-in GPU measurement: its schema and provenance, the growth laws it shows, and
every measured number the prose and the instrument quote, recomputed from the raw JSON."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from instruments import cost, defaults, measured
from instruments import static_views as sv
from instruments.errors import InstrumentArgumentError
from instruments.quoted import quoted_numbers
from instruments.widget_data import CONTEXT_LENGTHS, scaling_explorer_data

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "instruments" / "data"
RAW = {key: json.loads((DATA / name).read_text()) for key, name in measured.RUN_FILES.items()}
M = 2**20


def medians(run, phase, kernel):
    return {r["n"]: r["median_ms"] for r in RAW[run][phase][kernel] if "median_ms" in r}


# ── schema and provenance ────────────────────────────────────────────────────


@pytest.mark.parametrize("key", sorted(RAW))
def test_each_run_has_its_provenance_and_the_running_example(key):
    run = RAW[key]
    prov = run["provenance"]
    assert prov["gpu"] == "NVIDIA H200"
    for field in ("driver", "cuda", "torch", "triton", "fla_core", "started_utc", "finished_utc", "command"):
        assert isinstance(prov[field], str) and prov[field], field
    assert prov["command"].startswith("python tests/bench/measure_mixers.py --out ")
    assert 0 < prov["gpu_seconds"] < 600
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["started_utc"])
    shapes = run["shapes"]
    assert shapes["d"] == defaults.WIDTH and shapes["dtype"] == "bfloat16"
    assert shapes["attention"]["heads"] * shapes["attention"]["head_dim"] == defaults.WIDTH
    assert shapes["ssd"]["heads"] * shapes["ssd"]["head_dim"] == defaults.EXPANSION * defaults.WIDTH
    assert shapes["ssd"]["state"] == defaults.STATE_SIZE
    assert run["complete"] is True
    assert run["method"]["prefill_lengths"] == [2**p for p in range(11, 21)]
    assert run["method"]["decode_lengths"] == [2**p for p in range(12, 21)]


@pytest.mark.parametrize("key", sorted(RAW))
def test_every_length_has_a_time_or_a_reason_and_consistent_statistics(key):
    run = RAW[key]
    for phase, lengths in (("prefill", run["method"]["prefill_lengths"]), ("decode", run["method"]["decode_lengths"])):
        for kernel, rows in run[phase].items():
            assert [r["n"] for r in rows] == lengths, (phase, kernel)
            for r in rows:
                if "median_ms" not in r:
                    assert r["status"]
                    continue
                samples = r["samples_ms"]
                assert len(samples) == r["reps"] >= 3
                assert r["median_ms"] == pytest.approx(float(np.median(samples)))
                assert r["min_ms"] == min(samples) and r["max_ms"] == max(samples)
                assert r["peak_memory_bytes"] > 0
                assert r["timing"] in ("cuda_graph", "eager")
    # at least five repetitions everywhere but the two longest prefill lengths
    for kernel, rows in run["prefill"].items():
        assert all(r["reps"] >= 5 for r in rows if r["n"] <= 2**18), kernel


def test_every_kernel_passed_its_check_against_the_numpy_reference():
    for key, run in RAW.items():
        for kernel, check in run["correctness"].items():
            for part in ("prefill", "decode_step"):
                assert 0 < check[part]["relative_error"] <= check[part]["tolerance"] <= 0.02, (key, kernel, part)


def test_the_two_attention_runs_forced_the_backends_they_are_labelled_with():
    assert RAW["main"]["attention_backend"]["backend"] == "flash"
    assert RAW["cudnn"]["attention_backend"]["backend"] == "cudnn"
    # PyTorch's own choice, profiled in both runs, is cuDNN's kernel: the primary series
    for run in RAW.values():
        assert any("cudnn" in k for k in run["attention_backend"]["default_dispatch"])
    assert measured.primary_attention() == "attention_cudnn"


def test_decode_bytes_held_are_the_shapes_bytes():
    d = defaults.WIDTH
    for r in RAW["main"]["decode"]["attention"]:
        assert r["bytes_held"] == 2 * r["n"] * d * 2 == cost.kv_cache_bytes(r["n"], d, 2)
    for r in RAW["main"]["decode"]["ssd"]:
        assert r["bytes_held"] == defaults.EXPANSION * d * defaults.STATE_SIZE * 4  # fp32 state, no conv state
    for kernel in ("gated_deltanet", "linear_attention"):
        for r in RAW["main"]["decode"][kernel]:
            assert r["bytes_held"] == d * 128 * 4


def test_a_broken_run_is_refused():
    good = RAW["main"]
    for breaks in (
        lambda r: r.update(schema=2),
        lambda r: r["provenance"].pop("driver"),
        lambda r: r["shapes"]["ssd"].update(state=16),
        lambda r: r.update(complete=False),
        lambda r: r["prefill"]["ssd"][0].update(min_ms=1e9),
        lambda r: r["prefill"]["ssd"][1].pop("median_ms"),
        lambda r: r["correctness"]["ssd"]["prefill"].update(relative_error=0.5),
    ):
        run = copy.deepcopy(good)
        breaks(run)
        with pytest.raises(InstrumentArgumentError):
            measured.check_run(run)
    assert measured.check_run(copy.deepcopy(good))["schema"] == 1


# ── the growth laws ──────────────────────────────────────────────────────────


def slope(times: dict) -> float:
    n = sorted(times)[-4:]
    return float(np.polyfit(np.log([float(x) for x in n]), np.log([times[x] for x in n]), 1)[0])


@pytest.mark.parametrize("run,kernel,expected", [
    ("main", "attention", 2), ("cudnn", "attention", 2),
    ("main", "ssd", 1), ("main", "gated_deltanet", 1), ("main", "linear_attention", 1),
])
def test_loglog_slope_over_the_four_longest_lengths_is_the_models(run, kernel, expected):
    times = medians(run, "prefill", kernel)
    assert abs(slope(times) - expected) <= 0.25
    s = measured.series()
    sid = {"attention": f"attention_{'flash' if run == 'main' else 'cudnn'}"}.get(kernel, kernel)
    assert measured.loglog_slope(s[sid]["prefill_n"], s[sid]["prefill_ms"]) == pytest.approx(slope(times))


def test_decode_attention_grows_with_n_and_a_recurrent_step_does_not():
    attention = medians("cudnn", "decode", "attention")
    assert abs(slope(attention) - 1) <= 0.25
    for kernel in ("ssd", "gated_deltanet", "linear_attention"):
        assert abs(slope(medians("main", "decode", kernel))) <= 0.25


def test_crossover_is_interpolated_on_log_log_axes_between_the_measured_lengths():
    att, ssd = medians("cudnn", "prefill", "attention"), medians("main", "prefill", "ssd")
    n = sorted(att)
    gap = [math.log(att[x] / ssd[x]) for x in n]
    i = next(k for k in range(len(n) - 1) if gap[k] <= 0 < gap[k + 1])
    frac = -gap[i] / (gap[i + 1] - gap[i])
    expected = math.exp(math.log(n[i]) + frac * math.log(n[i + 1] / n[i]))
    got = measured.prefill_crossover()
    assert got["bound"] == "interpolated" and got["tokens"] == pytest.approx(expected)
    assert n[i] < got["tokens"] < n[i + 1]
    flash = medians("main", "prefill", "attention")
    assert flash[n[0]] > ssd[n[0]]
    assert measured.prefill_crossover("attention_flash") == {"tokens": float(n[0]), "bound": "below"}


@pytest.mark.parametrize("bad", [
    ([1, 2], [1.0], [1.0, 2.0]), ([2, 1], [1.0, 2.0], [1.0, 2.0]), ([1, 2], [0.0, 2.0], [1.0, 2.0]),
    ([1], [1.0], [1.0]),
])
def test_crossover_refuses_bad_input(bad):
    with pytest.raises(InstrumentArgumentError):
        measured.crossover(*bad)


def test_crossover_bounds():
    assert measured.crossover([1, 2, 4], [1, 2, 4], [2, 4, 8]) == {"tokens": 4.0, "bound": "above"}
    assert measured.crossover([1, 2, 4], [3, 6, 12], [2, 4, 8]) == {"tokens": 1.0, "bound": "below"}


# ── every quoted measured number, recomputed from the raw JSON ──────────────


def expected_quotes() -> dict[str, str]:
    att, flash = medians("cudnn", "prefill", "attention"), medians("main", "prefill", "attention")
    ssd = medians("main", "prefill", "ssd")

    def sig2(x):
        return f"{float(f'{x:.2g}'):,.0f}"

    n = sorted(att)
    gap = [math.log(att[x] / ssd[x]) for x in n]
    i = next(k for k in range(len(n) - 1) if gap[k] <= 0 < gap[k + 1])
    cross = math.exp(math.log(n[i]) + (-gap[i] / (gap[i + 1] - gap[i])) * math.log(n[i + 1] / n[i]))
    d, E, N = RAW["main"]["shapes"]["d"], RAW["main"]["shapes"]["ssd"]["expansion"], RAW["main"]["shapes"]["ssd"]["state"]
    out = {
        "measured_gpu": RAW["main"]["provenance"]["gpu"],
        "measured_crossover": sig2(cross),
        "measured_shortest": f"{n[0]:,}",
        "measured_attention_tflops_1m": sig2(2 * M**2 * d / (att[M] / 1e3) / 1e12),
        "measured_attention_1m_s": sig2(att[M] / 1e3),
        "measured_ssd_1m_ms": sig2(ssd[M]),
    }
    for key, length in (("128k", 2**17), ("1m", M)):
        out[f"measured_ratio_{key}"] = sig2(att[length] / ssd[length])
        out[f"measured_flash_ratio_{key}"] = sig2(flash[length] / ssd[length])
        out[f"modeled_ratio_{key}"] = f"{length // (E * N):,}"
        out[f"measured_overstatement_{key}"] = sig2((length / (E * N)) / (att[length] / ssd[length]))
    step = medians("cudnn", "decode", "attention")[M]
    ssd_step = medians("main", "decode", "ssd")[M]
    kv = next(r["bytes_held"] for r in RAW["cudnn"]["decode"]["attention"] if r["n"] == M)
    out["measured_decode_attention_1m_ms"] = f"{float(f'{step:.2g}'):g}"
    out["measured_decode_ssd_us"] = sig2(ssd_step * 1e3)
    out["measured_decode_ratio_1m"] = sig2(step / ssd_step)
    out["measured_kv_read_tbps"] = f"{float(f'{kv / (step / 1e3) / 1e12:.2g}'):g}"
    return out


def test_every_measured_number_is_recomputed_from_the_json():
    quoted = quoted_numbers()
    expected = expected_quotes()
    for name, value in expected.items():
        assert quoted[name] == value, name


def test_the_prose_quotes_measured_numbers_only_through_computed_names():
    quoted_names = set(expected_quotes())
    used = set()
    for path in sorted((ROOT / "chapter").glob("11-*.md")):
        used |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", path.read_text()))
    measured_used = {u for u in used if u.startswith(("measured_", "modeled_ratio_"))}
    assert measured_used <= quoted_names
    # both sections quote the crossover and the measured-vs-modeled ratios at 128K and 1M
    for section in ("11-1-landscape.md", "11-2-ssm.md"):
        text = (ROOT / "chapter" / section).read_text()
        for name in ("measured_crossover", "measured_ratio_128k", "modeled_ratio_128k", "measured_ratio_1m",
                     "modeled_ratio_1m"):
            assert "{{ " + name + " }}" in text, (section, name)
    # and no bare copy of a measured figure slipped into the prose
    prose = "\n".join(p.read_text() for p in (ROOT / "chapter").glob("11-*.md"))
    for value in ("3,400", "3400", "4.6 TB/s", "19 s", "58 ms"):
        assert value not in prose


# ── the instrument's data and its page without JavaScript ────────────────────


def test_explorer_data_lines_up_with_the_slider_and_the_json():
    data = scaling_explorer_data()["measured"]
    assert data["context_lengths"] == list(CONTEXT_LENGTHS)
    att, ssd = medians("cudnn", "prefill", "attention"), medians("main", "prefill", "ssd")
    for i, n in enumerate(CONTEXT_LENGTHS):
        assert data["prefill_ms"]["attention_cudnn"][i] == att.get(n)
        assert data["prefill_ms"]["ssd"][i] == ssd.get(n)
        assert data["modeled_ratio"][i] == n / 256
        if n in att:
            assert data["measured_ratio"][i] == pytest.approx(att[n] / ssd[n])
        else:
            assert data["measured_ratio"][i] is None
    assert data["crossover"] == {"tokens": float(quoted_numbers()["measured_crossover"].replace(",", "")),
                                 "bound": "interpolated"}
    assert json.loads(json.dumps(data)) == data  # plain JSON


def test_static_view_carries_the_measured_tables():
    att = medians("cudnn", "prefill", "attention")
    written = sv.render({"html": sv.fallback_html("scaling-explorer", scaling_explorer_data()),
                         "time": sv.fmt("formatMs", att[M])})
    html = written["html"]
    assert 'aria-label="Measured prefill table (scrolls sideways)"' in html
    assert 'aria-label="Measured decode table (scrolls sideways)"' in html
    assert f"<td>{written['time']}</td>" in html
    assert "<td>4,096×</td>" in html and "about 3,400 tokens" in html
    assert html.count("With JavaScript on, controls here change these numbers.") == 1
