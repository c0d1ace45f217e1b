# One operator, two routes: the SSD recurrence and its masked "attention" form (EQ 11.4)
import time

import numpy as np

from instruments.mixers import ssd_quadratic, ssd_recurrent
from plotting import plot_xy

rng = np.random.default_rng(11)
N = 16                                            # state size


def random_ssm(n):
    x = rng.normal(size=n)                        # one input channel
    a = np.exp(-rng.uniform(0.01, 0.5, size=n))   # per-token decay in (0, 1): how fast to forget
    B = rng.normal(size=(n, N)) / np.sqrt(N)      # what each token writes into the state
    C = rng.normal(size=(n, N)) / np.sqrt(N)      # what each token reads out of it
    return x, a, B, C


x, a, B, C = random_ssm(64)
y_scan, y_matrix = ssd_recurrent(x, a, B, C), ssd_quadratic(x, a, B, C)
print("same outputs:", np.allclose(y_scan, y_matrix))
print(f"largest difference: {np.abs(y_scan - y_matrix).max():.1e}")


def best_time(f, *args, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - start)
    return best * 1000


lengths = [256, 512, 1024, 2048]
scan_ms, matrix_ms = [], []
for n in lengths:
    args = random_ssm(n)
    scan_ms.append(best_time(ssd_recurrent, *args))
    matrix_ms.append(best_time(ssd_quadratic, *args))
    print(f"n = {n:>5}: scan {scan_ms[-1]:7.1f} ms, masked matrix {matrix_ms[-1]:7.1f} ms")

plot_xy(
    lengths, {"recurrence (linear)": scan_ms, "masked matrix (quadratic)": matrix_ms},
    logx=True, logy=True, xlabel="sequence length n", ylabel="time (ms)",
    title="Same outputs, different costs",
)
