"""The Markdown block plugins, from fixture files: Markdown in, HTML or error out."""

from __future__ import annotations

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
    env = {"cells_dir": BLOCKS / "runnable"}
    section = build.Section(Path("t.md"), "t.md", source)
    section.tokens = md.parse(source, env)
    section.meta = {"id": "s-test"}
    env["numbering"] = build.number_blocks(11, [section])
    env["executed"] = build.execute_cells(BLOCKS, env.get("cells", []))
    env["katex"] = EchoTeX()
    env["quoted"] = {"answer": "42"}
    return md.renderer.render(section.tokens, md.options, env)


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
        md.parse(source, {"cells_dir": BLOCKS / "runnable"})
    assert f"{caught.value.line + 1}: {caught.value.reason}" == expected, f"errors.md:{line}: {title}"


def test_quiz_keeps_its_data_for_the_page():
    out = render("::: quiz q-a numeric answer=17.5 unit=GB tolerance=0.01\nHow big?\n--- explain\nSo.\n:::\n")
    assert 'data-quiz="{&quot;kind&quot;: &quot;numeric&quot;, &quot;answer&quot;: 17.5' in out
    assert "<strong>Answer:</strong> 17.5 GB" in out


def test_render_functions_are_replaceable():
    md = build.make_markdown()
    md.add_render_rule("equation_math", lambda self, tokens, idx, options, env: "<MATH>")
    env = {"numbering": {"equation": {"eq-a": "11.1"}}}
    out = md.render('::: equation eq-a "T"\n$$ x $$\n:::\n', env)
    assert "<MATH>" in out
