# Parity needs a state that can change sign: one channel, h_t = λ_t h_{t-1}, h_0 = 1
import numpy as np

from instruments.mixers import bit_recurrence_states
from plotting import plot_xy

rng = np.random.default_rng(7)
strings, n = 200, 64                      # random bit strings of length n: try n = 2000
bits = rng.integers(0, 2, size=(strings, n))
parity = bits.sum(axis=1) % 2             # the answer: 1 for an odd number of ones

# A 1 multiplies the state by -1 and a 0 by +1: λ_t = 1 - 2 x_t
h = bit_recurrence_states(bits)
odd = np.signbit(h[:, -1])                # a negative final state says "odd"
print(f"λ_t = 1 − 2x_t: the sign is right on {np.mean(odd == parity):.0%} of strings")

# Transitions in (0, 1), where a Mamba decay exp(Δ_t A) always lies: 20 random
# choices of the transition for a 0 and for a 1, each run on every string
choices = rng.uniform(0, 1, size=(2, 20, 1, 1))
h_decay = bit_recurrence_states(bits, on_zero=choices[0], on_one=choices[1])
odd = np.signbit(h_decay[..., -1])
print(f"λ_t in (0, 1): {np.signbit(h_decay).sum()} of {h_decay.size:,} states negative,")
print(f"so the sign says 'even' every time: right on {np.mean(odd == parity):.0%}")

shrinking = bit_recurrence_states(bits[0], on_zero=0.95, on_one=0.7)
plot_xy(
    np.arange(1, n + 1),
    {"λ = 1 − 2x: flips on a 1": h[0], "λ = 0.95 on a 0, 0.7 on a 1": shrinking},
    xlabel="step t", ylabel="state h_t", title="One string, two kinds of transition",
)
