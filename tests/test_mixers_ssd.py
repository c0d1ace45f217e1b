"""The SSD pair (eq-11-4) and the one-channel parity recurrence of §11.2, in
instruments/mixers.py."""

from __future__ import annotations

import numpy as np
import pytest

from instruments.errors import InstrumentArgumentError
from instruments.mixers import bit_recurrence_states, linear_attention_masked, ssd_quadratic, ssd_recurrent


def random_ssm(n, N=8, seed=0, low=0.001, high=0.5):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=n), np.exp(-rng.uniform(low, high, size=n)),
            rng.normal(size=(n, N)), rng.normal(size=(n, N)))


# ── SSD: the recurrence and the masked matrix ────────────────────────────────


@pytest.mark.parametrize("block", [1, 3, 64, 100, 105])
def test_masked_matrix_equals_the_scan_for_any_block(block):
    x, a, B, C = random_ssm(100)
    assert np.allclose(ssd_quadratic(x, a, B, C, block=block), ssd_recurrent(x, a, B, C), rtol=1e-12, atol=1e-12)


def test_masked_matrix_matches_the_definition_of_eq_11_4():
    x, a, B, C = random_ssm(12, seed=3)
    n = len(x)
    L = np.array([[np.prod(a[j + 1:i + 1]) if i >= j else 0.0 for j in range(n)] for i in range(n)])
    assert np.allclose(ssd_quadratic(x, a, B, C), (L * (C @ B.T)) @ x, rtol=1e-12)


def test_long_sequences_with_strong_decay_stay_finite():
    x, a, B, C = random_ssm(3000, low=0.4, high=0.5)   # products of decays underflow to 0
    y = ssd_quadratic(x, a, B, C)
    assert np.all(np.isfinite(y)) and np.allclose(y, ssd_recurrent(x, a, B, C))


def test_with_every_decay_one_ssd_is_unnormalised_linear_attention_with_identity_features():
    x, _, B, C = random_ssm(20, seed=5)
    ones = np.ones(20)
    unnormalised = np.tril(C @ B.T) @ x                  # numerator of eq-11-5 with phi(x) = x
    assert np.allclose(ssd_recurrent(x, ones, B, C), unnormalised)
    assert np.allclose(ssd_quadratic(x, ones, B, C), unnormalised)
    # ... and not eq-11-5 itself, which divides by the running normaliser with phi = elu + 1
    normalised = linear_attention_masked(C, B, x[:, None])[:, 0]
    assert not np.allclose(unnormalised, normalised)


@pytest.mark.parametrize("block", [0, -2, 2.5, True, "8"])
def test_block_must_be_a_positive_integer(block):
    with pytest.raises(InstrumentArgumentError, match="block"):
        ssd_quadratic(*random_ssm(4), block=block)


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5])
def test_decays_outside_zero_one_are_rejected(bad):
    x, a, B, C = random_ssm(4)
    a[2] = bad
    for f in (ssd_recurrent, ssd_quadratic):
        with pytest.raises(InstrumentArgumentError, match=r"\(0, 1\]"):
            f(x, a, B, C)


def test_mismatched_shapes_are_rejected():
    x, a, B, C = random_ssm(4)
    with pytest.raises(InstrumentArgumentError):
        ssd_quadratic(x, a, B, C[:, :3])
    with pytest.raises(InstrumentArgumentError):
        ssd_quadratic(x[:3], a, B, C)


# ── parity: a state that can flip sign ───────────────────────────────────────


def parity(bits):
    return np.sum(bits, axis=-1) % 2


@pytest.mark.parametrize("n", [1, 2, 7, 64, 5000])
def test_flipping_transition_reads_parity_exactly_at_any_length(n):
    bits = np.random.default_rng(n).integers(0, 2, size=(200, n))
    h = bit_recurrence_states(bits)
    assert set(np.unique(h)) <= {-1.0, 1.0}
    assert np.array_equal(np.signbit(h[:, -1]).astype(int), parity(bits))
    assert np.array_equal(np.signbit(h).astype(int), np.cumsum(bits, axis=-1) % 2)   # every prefix too


def test_any_negative_transition_for_a_one_tracks_parity_even_after_underflow():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(50, 3000))
    keep, flip = rng.uniform(0.01, 1, size=(20, 1, 1)), -rng.uniform(0.01, 1, size=(20, 1, 1))
    h = bit_recurrence_states(bits, on_zero=keep, on_one=flip)
    assert h.shape == (20, 50, 3000) and np.any(h[..., -1] == 0)    # magnitudes underflow ...
    assert np.array_equal(np.signbit(h[..., -1]), np.broadcast_to(parity(bits) == 1, (20, 50)))   # ... signs do not


def test_decays_in_zero_one_never_change_the_sign_of_the_state():
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2, size=(100, 400))
    decays = rng.uniform(0, 1, size=(2, 300, 1, 1))
    decays[:, :3, 0, 0] = [1e-300, 0.5, 1 - 1e-16]                 # extremes of the interval
    h = bit_recurrence_states(bits, on_zero=decays[0], on_one=decays[1])
    assert h.shape == (300, 100, 400)
    assert not np.any(np.signbit(h))
    sign_readout = np.signbit(h[..., -1]).astype(int)          # always "even"
    assert np.mean(sign_readout == parity(bits)) == np.mean(parity(bits) == 0)


def test_scalar_transitions_give_the_shape_of_bits():
    assert bit_recurrence_states([[0, 1], [1, 1]], on_zero=0.5, on_one=0.25).tolist() == [[0.5, 0.125], [0.25, 0.0625]]
    assert bit_recurrence_states(np.array([True, False])).tolist() == [-1.0, -1.0]


@pytest.mark.parametrize("bits", [5, [], [[]], [0, 2, 1], [0.5, 1.0], [-1, 0], ["0", "1"]])
def test_bits_must_be_a_nonempty_string_of_zeros_and_ones(bits):
    with pytest.raises(InstrumentArgumentError, match="bits"):
        bit_recurrence_states(bits)


@pytest.mark.parametrize("kwargs", [{"on_zero": np.nan}, {"on_one": np.inf}, {"on_one": "x"}])
def test_transitions_must_be_finite_reals(kwargs):
    with pytest.raises(InstrumentArgumentError, match="transition"):
        bit_recurrence_states([0, 1], **kwargs)
