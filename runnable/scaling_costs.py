# Attention against a state-space scan: token-mixing work as the context grows (eq-11-1)
import numpy as np

from instruments.cost import attention_flops, attention_to_ssm_ratio, ssm_flops
from instruments.defaults import EXPANSION as E, STATE_SIZE, WIDTH as d
from plotting import plot_xy

N = STATE_SIZE                       # Mamba-2's default state size, 128: try N = 16 (Mamba's)
contexts = 2 ** np.arange(9, 21)     # 512 ... 1,048,576 tokens, doubling each row

attention = attention_flops(contexts, d)    # every token scores every token: n^2 d
scan = ssm_flops(contexts, d, N, E=E)       # one state update per token:    n E d N

print(f"d = {d}, E = {E}, N = {N}")
print(f"{'tokens':>10}  {'attention':>9}  {'scan':>9}  {'attention/scan':>14}")
for n, a, s in zip(contexts, attention, scan):
    print(f"{n:>10,}  {a:>9.2e}  {s:>9.2e}  {a / s:>13,.0f}×")

step_a = attention[1:] / attention[:-1]
step_s = scan[1:] / scan[:-1]
print(f"\nEach doubling of n multiplies attention by {step_a.mean():.0f} and the scan by {step_s.mean():.0f}.")
print(f"At {contexts[-1]:,} tokens attention does {attention[-1] / scan[-1]:,.0f}× the work: "
      f"n / (E N) = {attention_to_ssm_ratio(contexts[-1], N, E=E):,.0f}.")

plot_xy(
    contexts,
    {"attention (n²d)": attention, "SSM scan (n·E·d·N)": scan},
    logx=True, logy=True,
    xlabel="context length n (tokens)", ylabel="FLOPs per layer",
    title="Token-mixing work per layer",
)
