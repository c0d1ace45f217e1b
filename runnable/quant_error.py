# Quantization error against bit-width, from 16 bits down to 2 (EQ 11.6)
import numpy as np

from instruments.quantization import (
    best_clip_uniform_error, rate_distortion_bound, relative_rmse, uniform_quantize,
)
from plotting import plot_xy

rng = np.random.default_rng(0)
w = rng.normal(0.0, 1.0, 200_000)      # trained weights are close to Gaussian
clip = 3.0                             # the naive rule: clip at ±3σ, whatever the bits

bits = [16, 8, 6, 4, 3, 2]
naive, best, bound = [], [], []
print(f"{'bits':>4} {'levels used':>11} {'bytes/param':>11} {'±3σ grid':>9} {'best clip':>9} {'bound':>8}")
for b in bits:
    q = uniform_quantize(w, b, clip)
    naive.append(relative_rmse(w, q))
    best.append(best_clip_uniform_error(b))
    bound.append(rate_distortion_bound(b))
    print(f"{b:>4} {np.unique(q).size:>11,} {b / 8:>11.3f} {naive[-1]:>9.4f} {best[-1]:>9.4f} {bound[-1]:>8.5f}")

print(f"\n8 → 4 bits: error × {naive[3] / naive[1]:.0f};  4 → 2 bits: error × {naive[5] / naive[3]:.1f}")
print("At 16 and 8 bits the ±3σ clip, not the step, sets the error: it stops halving.")

plot_xy(
    bits, {"±3σ uniform grid": naive, "best-clip uniform": best, "rate-distortion bound": bound},
    logy=True, xlabel="bits per weight b", ylabel="relative RMSE",
    title="Error against bit-width (Gaussian weights)",
)
