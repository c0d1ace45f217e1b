"""The Markdown block plugins, from fixture files: Markdown in, HTML or error out."""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import pytest

import build
from conftest import FIXTURES, read_fixtures

BLOCKS = FIXTURES / "blocks"


class EchoTeX(dict):
    """Math rendered as escaped TeX, so the plugin output is readable in fixtures."""

    def __missing__(self, key):
        tex, display = key
        return f"<tex{' display' if display else ''}>{html.escape(tex)}</tex>"


def render(source: str) -> str:
    md = build.make_markdown()
    section = build.Section(Path("t.md"), "t.md", source)
    section.tokens = md.parse(source)
    section.meta = {"id": "s-test"}
    cells = build.runnable_cells(section.tokens, BLOCKS / "runnable")
    context = build.RenderContext(
        numbering=build.number_blocks(11, [section]), executed=build.execute_cells(BLOCKS, cells),
        katex=EchoTeX(), quoted={"answer": "42"}, answers=build.quiz_answers(build.ROOT, [section]),
    )
    return md.renderer.render(section.tokens, md.options, context)


@pytest.mark.parametrize(
    "title,line,source,expected",
    read_fixtures(BLOCKS / "render.md"),
    ids=[c[0] for c in read_fixtures(BLOCKS / "render.md")],
)
def test_render(title, line, source, expected):
    assert render(source).strip() == expected.strip(), f"render.md:{line}: {title}"


@pytest.mark.parametrize(
    "title,line,source,expected",
    read_fixtures(BLOCKS / "errors.md"),
    ids=[c[0] for c in read_fixtures(BLOCKS / "errors.md")],
)
def test_malformed_block_names_its_line(title, line, source, expected):
    md = build.make_markdown()
    with pytest.raises(build.BlockError) as caught:
        build.runnable_cells(md.parse(source), BLOCKS / "runnable")
    assert f"{caught.value.line + 1}: {caught.value.reason}" == expected, f"errors.md:{line}: {title}"


def test_a_quiz_answer_is_written_by_the_page_s_own_number_format():
    """The build writes the answer with quiz-answer.js's formatNumber, as the page's
    "Right: 4,096 tokens" does: digits grouped, the unit spaced."""
    out = render("::: quiz q-a numeric answer=4096 unit=tokens\nHow many?\n--- explain\nSo.\n:::\n")
    assert "<strong>Answer:</strong> 4,096 tokens</p>" in out


def test_quiz_keeps_its_data_for_the_page():
    out = render("::: quiz q-a numeric answer=17.5 unit=GB tolerance=0.01\nHow big?\n--- explain\nSo.\n:::\n")
    assert 'data-quiz="{&quot;kind&quot;: &quot;numeric&quot;, &quot;answer&quot;: 17.5' in out
    assert "<strong>Answer:</strong> 17.5 GB" in out


def test_render_functions_are_replaceable():
    md = build.make_markdown()
    md.add_render_rule("equation_math", lambda self, tokens, idx, options, env: "<MATH>")
    context = build.RenderContext(numbering={"equation": {"eq-a": "11.1"}})
    out = md.renderer.render(md.parse('::: equation eq-a "T"\n$$ x $$\n:::\n'), md.options, context)
    assert "<MATH>" in out


def test_parsing_reads_no_file_the_cells_are_checked_after_it():
    md = build.make_markdown()
    tokens = md.parse("::: runnable no_such_cell\n:::\n\n::: runnable hello\n:::\n")  # no error yet
    assert [t.meta["name"] for t in tokens if t.type == "runnable_open"] == ["no_such_cell", "hello"]
    assert build.runnable_cells(tokens[2:], BLOCKS / "runnable") == ["hello"]
    with pytest.raises(build.BlockError, match="no file runnable/no_such_cell.py"):
        build.runnable_cells(tokens, BLOCKS / "runnable")


@pytest.mark.parametrize("source,reason", [
    ('::: equation eq-a "T"\n$$ x $$\n:::\n', "the equation 'eq-a' has no number"),
    ("::: quiz q-a truefalse answer=true\nQ?\n--- explain\nE.\n:::\n", "the quiz 'q-a' has no number"),
    ("Inline $x$.\n", "the TeX 'x' was not typeset"),
    ("Worth {{ answer }}.\n", "no computed number 'answer'"),
    ("See [@alpha2020one].\n", "the work 'alpha2020one' has no citation number"),
])
def test_a_renderer_missing_what_it_needs_says_what(source, reason):
    md = build.make_markdown()
    context = build.RenderContext(katex={("x", True): "<x>"})
    with pytest.raises(build.RenderError, match=reason):
        md.renderer.render(md.parse(source), md.options, context)


def test_a_missing_number_stops_the_build_with_the_section_file():
    md = build.make_markdown()
    section = build.Section(Path("chapter/11-9-t.md"), "chapter/11-9-t.md", '::: equation eq-a "T"\n$$ x $$\n:::\n')
    section.tokens = md.parse(section.source)
    with pytest.raises(build.BuildError) as caught:
        build.render_sections(md, [section], build.RenderContext(katex=EchoTeX()))
    assert caught.value.path == "chapter/11-9-t.md"
    assert caught.value.reason == "RenderError: the equation 'eq-a' has no number"


def test_rendering_needs_a_render_context_not_a_dict():
    md = build.make_markdown()
    with pytest.raises(TypeError, match="render with a RenderContext as env, not dict"):
        md.render("Worth {{ answer }}.", {"quoted": {"answer": "42"}})


def test_the_render_context_is_frozen():
    context = build.RenderContext(quoted={"answer": "42"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.quoted = {}


FRONT_MATTER = [
    ("Text.\n", 1, "section must start with front matter (---, number, id, title, ---)"),
    ("---\nnumber: 1\nid: x\n", 1, "front matter is not closed with ---"),
    ("---\nnumber: 1\nbad line\n---\nx\n", 3, "front matter line must be 'key: value', got 'bad line'"),
    ("---\n---\nx\n", 1, "front matter needs 'number'"),
    ("---\nnumber: 1\nid: x\n---\nx\n", 1, "front matter needs 'title'"),
]


@pytest.mark.parametrize("source,line,reason", FRONT_MATTER, ids=[f[2][:30] for f in FRONT_MATTER])
def test_bad_front_matter_names_its_line(source, line, reason):
    section = build.Section(Path("t.md"), "t.md", source)
    with pytest.raises(build.BuildError) as caught:
        build.parse_sections(build.make_markdown(), [section])
    assert (caught.value.line, caught.value.reason) == (line, reason)


def test_front_matter_is_read_from_its_token():
    section = build.Section(Path("t.md"), "t.md", "---\nnumber: \"11.2\"\nid: s11-2\ntitle: 'SSD: a title'\n---\nText.\n")
    build.parse_sections(build.make_markdown(), [section])
    assert section.tokens[0].type == "front_matter"
    assert section.meta == {"number": "11.2", "id": "s11-2", "title": "SSD: a title"}
