# Quantization error against bit-width, from 16 bits down to 2 (eq-11-6)
import numpy as np

from instruments.quantization import (
    optimal_clip, rate_distortion_bound, relative_rmse, uniform_quantize, uniform_quantize_midrise,
)
from plotting import plot_xy

rng = np.random.default_rng(0)
w = rng.normal(0.0, 1.0, 200_000)      # trained weights are close to Gaussian (σ = 1)
clip = 3.0                             # a fixed clip at ±3σ, whatever the bits: try 2.0

bits = [16, 8, 6, 4, 3, 2]
fixed, best, bound = [], [], []
head = f"±{clip:g}σ clip"
print(f"{'bits':>4} {'bytes/param':>11} {head:>10} {'best clip':>10} {'at ±':>6} {'bound':>8}")
for b in bits:
    c = optimal_clip(b)                                              # the clip that minimises the error of eq-11-6
    fixed.append(relative_rmse(w, uniform_quantize_midrise(w, b, clip)))
    best.append(relative_rmse(w, uniform_quantize_midrise(w, b, c)))  # same grid, only the clip differs
    bound.append(rate_distortion_bound(b))
    print(f"{b:>4} {b / 8:>11.3f} {fixed[-1]:>10.4f} {best[-1]:>10.4f} {c:>5.2f}σ {bound[-1]:>8.5f}")

print(f"\n8 → 4 bits: error × {fixed[3] / fixed[1]:.1f};  4 → 2 bits: error × {fixed[5] / fixed[3]:.1f}")
print(f"At 16 and 8 bits the ±{clip:g}σ clip, not the step, sets the error: it stops halving.")

print(f"\nThe same ±{clip:g}σ clip on a mid-tread grid (a level at zero, one code unused):")
for b in (2, 3, 4):
    rise, tread = uniform_quantize_midrise(w, b, clip), uniform_quantize(w, b, clip)
    print(f"{b} bits: mid-rise {np.unique(rise).size:>2} levels, error {relative_rmse(w, rise):.4f};"
          f"  mid-tread {np.unique(tread).size:>2} levels, error {relative_rmse(w, tread):.4f}")

plot_xy(
    bits, {f"uniform, {head}": fixed, "uniform, best clip": best, "rate-distortion bound": bound},
    logy=True, xlabel="bits per weight b", ylabel="relative RMSE",
    title="Error against bit-width (Gaussian weights)",
)
