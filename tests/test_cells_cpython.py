"""Every live cell, run as the page runs it (session.run_cell, one namespace, chapter
order) under CPython with real numpy, prints what the build printed for it.

Timings are the one thing that differ between two runs, so ``N ms`` and the growth
factors computed from timings (printed ``×N.NN``) are normalised, and charts whose y
axis is a time are compared by shape only.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import build
import session

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TIMING = re.compile(r" *\d+(\.\d+)? ms\b| *×\d+\.\d+")  # with its padding: widths vary


def chapter_cell_names() -> list[str]:
    _, sections = build.read_chapter(ROOT)
    build.parse_sections(build.make_markdown(), sections)
    return build.chapter_cells(ROOT, sections)


@pytest.fixture(scope="module")
def names() -> list[str]:
    found = chapter_cell_names()
    assert found, "the chapter has no runnable cells"
    return found


@pytest.fixture(scope="module")
def prerun(names) -> dict[str, dict]:
    """The build's pre-run output, as the build makes it (its own subprocess)."""
    executed = build.execute_cells(ROOT, names)
    return {name: {"stdout": cell.stdout, "figures": cell.figures} for name, cell in executed.items()}


@pytest.fixture(scope="module")
def live(names) -> dict[str, dict]:
    namespace: dict = {"__name__": "__main__"}
    results = {}
    for name in names:
        chunks, figures = [], []
        code = (ROOT / "runnable" / f"{name}.py").read_text(encoding="utf-8")
        result = session.run_cell(
            code, name, write=lambda stream, text, c=chunks: c.append((stream, text)),
            emit_figure=lambda text, f=figures: f.append(json.loads(text)), namespace=namespace,
        )
        results[name] = {"result": result, "stdout": "".join(t for s, t in chunks if s == "stdout"),
                         "stderr": "".join(t for s, t in chunks if s == "stderr"), "figures": figures}
    return results


def test_every_runnable_file_is_a_cell_of_the_chapter(names):
    files = {p.stem for p in (ROOT / "runnable").glob("*.py")} - {"plotting", "session"}
    assert set(names) == files


def test_each_cell_runs_cleanly(names, live):
    for name in names:
        result = live[name]["result"]
        assert result["status"] == "ok", f"{name}:\n{result['traceback']}"
        assert not result["truncated"] and live[name]["stderr"] == "", name


def test_each_cell_prints_what_the_build_printed(names, live, prerun):
    for name in names:
        assert TIMING.sub(" N ms", live[name]["stdout"]) == TIMING.sub(" N ms", prerun[name]["stdout"]), name


def _is_timing(figure: dict) -> bool:
    return bool(re.search(r"\btime\b|\(ms\)|\(s\)", figure["layout"]["yaxis"]["title"], re.I))


def test_each_cell_draws_the_charts_the_build_drew(names, live, prerun):
    for name in names:
        mine, theirs = live[name]["figures"], prerun[name]["figures"]
        assert len(mine) == len(theirs), name
        for a, b in zip(mine, theirs):
            assert a["layout"] == b["layout"], name
            assert [t.get("name") for t in a["traces"]] == [t.get("name") for t in b["traces"]], name
            for ta, tb in zip(a["traces"], b["traces"]):
                assert ta["x"] == tb["x"], name
                if _is_timing(a):
                    assert len(ta["y"]) == len(tb["y"]) and all(v is None or v >= 0 for v in ta["y"]), name
                else:
                    assert ta["y"] == pytest.approx(tb["y"], rel=1e-12), name


SSD_ROW = re.compile(r"^ *(\d+) +([\d.]+) ms(?: +×([\d.]+))? +([\d.]+) ms(?: +×([\d.]+))?$", re.M)
SSD_AVERAGE = re.compile(r"scan ×([\d.]+) \(linear work: 2\), masked matrix ×([\d.]+) \(quadratic work: 4\)")
GROWTH_TOLERANCE = 1.3     # each printed growth per doubling within a factor 1.3 of 2 or 4
AVERAGE_TOLERANCE = 0.125  # the average growth per doubling within an eighth of 2 or 4


def test_ssd_cell_timings_grow_like_linear_and_quadratic_work(prerun):
    """The build's own run of the SSD cell shows what its caption claims: per doubling
    of n the scan's time grows about 2× and the masked matrix's about 4×, each printed
    growth within a factor 1.3 and their average within an eighth."""
    out = prerun["ssd_duality"]["stdout"]
    rows = [(int(n), float(s), g1 and float(g1), float(m), g2 and float(g2)) for n, s, g1, m, g2 in SSD_ROW.findall(out)]
    assert len(rows) >= 3, out
    for (n0, *_), (n1, s1, g_scan, m1, g_matrix) in zip(rows, rows[1:]):
        assert n1 == 2 * n0 and s1 > 0 and m1 > 0, out
        assert 2 / GROWTH_TOLERANCE <= g_scan <= 2 * GROWTH_TOLERANCE, f"scan grew ×{g_scan} from n = {n0}:\n{out}"
        assert 4 / GROWTH_TOLERANCE <= g_matrix <= 4 * GROWTH_TOLERANCE, f"matrix grew ×{g_matrix} from n = {n0}:\n{out}"
    (scan, matrix), = [tuple(map(float, m)) for m in SSD_AVERAGE.findall(out)]
    doublings = len(rows) - 1
    assert scan == pytest.approx(math.prod(r[2] for r in rows[1:]) ** (1 / doublings), rel=0.01), out
    assert matrix == pytest.approx(math.prod(r[4] for r in rows[1:]) ** (1 / doublings), rel=0.01), out
    assert scan == pytest.approx(2, rel=AVERAGE_TOLERANCE) and matrix == pytest.approx(4, rel=AVERAGE_TOLERANCE), out
