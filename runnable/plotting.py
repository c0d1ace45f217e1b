"""``plot_xy``: the one plotting call the chapter's code cells use.

The same file runs in two places. At build time CPython executes the cells and the
figures become charts embedded in the page; in the browser Pyodide executes them and
the figures are posted from the worker to the page. Either way a figure is a plain
dict (Plotly traces and layout, numbers as lists), handed to ``emit``.

Run as a plain script, a cell's figures are simply collected in ``FIGURES``.

Each figure also carries its data as a table of display strings (``figure["table"]``),
formatted here by :func:`format_number`: the build prints it under the chart for
readers without JavaScript, and the page shows the same strings after a Run.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Mapping

FIGURES: list[dict] = []
MAX_TABLE_ROWS = 500  # rows of a chart's data table; the chart itself keeps every point


def _collect(figure: dict) -> None:
    FIGURES.append(figure)


emit: Callable[[dict], None] = _collect


def _numbers(values: Iterable, what: str) -> list[float]:
    if hasattr(values, "tolist"):  # numpy arrays and scalars
        values = values.tolist()
    if isinstance(values, (int, float)):
        values = [values]
    out = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"plot_xy: {what} must hold numbers, got {value!r}") from None
        out.append(number if math.isfinite(number) else None)
    return out


def format_number(value: float | None) -> str:
    """A chart value as the data table shows it: whole numbers below ten million with
    thousands separators, anything else to four significant digits; gaps are blank.

    >>> [format_number(v) for v in (1048576.0, 512, 7.03687e13, 0.000123456, -2.5, None)]
    ['1,048,576', '512', '7.037e+13', '0.0001235', '-2.5', '']
    """
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e7:
        return f"{int(value):,}"
    return f"{value:.4g}"


def data_table(xlabel: str, ylabel: str, xs: list, traces: list[dict]) -> dict:
    """The figure's numbers as display strings: a header row and one row per x."""
    columns = [xlabel] + [t.get("name") or ylabel for t in traces]
    rows = [
        [format_number(x)] + [format_number(t["y"][i]) for t in traces]
        for i, x in enumerate(xs[:MAX_TABLE_ROWS])
    ]
    return {"columns": columns, "rows": rows, "total": len(xs)}


def plot_xy(
    x,
    y,
    *,
    title: str = "",
    xlabel: str = "x",
    ylabel: str = "y",
    logx: bool = False,
    logy: bool = False,
    label: str | None = None,
) -> dict:
    """Draw ``y`` against ``x`` as a line chart with markers.

    ``y`` is a sequence of numbers, or a mapping ``{label: sequence}`` for several
    lines over the same ``x``. Lists, tuples and numpy arrays all work. Returns the
    figure (a dict), after handing it to the page.
    """
    xs = _numbers(x, "x")
    series = y.items() if isinstance(y, Mapping) else [(label, y)]
    traces = []
    for name, values in series:
        ys = _numbers(values, "y")
        if len(ys) != len(xs):
            raise ValueError(f"plot_xy: x has {len(xs)} values but y{f' ({name})' if name else ''} has {len(ys)}")
        trace = {"x": xs, "y": ys, "mode": "lines+markers"}
        if name:
            trace["name"] = str(name)
        traces.append(trace)
    figure = {
        "traces": traces,
        "layout": {
            "title": title,
            "xaxis": {"title": xlabel, "type": "log" if logx else "linear"},
            "yaxis": {"title": ylabel, "type": "log" if logy else "linear"},
        },
        "table": data_table(xlabel, ylabel, xs, traces),
    }
    emit(figure)
    return figure
