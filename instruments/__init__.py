"""Numerical instruments for Chapter 11 of *The LLM Field Manual*.

Pure numpy functions, one source of truth for every number in the chapter:

* :mod:`instruments.defaults` -- the chapter's running example (d, heads, E, N, bytes), defined once
* :mod:`instruments.cost` -- token-mixing FLOPs and decode memory, per layer and per model (EQ 11.1, 11.4, 11.5)
* :mod:`instruments.quantization` -- quantizers, storage, regimes (EQ 11.6)
* :mod:`instruments.gaussian_error` -- exact errors on Gaussian weights (EQ 11.6)
* :mod:`instruments.rotation` -- Hadamard incoherence rotation (section 11.4)
* :mod:`instruments.formats` -- FP8, FP4 and block-scaled weight formats (section 11.4)
* :mod:`instruments.architectures` -- the four families of section 11.5 and five released models
* :mod:`instruments.tables` -- the JSON the browser instruments embed

Bad arguments raise :class:`InstrumentArgumentError` (a ``ValueError``).
"""

from .errors import InstrumentArgumentError

__all__ = ["InstrumentArgumentError"]
