# A random Hadamard rotation before rounding: heavy tails and outlier channels (section 11.4)
import numpy as np

from instruments.quantization import minmax_quantize, relative_rmse
from instruments.rotation import (
    heavy_tailed_weights, random_hadamard_rotate, random_hadamard_unrotate, random_signs,
)
from plotting import plot_xy

# 128 output rows x 512 input channels, Student-t entries with 4 degrees of freedom
# (unit variance), and 4 input channels scaled up 10x: try outlier_scale=1.0
seed = 0
w = heavy_tailed_weights(128, 512, df=4, outlier_channels=4, outlier_scale=10.0, seed=seed)
signs = random_signs(512, seed=seed + 1)            # D of the rotation w -> w D H / sqrt(512)
rotated = random_hadamard_rotate(w, signs)          # each row spread over all 512 coordinates

print(f"largest |w| / RMS: {np.abs(w).max() / np.sqrt(np.mean(w**2)):.1f} before rotation, "
      f"{np.abs(rotated).max() / np.sqrt(np.mean(rotated**2)):.1f} after")

bits = [4, 3, 2]
plain, turned = [], []
print(f"\n{'bits':>4} {'min-max':>9} {'rotated':>9}")
for b in bits:
    q = minmax_quantize(w, b)                                          # each row: its own range
    back = random_hadamard_unrotate(minmax_quantize(rotated, b), signs)  # round, then rotate back
    plain.append(relative_rmse(w, q))
    turned.append(relative_rmse(w, back))
    print(f"{b:>4} {plain[-1]:>9.4f} {turned[-1]:>9.4f}")

plot_xy(
    bits, {"min-max rounding": plain, "after random Hadamard rotation": turned},
    logy=True, xlabel="bits per weight b", ylabel="relative RMSE",
    title="Rounding heavy-tailed weights with outlier channels",
)
