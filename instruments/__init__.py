"""Numerical instruments for Chapter 11 of *The LLM Field Manual*.

Pure numpy functions, one source of truth for every number in the chapter: the
instruments' data, the code cells, the numbers quoted in the prose and the tests all
call them. Each module's docstring gives its symbols and the equations it implements.

Bad arguments raise :class:`InstrumentArgumentError` (a ``ValueError``).
"""

from .errors import InstrumentArgumentError

__all__ = ["InstrumentArgumentError"]
