"""Every live cell, run as the page runs it (session.run_cell, one namespace, chapter
order) under CPython with real numpy, prints what the build printed for it.

Timings are the one thing that differ between two runs, so ``N ms`` is normalised and
charts whose y axis is a time are compared by shape only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import build
import session

ROOT = Path(__file__).resolve().parents[1]
TIMING = re.compile(r" *\d+(\.\d+)? ms\b")  # with its padding: widths vary


def chapter_cell_names() -> list[str]:
    _, sections = build.read_chapter(ROOT)
    env = {"cells_dir": ROOT / "runnable"}
    build.parse_sections(build.make_markdown(), sections, env)
    return env["cells"]


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
