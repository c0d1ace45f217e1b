"""The "Download notebook" export: valid nbformat, the chapter's cells in order, and it
runs top to bottom under CPython with numpy, in a fresh directory.

With nbclient and ipykernel installed (the test extras) it runs in a real Jupyter
kernel; otherwise its code cells are exec'd in order, in one namespace, in a
subprocess.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import build

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def notebook_path(built_site_local) -> Path:
    return built_site_local / "chapter-11.ipynb"


@pytest.fixture(scope="module")
def notebook(notebook_path):
    return nbformat.read(notebook_path, as_version=4)


def test_the_notebook_is_valid_nbformat(notebook):
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_the_notebook_holds_every_cell_in_chapter_order_with_prose(notebook):
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    names = []
    for path in sorted((ROOT / "chapter").glob("[0-9]*.md")):
        names += re.findall(r"^::: runnable (\w+)", path.read_text(encoding="utf-8"), re.M)
    assert len(code) == len(names) + 1  # the setup cell comes first
    assert "plotting.emit = show" in code[0]
    for source, name in zip(code[1:], names):
        assert source == (ROOT / "runnable" / f"{name}.py").read_text(encoding="utf-8").rstrip()
    markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
    assert len(markdown) > len(names)
    assert markdown[0].source.startswith("# Chapter 11")


def _run_with_nbclient(notebook, workdir: Path):
    import nbclient

    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    outputs = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, "\n".join(errors[0].traceback)
        outputs.append("".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream"))
    return outputs


RUNNER = textwrap.dedent(
    """
    import contextlib, io, json, sys
    cells = json.load(sys.stdin)
    namespace, outputs = {"__name__": "__main__"}, []
    for number, source in enumerate(cells):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(source, f"<notebook cell {number}>", "exec"), namespace)
        outputs.append(buffer.getvalue())
    sys.__stdout__.write(json.dumps(outputs))
    """
)


def _run_in_a_subprocess(notebook, workdir: Path):
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    done = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(cells), capture_output=True,
        text=True, cwd=workdir, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_the_notebook_runs_top_to_bottom(notebook, tmp_path):
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
    except ImportError:
        outputs = _run_in_a_subprocess(notebook, tmp_path)
    else:
        outputs = _run_with_nbclient(notebook, tmp_path)
    assert outputs[0].startswith("helpers ready:")
    assert (tmp_path / "ch11_helpers" / "plotting.py").is_file()
    assert all(text.strip() for text in outputs[1:]), "every chapter cell prints something"
    assert any("same outputs: True" in text for text in outputs)


@pytest.mark.slow
def test_the_fallback_runner_runs_it_too(notebook, tmp_path):
    outputs = _run_in_a_subprocess(notebook, tmp_path)
    assert outputs[0].startswith("helpers ready:") and len(outputs) > 1


@pytest.mark.slow
def test_a_notebook_cell_may_call_plot_xy_without_importing_it(notebook, tmp_path):
    setup = next(c for c in notebook.cells if c.cell_type == "code")
    probe = nbformat.v4.new_code_cell("plot_xy([1, 2, 3], [1, 4, 9], title='Squares')")
    outputs = _run_in_a_subprocess(nbformat.v4.new_notebook(cells=[setup, probe]), tmp_path)
    assert outputs[1].startswith("[chart: Squares")


def test_the_notebook_numbers_citations_and_lists_the_references(notebook):
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "[@" not in text, "a citation was left in its source form"
    works = build.read_references(ROOT)
    numbers = re.findall(r"\[\[(\d+)\]\((https://[^)]+)\)", text)
    assert numbers and numbers[0][0] == "1"
    listed = re.findall(r"^(\d+)\. .*? <(https://[^>]+)>", text, re.M)
    assert [int(n) for n, _ in listed] == list(range(1, len(works) + 1))
    urls = dict(listed)
    for number, url in numbers:
        assert urls[number] == url, f"citation [{number}] links elsewhere than entry {number}"



def test_the_notebook_prose_has_the_computed_numbers(notebook):
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not build.QUOTED_RE.search(prose)
    assert "4,096" in prose  # the attention/scan ratio at a million tokens, as on the page
