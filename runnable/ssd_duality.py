# One operator, two routes: the SSD recurrence and its masked "attention" form (eq-11-4)
import time

import numpy as np

from instruments.mixers import ssd_quadratic, ssd_recurrent
from plotting import plot_xy

rng = np.random.default_rng(11)
N = 16                                          # state size, the original Mamba's: try 128


def random_ssm(n):
    x = rng.normal(size=n)                      # one input channel, x_t
    step = rng.uniform(0.001, 0.1, size=n)      # the step Δ_t of each token
    a = np.exp(-step)                           # decay a_t = exp(Δ_t A), with A = -1
    B = rng.normal(size=(n, N)) / np.sqrt(N)    # rows B_t: what each token writes
    C = rng.normal(size=(n, N)) / np.sqrt(N)    # rows C_t: what each token reads
    return x, a, B, C


x, a, B, C = random_ssm(64)
y_scan, y_matrix = ssd_recurrent(x, a, B, C), ssd_quadratic(x, a, B, C)
print("same outputs:", np.allclose(y_scan, y_matrix))
print(f"largest difference: {np.abs(y_scan - y_matrix).max():.1e}")

# Time both routes at doubling lengths, in CPU time: process_time counts this
# program's work only. Each round runs every length of a route in quick succession,
# each after one untimed warm-up run, so a busy spell on the machine slows neighbouring
# lengths alike; the growth from one length to the next is therefore taken within each
# round, and the median over the rounds is printed.
# (Under CPython with a multi-threaded BLAS, set OPENBLAS_NUM_THREADS=1 before numpy
# loads: idle BLAS threads spin, and their CPU time would be counted too.)
lengths = [512, 1024, 2048]   # below 512, numpy's fixed cost per call hides the matrix's growth
routes = {"scan": ssd_recurrent, "masked matrix": ssd_quadratic}
inputs = {n: random_ssm(n) for n in lengths}
seconds = {(route, n): [] for route in routes for n in lengths}
for _ in range(6):
    for route, f in routes.items():
        for n in lengths:
            f(*inputs[n])
            start = time.process_time()
            f(*inputs[n])
            seconds[route, n].append(time.process_time() - start)

ms, growth = {}, {}
for route in routes:
    runs = [np.array(seconds[route, n]) for n in lengths]
    ms[route] = [1000 * np.median(r) for r in runs]
    growth[route] = [np.median(b / a) for a, b in zip(runs, runs[1:])]   # within rounds

print(f"\n{'n':>6}  {'scan':>9}  {'growth':>6}  {'masked matrix':>13}  {'growth':>6}")
for i, n in enumerate(lengths):
    row = f"{n:>6}"
    for route, width in (("scan", 9), ("masked matrix", 13)):
        grew = f"×{growth[route][i - 1]:.2f}" if i else ""
        row += f"  {ms[route][i]:>{width - 3}.2f} ms  {grew:>6}"
    print(row.rstrip())
average = {route: np.prod(growth[route]) ** (1 / len(growth[route])) for route in routes}
print("\nGrowth per doubling of n, on average:")
print(f"  scan ×{average['scan']:.2f} (linear work: 2),"
      f" masked matrix ×{average['masked matrix']:.2f} (quadratic work: 4)")

plot_xy(
    lengths,
    {"recurrence (linear)": ms["scan"], "masked matrix (quadratic)": ms["masked matrix"]},
    logx=True, logy=True, xlabel="sequence length n", ylabel="CPU time (ms)",
    title="Same outputs, different costs",
)
