"""The instruments a chapter may place (``::: instrument NAME "Title"``), by name, in the
one list that the build, the instruments' data and their views without JavaScript read.

Each name ``a-b`` has its data in ``widget_data.a_b_data()``, its table for readers
without JavaScript in ``static_views`` (``_a_b``) and its widget in ``widgets/a_b.js``.
"""

INSTRUMENTS = ("scaling-explorer", "architecture-matrix", "bit-width")


def module_name(name: str) -> str:
    """The name as the instrument's functions and widget file spell it: ``bit_width``."""
    return name.replace("-", "_")
