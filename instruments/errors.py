"""Named exceptions raised by the Chapter 11 instruments.

Every function in :mod:`instruments` checks its arguments and raises
:class:`InstrumentArgumentError` when an argument is meaningless (a negative
context length, a zero bit-width, ...).  It subclasses :class:`ValueError`, so
callers that already catch ``ValueError`` keep working.
"""

__all__ = ["InstrumentArgumentError"]


class InstrumentArgumentError(ValueError):
    """An instrument function was given a meaningless argument.

    The message names the quantity, its symbol, the condition it broke and
    the offending value, e.g. ``"context length n must be a positive integer,
    got -3"``.

    Examples
    --------
    >>> from instruments.cost import attention_flops
    >>> try:
    ...     attention_flops(-3, 4096)
    ... except InstrumentArgumentError as exc:
    ...     print(exc)
    context length n must be a positive integer, got -3
    """
