# Linear attention by reassociation: (QKᵀ)V masked equals Q(KᵀV) as running sums (eq-11-5)
import numpy as np

from instruments.cost import linear_attention_state_bytes
from instruments.defaults import BYTES_PER_VALUE, HEAD_WIDTH, WIDTH
from instruments.mixers import linear_attention_masked, linear_attention_recurrent

rng = np.random.default_rng(5)
n, d_h = 8, 4                                   # tokens, head width (small, to read): try n = 200
Q, K, V = (rng.normal(size=(n, d_h)) for _ in range(3))

direct = linear_attention_masked(Q, K, V)       # builds the n x n score matrix
running = linear_attention_recurrent(Q, K, V)   # carries S (d_h x d_h) and z (d_h) instead

print("same outputs:", np.allclose(direct, running))
print(f"largest difference: {np.abs(direct - running).max():.1e}")
print(f"\nmatrix form holds {n * n} scores; the running state holds {d_h * d_h + d_h} numbers")
print("at any n. First output row:", np.round(running[0], 3))

# one layer of the running example: d / d_h heads, each a d_h x d_h running sum
layer = linear_attention_state_bytes(WIDTH, HEAD_WIDTH, BYTES_PER_VALUE)
print(f"\nA layer of {WIDTH // HEAD_WIDTH} heads of {HEAD_WIDTH} keeps {layer / BYTES_PER_VALUE:,.0f} numbers "
      f"({layer / 1e6:.2f} MB in 16-bit), at any n.")
