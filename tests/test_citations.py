"""Citations, ``[@key]`` and ``[@key1; @key2]``, and the reference list, from fixture
files: Markdown in, HTML or ``LINE: reason`` out, against the works listed in
``fixtures/blocks/chapter/references.toml``."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import build
from conftest import FIXTURES, ROOT, read_fixtures
from test_blocks import EchoTeX

BLOCKS = FIXTURES / "blocks"
WORKS = BLOCKS / "chapter" / "references.toml"


def parse(source: str):
    """The fixture as one section of a chapter, parsed, with the fixture works."""
    md = build.make_markdown()
    section = build.Section(Path("t.md"), "t.md", source, meta={"id": "s-test", "number": "11.9"})
    try:
        section.tokens = md.parse(source)
    except build.BlockError as error:
        raise build.BuildError("t.md", error.line + 1, error.reason) from None
    references = build.read_references(BLOCKS)
    build.parse_notes(md, references)
    return md, section, references


def render(source: str) -> str:
    md, section, references = parse(source)
    context = build.RenderContext(
        numbering=build.number_blocks(11, [section]), citations=build.number_citations([section], references),
        works=references, katex=EchoTeX(), answers=build.quiz_answers(ROOT, [section]),
    )
    context = dataclasses.replace(context, bibliography=build.render_bibliography(md, build.template_environment(ROOT), context))
    return md.renderer.render(section.tokens, md.options, context)


@pytest.mark.parametrize(
    "title,line,source,expected",
    read_fixtures(BLOCKS / "citations.md"),
    ids=[c[0] for c in read_fixtures(BLOCKS / "citations.md")],
)
def test_render(title, line, source, expected):
    assert render(source).strip() == expected.strip(), f"citations.md:{line}: {title}"


def test_citations_in_captions_and_quiz_text_are_numbered_in_page_order():
    page = render(
        '::: equation eq-a "Bound"\n$$ x \\le y $$\nProved in [@beta2021two].\n:::\n\n'
        "::: quiz q-a truefalse answer=true\nLinear [@alpha2020one]?\n--- if false\nSee [@beta2021two].\n"
        "--- explain\nYes [@alpha2020one; @gamma2022three].\n:::\n"
    )
    parts = {
        "caption": r'<figcaption class="equation-caption">(.*?)</figcaption>',
        "question": r'<div class="quiz-question">(.*?)</div>',
        "feedback": r'<div class="quiz-feedback"[^>]*>(.*?)</div>',
        "explanation": r'<div class="quiz-explanation">(.*?)</div>',
    }
    found = {name: re.findall(r'href="#ref-(\w+)"[^>]*>(\d+)<', re.search(rx, page, re.S).group(1))
             for name, rx in parts.items()}
    assert found == {
        "caption": [("beta2021two", "1")],
        "question": [("alpha2020one", "2")],
        "feedback": [("beta2021two", "1")],
        "explanation": [("alpha2020one", "2"), ("gamma2022three", "3")],
    }


@pytest.mark.parametrize(
    "title,line,source,expected",
    read_fixtures(BLOCKS / "citation_errors.md"),
    ids=[c[0] for c in read_fixtures(BLOCKS / "citation_errors.md")],
)
def test_bad_citation_names_its_line(title, line, source, expected):
    with pytest.raises(build.BuildError) as caught:
        _, section, references = parse(source)
        cited = build.number_citations([section], references)
        build.check_references([section], {k: v for k, v in references.items() if k in cited}, cited)
    assert caught.value.path == "t.md", f"citation_errors.md:{line}: {title}"
    assert f"{caught.value.line}: {caught.value.reason}" == expected, f"citation_errors.md:{line}: {title}"


def test_a_work_never_cited_names_its_line_in_the_references():
    _, section, references = parse("Only [@alpha2020one] and [@beta2021two].\n\n::: references\n:::\n")
    cited = build.number_citations([section], references)
    with pytest.raises(build.BuildError) as caught:
        build.check_references([section], references, cited)
    error = caught.value
    assert (error.path, error.reason) == ("chapter/references.toml", "reference 'gamma2022three' is never cited")
    assert WORKS.read_text(encoding="utf-8").splitlines()[error.line - 1] == "[gamma2022three]"


def test_citations_without_a_list_stop_the_build():
    _, section, references = parse("Cited [@alpha2020one].\n")
    cited = build.number_citations([section], references)
    with pytest.raises(build.BuildError, match="has no '::: references' block"):
        build.check_references([section], {"alpha2020one": references["alpha2020one"]}, cited)


def test_a_cited_note_is_numbered_after_the_chapter():
    md, section, references = parse("First [@beta2021two].\n\n::: references\n:::\n")
    references["beta2021two"].note_tokens = md.parseInline("After [@alpha2020one].")
    cited = build.number_citations([section], references)
    assert [(k, v["number"]) for k, v in cited.items()] == [("beta2021two", 1), ("alpha2020one", 2)]
    assert cited["alpha2020one"]["sections"] == []


def test_render_functions_are_replaceable():
    md = build.make_markdown()
    md.add_render_rule("citation", lambda self, tokens, idx, options, env: "+".join(tokens[idx].meta["keys"]))
    assert md.render("See [@a; @b, p. 3].") == "<p>See a+b.</p>\n"


def test_the_notebook_form_links_each_number_to_the_work():
    md, _, references = parse("x")
    context = build.RenderContext(works=references,
                                  citations={"alpha2020one": {"number": 2}, "beta2021two": {"number": 1}})
    markdown = build.NotebookMarkdown(context)
    text = "A [@alpha2020one], B [@beta2021two; @alpha2020one, §3], not [@x](y)."
    assert markdown.markdown(md.parse(text)) == (
        "A [[2](https://arxiv.org/abs/2001.00001)], "
        "B [[1](https://doi.org/10.0000/two); [2](https://arxiv.org/abs/2001.00001), §3], not [@x](y)."
    )
    listed = markdown.markdown(md.parse("::: references\n:::\n")).splitlines()
    assert listed[0] == ("1. Beta, B. & Gamma, G. (2021). *Two: Is It Linear?* ICML 2021. <https://doi.org/10.0000/two>. "
                         "The bound $x \\le y$ of [EQ 11.1](#eq-a).")
    assert listed[1].startswith("2. Alpha, A. (2020). *One Title*. arXiv:2001.00001.")


BAD_TABLES = [
    ("[a2020x]\nauthors = 'A.'\nyear = 2020\ntitle = 'T'\nvenue = 'V'\n", 1, "reference 'a2020x' needs 'url' (text)"),
    ("\n[a2020x]\nauthors = 'A.'\nyear = '2020'\ntitle = 'T'\nvenue = 'V'\nurl = 'https://x.org/1'\n", 2,
     "reference 'a2020x' needs 'year' (a year)"),
    ("[a2020x]\nauthors = 'A.'\nyear = 2020\ntitle = 'T'\nvenue = 'V'\nurl = 'http://x.org/1'\n", 1,
     "reference 'a2020x': url must be an https:// link, got 'http://x.org/1'"),
    ("[a2020x]\nauthors = 'A.'\nyear = 2020\ntitle = 'T'\nvenue = 'V'\nurl = 'https://x.org/1'\npages = '1-2'\n", 1,
     "reference 'a2020x' has unknown fields pages (known: authors, year, title, venue, url, note)"),
    ("[a2020x]\nauthors = 'A.'\nyear = 2020\ntitle = ''\nvenue = 'V'\nurl = 'https://x.org/1'\n", 1,
     "reference 'a2020x' needs 'title' (text)"),
    ("[a2020x]\nauthors = 'A.'\nyear = 2020\n\n[a2020x]\n", 5, "cannot read the references"),
    ('["a b"]\nauthors = "A."\n', 1, "reference key 'a b' must be"),
]


@pytest.mark.parametrize("text,line,reason", BAD_TABLES, ids=[b[2][:40] for b in BAD_TABLES])
def test_a_bad_reference_names_its_line(tmp_path, text, line, reason):
    (tmp_path / "chapter").mkdir()
    (tmp_path / "chapter" / "references.toml").write_text(text, encoding="utf-8")
    with pytest.raises(build.BuildError) as caught:
        build.read_references(tmp_path)
    assert caught.value.path == "chapter/references.toml"
    assert caught.value.line == line
    assert caught.value.reason.startswith(reason)


def test_the_chapter_references_file_is_well_formed():
    references = build.read_references(ROOT)
    assert references, "chapter/references.toml lists no works"
    for key, work in references.items():
        assert re.fullmatch(r"[a-z]+\d{4}[a-z0-9]+", key), f"{key}: keys are firstauthorYEARword"
        assert str(work.year) in key, f"{key}: the key's year is not the work's year {work.year}"
        linked = re.fullmatch(r"https://arxiv\.org/abs/(\d{4}\.\d{4,5})", work.url)
        if linked:
            assert f"arXiv:{linked.group(1)}" in work.venue, f"{key}: the venue does not name the linked arXiv paper"
