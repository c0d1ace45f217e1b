"""The GPU measuring script's pure parts, and the multi-head numpy mixers it checks against.

No GPU here: the script's argument handling, statistics, comparison and writer are
tested directly, and a run of the script is expected to say that it needs CUDA.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from instruments.errors import InstrumentArgumentError
from instruments.mixers import (
    causal_softmax_attention,
    gated_delta_rule,
    linear_attention_masked,
    linear_attention_unnormalised,
    ssd_multihead,
    ssd_quadratic,
    ssd_recurrent,
)

sys.path.insert(0, str(ROOT / "tests" / "bench"))
import measure_mixers as mm  # noqa: E402

SCRIPT = ROOT / "tests" / "bench" / "measure_mixers.py"


def rng(seed=0):
    return np.random.default_rng(seed)


# ── the numpy mixers ─────────────────────────────────────────────────────────


def test_ssd_multihead_is_the_one_channel_scan_on_every_channel_and_head():
    r = rng(1)
    H, n, P, N = 3, 17, 4, 5
    x, B, C = r.normal(size=(H, n, P)), r.normal(size=(H, n, N)), r.normal(size=(H, n, N))
    a = np.exp(-r.uniform(0.01, 1.0, size=(H, n)))
    y = ssd_multihead(x, a, B, C)
    assert y.shape == (H, n, P)
    for h in range(H):
        for p in range(P):
            assert np.allclose(y[h, :, p], ssd_recurrent(x[h, :, p], a[h], B[h], C[h]), rtol=1e-12, atol=1e-12)
            assert np.allclose(y[h, :, p], ssd_quadratic(x[h, :, p], a[h], B[h], C[h]), rtol=1e-10, atol=1e-10)


def test_ssd_multihead_broadcasts_shared_B_and_C_across_heads():
    r = rng(2)
    x, a = r.normal(size=(4, 9, 3)), np.exp(-r.uniform(0.01, 1.0, size=(4, 9)))
    B, C = r.normal(size=(9, 6)), r.normal(size=(9, 6))  # one group, as Mamba-2 shares B, C
    shared = ssd_multihead(x, a, B, C)
    tiled = ssd_multihead(x, a, np.broadcast_to(B, (4, 9, 6)), np.broadcast_to(C, (4, 9, 6)))
    assert np.array_equal(shared, tiled)


def test_linear_attention_unnormalised_is_ssd_without_decay_and_the_masked_numerator():
    r = rng(3)
    Q, K, V = r.normal(size=(2, 11, 5)), r.normal(size=(2, 11, 5)), r.normal(size=(2, 11, 7))
    out = linear_attention_unnormalised(Q, K, V)
    assert np.allclose(out, ssd_multihead(V, np.ones((2, 11)), K, Q), rtol=1e-12, atol=1e-12)
    masked = np.tril(Q @ np.swapaxes(K, -1, -2)) @ V
    assert np.allclose(out, masked, rtol=1e-12, atol=1e-12)


def test_normalising_the_unnormalised_form_gives_the_chapters_linear_attention():
    r = rng(4)
    Q, K, V = r.normal(size=(8, 3)), r.normal(size=(8, 3)), r.normal(size=(8, 2))
    from instruments.mixers import feature_map
    fq, fk = feature_map(Q), feature_map(K)
    numerator = linear_attention_unnormalised(fq, fk, V)
    denominator = linear_attention_unnormalised(fq, fk, np.ones((8, 1)))
    assert np.allclose(numerator / denominator, linear_attention_masked(Q, K, V), rtol=1e-12)


def direct_gated_delta(Q, K, V, a, beta):
    """S_t = a_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T by explicit matrices."""
    dk, dv = K.shape[-1], V.shape[-1]
    S, out = np.zeros((dk, dv)), []
    for q, k, v, at, bt in zip(Q, K, V, a, beta):
        S = at * (np.eye(dk) - bt * np.outer(k, k)) @ S + bt * np.outer(k, v)
        out.append(S.T @ q)
    return np.array(out)


def test_gated_delta_rule_matches_the_matrix_form_head_by_head():
    r = rng(5)
    H, n, dk, dv = 3, 20, 6, 4
    K = r.normal(size=(H, n, dk))
    K /= np.linalg.norm(K, axis=-1, keepdims=True)
    Q, V = r.normal(size=(H, n, dk)), r.normal(size=(H, n, dv))
    a, beta = np.exp(-r.uniform(0.0, 0.5, size=(H, n))), r.uniform(0.05, 1.0, size=(H, n))
    out = gated_delta_rule(Q, K, V, a, beta)
    for h in range(H):
        assert np.allclose(out[h], direct_gated_delta(Q[h], K[h], V[h], a[h], beta[h]), rtol=1e-12, atol=1e-12)


def test_gated_delta_rule_stores_the_last_value_at_a_unit_key():
    r = rng(6)
    n, dk = 12, 8
    K = r.normal(size=(n, dk))
    K /= np.linalg.norm(K, axis=-1, keepdims=True)
    V = r.normal(size=(n, 3))
    out = gated_delta_rule(K, K, V, r.uniform(0.3, 1.0, size=n), np.ones(n))  # read back with the key just written
    assert np.allclose(out, V, rtol=1e-12, atol=1e-12)


def test_causal_softmax_attention_rows_are_convex_combinations_of_the_past():
    r = rng(7)
    Q, K, V = r.normal(size=(2, 6, 4)), r.normal(size=(2, 6, 4)), r.normal(size=(2, 6, 3))
    out = causal_softmax_attention(Q, K, V)
    assert np.allclose(out[:, 0], V[:, 0])
    for t in range(6):
        w = np.exp(Q[0, t] @ K[0, : t + 1].T)
        assert np.allclose(out[0, t], (w / w.sum()) @ V[0, : t + 1])


@pytest.mark.parametrize(
    "call",
    [
        lambda: ssd_multihead(np.ones((3, 2)), [0.5, 1.5, 0.5], np.ones((3, 1)), np.ones((3, 1))),
        lambda: ssd_multihead(np.ones((3, 2)), [0.5, 0.0, 0.5], np.ones((3, 1)), np.ones((3, 1))),
        lambda: ssd_multihead(np.ones((3, 2)), [0.5, 0.5], np.ones((3, 1)), np.ones((3, 1))),
        lambda: ssd_multihead(np.ones((3, 2)), [0.5] * 3, np.ones((3, 1)), np.ones((3, 2))),
        lambda: ssd_multihead(np.ones((2, 3, 2)), np.full((3, 3), 0.5), np.ones((3, 1)), np.ones((3, 1))),
        lambda: ssd_multihead(np.ones(3), [0.5] * 3, np.ones((3, 1)), np.ones((3, 1))),
        lambda: gated_delta_rule(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 1)), [1.0, 1.0], [1.0, 1.2]),
        lambda: gated_delta_rule(np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 1)), [1.0, 1.0], [1.0, 1.0]),
        lambda: linear_attention_unnormalised(np.ones((2, 2)), np.ones((3, 2)), np.ones((2, 1))),
        lambda: causal_softmax_attention([["a"]], [[1.0]], [[1.0]]),
    ],
)
def test_bad_arguments_raise_the_named_error(call):
    with pytest.raises(InstrumentArgumentError):
        call()


# ── the script's pure parts ──────────────────────────────────────────────────


def test_lengths_parse_with_suffixes_and_double():
    assert mm.parse_length("1M") == 2**20 and mm.parse_length(" 4k ") == 4096
    assert mm.doubling(2048, 2**20) == [2**p for p in range(11, 21)]
    assert mm.doubling(3000, 7000) == [3000, 6000]
    for bad in ("", "x", "0", "-2K", "1.5K"):
        with pytest.raises(Exception):
            mm.parse_length(bad)


def test_default_arguments_are_the_chapters_sweep():
    args = mm.parse_args(["--out", "r.json"])
    assert args.prefill_lengths[0] == 2048 and args.prefill_lengths[-1] == 2**20 and len(args.prefill_lengths) == 10
    assert args.decode_lengths[0] == 4096 and args.decode_lengths[-1] == 2**20
    assert args.kernels == list(mm.KERNELS) and args.reps >= 5
    assert args.tolerance == mm.BF16_TOLERANCE


@pytest.mark.parametrize(
    "argv",
    [
        [],                                               # --out is required
        ["--out", "r.json", "--kernels", "mamba"],
        ["--out", "r.json", "--attention-backends", "xformers"],
        ["--out", "r.json", "--reps", "0"],
        ["--out", "r.json", "--reps", "3", "--min-reps", "5"],
        ["--out", "r.json", "--prefill", "8K", "4K"],
    ],
)
def test_bad_command_lines_are_refused(argv, capsys):
    with pytest.raises((SystemExit, ValueError)):
        mm.parse_args(argv)


def test_repetitions_shrink_only_for_long_calls_and_never_below_the_minimum():
    assert mm.plan_reps(0.001, 10, 3, 25.0) == 10
    assert mm.plan_reps(2.5, 10, 3, 25.0) == 10
    assert mm.plan_reps(4.0, 10, 3, 25.0) == 6
    assert mm.plan_reps(30.0, 10, 3, 25.0) == 3


def test_summary_is_median_min_max_of_the_samples():
    s = mm.summarize([5.0, 1.0, 3.0])
    assert (s["median_ms"], s["min_ms"], s["max_ms"], s["reps"]) == (3.0, 1.0, 5.0, 3)
    for bad in ([], [1.0, float("nan")], [-1.0]):
        with pytest.raises(ValueError):
            mm.summarize(bad)


def test_comparison_accepts_bf16_rounding_and_rejects_a_wrong_kernel():
    r = rng(8)
    ref = r.normal(size=(4, 64, 32))
    bf16 = (ref.astype(np.float32).view(np.uint32) & 0xFFFF0000).view(np.float32)  # truncate to bf16
    ok = mm.compare("k", bf16, ref, mm.BF16_TOLERANCE)
    assert 0 < ok["relative_error"] < 1e-2 and ok["max_abs_error"] > 0 and ok["elements"] == ref.size
    wrong = ref.copy()
    wrong[:, 1:] = wrong[:, :-1]  # off by one token
    with pytest.raises(mm.MeasureError, match="exceeds the tolerance"):
        mm.compare("k", wrong, ref, mm.BF16_TOLERANCE)
    with pytest.raises(mm.MeasureError, match="non-finite"):
        mm.compare("k", np.where(ref > 2, np.nan, ref), ref, 1.0)
    with pytest.raises(mm.MeasureError, match="shape"):
        mm.compare("k", ref[:, :-1], ref, 1.0)


def test_references_of_each_kernel_use_its_scale_and_layout():
    r = rng(9)
    H, n, w = 2, 7, 3
    x = {"q": r.normal(size=(H, n, w)), "k": r.normal(size=(H, n, w)), "v": r.normal(size=(H, n, w)),
         "log_a": -r.uniform(0.0, 1.0, size=(H, n)), "beta": r.uniform(0.1, 1.0, size=(H, n))}
    att = mm.reference("attention", x)
    assert np.allclose(att, causal_softmax_attention(x["q"] * 128**-0.5, x["k"], x["v"]))
    assert np.allclose(mm.reference("ssd", x), ssd_multihead(x["v"], np.exp(x["log_a"]), x["k"], x["q"]))
    gdn = gated_delta_rule(x["q"] * 128**-0.5, x["k"], x["v"], np.exp(x["log_a"]), x["beta"])
    assert np.allclose(mm.reference("gated_deltanet", x), gdn)
    with pytest.raises(ValueError):
        mm.reference("mamba", x)


def test_state_sizes_are_the_running_examples():
    assert mm.state_values("ssd", 1) == 2 * 4096 * 128 == 1_048_576
    assert mm.state_values("gated_deltanet", 1) == mm.state_values("linear_attention", 5) == 4096 * 128
    assert mm.state_values("attention", 2**20) == 2 * 2**20 * 4096


def test_writer_is_atomic_and_refuses_nan(tmp_path):
    target = tmp_path / "deep" / "r.json"
    mm.write_json(target, {"x": 1})
    mm.write_json(target, {"x": 2})
    assert json.loads(target.read_text()) == {"x": 2}
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]
    with pytest.raises(ValueError):
        mm.write_json(target, {"x": float("nan")})
    assert json.loads(target.read_text()) == {"x": 2}


def test_result_skeleton_records_shapes_method_and_command():
    argv = ["--out", "r.json", "--prefill", "2K", "8K", "--kernels", "ssd"]
    r = mm.new_result(mm.parse_args(argv), argv)
    assert r["shapes"]["ssd"]["heads"] * r["shapes"]["ssd"]["head_dim"] == 2 * r["shapes"]["d"]
    assert r["method"]["prefill_lengths"] == [2048, 4096, 8192]
    assert r["provenance"]["command"].endswith("--kernels ssd")
    assert r["prefill"] == {"ssd": []} and r["complete"] is False
    assert "OOM" in mm.table({"prefill": {"ssd": [{"n": 2, "status": "out of memory"}]}, "decode": {"ssd": []}})


def test_a_run_without_a_gpu_says_it_needs_cuda_and_fails(tmp_path):
    out = tmp_path / "r.json"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert "needs a CUDA GPU" in done.stderr
    assert not out.exists()
