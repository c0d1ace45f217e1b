"""The "Download notebook" export: valid nbformat, the chapter's cells in order, and it
runs top to bottom under CPython with numpy, in a fresh directory.

With nbclient and ipykernel installed (the test extras) it runs in a real Jupyter
kernel; otherwise its code cells are exec'd in order, in one namespace, in a
subprocess.
"""

from __future__ import annotations

import dataclasses
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
    assert not re.search(r"\{\{\s*\w+\s*\}\}", prose)
    assert "4,096" in prose  # the attention/scan ratio at a million tokens, as on the page


FIXTURE_SECTION = """\
---
number: "11.9"
id: s11-9
title: A small section
---
A ratio of {{ ratio }} [@alpha2020one; @beta2021two, §3], *twice*.

- one item
- two items

::: equation eq-a "The bound"
$$
x \\le y
$$
Proved in [@beta2021two].
:::

::: quiz q-a numeric answer=4 unit=× tolerance=0.01
Double $n$: how much work?
--- if 2
That is linear.
--- explain
Four times, as $(2n)^2 = 4n^2$.
:::

::: runnable hello
The cell prints a greeting.
:::

::: instrument bit-width "Bit-width"
Drag it.
:::

::: references
:::
"""


def fixture_section(tmp_path):
    """The section above as a one-file chapter, parsed, with the context the build
    would make for it (the cell not run: its output is not in the notebook)."""
    fixtures = ROOT / "tests" / "fixtures" / "blocks"
    (tmp_path / "chapter").mkdir()
    (tmp_path / "runnable").mkdir()
    path = tmp_path / "chapter" / "11-9-small.md"
    path.write_text(FIXTURE_SECTION, encoding="utf-8")
    (tmp_path / "runnable" / "hello.py").write_text("print('hello')\n", encoding="utf-8")
    (tmp_path / "chapter" / "references.toml").write_bytes((fixtures / "chapter" / "references.toml").read_bytes())
    md = build.make_markdown()
    section = build.Section(path, "chapter/11-9-small.md", FIXTURE_SECTION)
    build.parse_sections(md, [section])
    references = build.read_references(tmp_path)
    build.parse_notes(md, references)
    cells = build.chapter_cells(tmp_path, [section])
    context = build.RenderContext(
        numbering=build.number_blocks(11, [section]),
        quoted={"ratio": "4,096"},
        executed={name: build.ExecutedCell(name, "print('hello')\n", [], []) for name in cells},
        citations=build.number_citations([section], references),
        works=references, answers=build.quiz_answers(build.ROOT, [section]),
    )
    return md, section, context


def test_the_notebook_markdown_is_rendered_from_the_tokens(tmp_path):
    _, section, context = fixture_section(tmp_path)
    cells = [nbformat.from_dict(c) for c in build.NotebookMarkdown(context).section_cells(section)]
    assert [c.cell_type for c in cells] == ["markdown", "code", "markdown"]
    assert "".join(cells[0].source) == (
        "## 11.9 A small section\n\n"
        "A ratio of 4,096 [[1](https://arxiv.org/abs/2001.00001); [2](https://doi.org/10.0000/two), §3], *twice*.\n\n"
        "- one item\n- two items\n\n"
        "**EQ 11.1: The bound**\n\n$$\nx \\le y\n$$\n\nProved in [[2](https://doi.org/10.0000/two)].\n\n"
        "**Quiz 11.1.** Double $n$: how much work?\n\n<details><summary>Answer</summary>\n\n"
        "**4×.** Four times, as $(2n)^2 = 4n^2$.\n\n</details>"
    )
    assert "".join(cells[1].source) == "print('hello')"
    assert "".join(cells[2].source) == (
        "The cell prints a greeting.\n\n"
        "*Instrument 11.1: Bit-width (interactive on the web page).* Drag it.\n\n"
        "1. Alpha, A. (2020). *One Title*. arXiv:2001.00001. <https://arxiv.org/abs/2001.00001>\n"
        "2. Beta, B. & Gamma, G. (2021). *Two: Is It Linear?* ICML 2021. <https://doi.org/10.0000/two>. "
        "The bound $x \\le y$ of [EQ 11.1](#eq-a)."
    )


def test_the_notebook_needs_every_number_it_shows(tmp_path):
    md, section, context = fixture_section(tmp_path)
    with pytest.raises(build.RenderError, match="no computed number 'ratio'"):
        build.NotebookMarkdown(dataclasses.replace(context, quoted={})).section_cells(section)
    with pytest.raises(build.RenderError, match="the quiz 'q-a' has no number"):
        build.NotebookMarkdown(dataclasses.replace(context, numbering={"equation": {"eq-a": "11.1"}})).section_cells(section)


@pytest.mark.parametrize("text", ["a_b *c* [d] costs $5", r"a \ backslash, `tick` and <b>", "[@key] as text"])
def test_notebook_text_reads_back_as_the_same_text(text):
    tokens = build.make_markdown().parseInline(build.markdown_text(text))
    assert [(t.type, t.content) for t in tokens[0].children] == [("text", text)]
