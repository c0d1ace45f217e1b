# Linear attention by reassociation: (QKᵀ)V masked equals Q(KᵀV) as running sums (EQ 11.5)
import numpy as np

from instruments.mixers import linear_attention_masked, linear_attention_recurrent

rng = np.random.default_rng(5)
n, d = 8, 4                                     # tokens, head width: try n = 200
Q, K, V = (rng.normal(size=(n, d)) for _ in range(3))

direct = linear_attention_masked(Q, K, V)       # builds the n x n score matrix
running = linear_attention_recurrent(Q, K, V)   # carries S (d x d) and z (d) instead

print("same outputs:", np.allclose(direct, running))
print(f"largest difference: {np.abs(direct - running).max():.1e}")
print(f"\nmatrix form holds {n * n} scores; the running state holds {d * d + d} numbers")
print("at any n. First output row:", np.round(running[0], 3))
