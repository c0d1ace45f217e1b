"""The whole build: what the page holds, what it must not hold, and how it fails."""

from __future__ import annotations

import base64
import filecmp
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import build
from conftest import ROOT



@pytest.fixture(scope="module")
def built(built_site) -> Path:
    return built_site


@pytest.fixture(scope="module")
def index(built) -> str:
    return (built / "index.html").read_text(encoding="utf-8")


def chapter_blocks(kind: str) -> list[str]:
    pattern = re.compile(rf"^::: {kind} ([\w-]+)", re.M)
    return [m for path in sorted((ROOT / "chapter").glob("[0-9]*.md")) for m in pattern.findall(path.read_text())]


def test_every_section_has_its_anchor_and_toc_entry(index):
    sections = sorted((ROOT / "chapter").glob("[0-9]*.md"))
    assert sections and index.count('<section class="chapter-section"') == len(sections)
    for path in sections:
        ident = re.search(r"^id: (\S+)$", path.read_text(), re.M).group(1)
        assert f'<section class="chapter-section" id="{ident}"' in index
        assert f'<a href="#{ident}">' in index


@pytest.mark.parametrize("kind,prefix", [("equation", ""), ("quiz", ""), ("runnable", "cell-"), ("instrument", "instrument-")])
def test_every_block_is_on_the_page(index, kind, prefix):
    idents = chapter_blocks(kind)
    assert idents, f"the chapter has no {kind} blocks"
    for ident in idents:
        assert f'id="{prefix}{ident}"' in index


def test_equations_are_numbered_in_order(index):
    numbers = re.findall(r'class="anchor" href="#eq-[\w-]+">EQ (11\.\d+)<', index)
    assert numbers == [f"11.{i}" for i in range(1, len(numbers) + 1)]
    assert len(numbers) >= 6


def test_math_is_typeset_at_build(index):
    body = index.split("<body>", 1)[1]
    text = re.sub(r'<annotation encoding="application/x-tex">.*?</annotation>', "", body, flags=re.S)
    assert "$$" not in text and "\\(" not in text and "\\[" not in text
    assert not re.search(r"(?<![\w\\])\$[^$\s][^$]*\$", re.sub(r"<[^>]+>", "", text)), "unrendered $…$"
    assert index.count("<math ") > 50 and "katex" not in body


def test_every_character_of_the_math_is_in_the_shipped_math_font(index, built):
    """The font is cut down to the math's characters: one left out would be drawn in
    another font, or as a box."""
    from fontTools.ttLib import TTFont

    characters = set()
    for math in re.findall(r"<math\b.*?</math>", index, flags=re.S):
        characters |= build.math_characters(math)
    covered = TTFont(built / build.MATH_FONT).getBestCmap()
    missing = sorted(c for c in characters - set(" \n") if ord(c) not in covered)
    assert not missing, missing
    assert {"𝔼", "𝑥", "ℎ", "ˆ", "‾", "√"} <= characters  # styled, italic, accent and radical forms


def test_the_math_needs_nothing_mathml_core_lacks(index):
    maths = re.findall(r"<math\b.*?</math>", index, flags=re.S)
    assert len(maths) > 50
    for attribute in ("columnalign", "columnspacing", "rowspacing"):
        assert f' {attribute}="' not in index, attribute
    assert not re.search(r'mathvariant="(?!normal")', index)
    assert not re.search(r"<(mi|mo|mn)\b[^>]*>\s*<m", index), "a token element holding elements"
    assert "<menclose" not in index and "columnlines" not in index


def test_cells_show_their_pre_run_output(index):
    for name in chapter_blocks("runnable"):
        cell = index.split(f'id="cell-{name}"', 1)[1].split("</figure>", 1)[0]
        assert '<pre class="cell-stdout">' in cell, name


def test_cells_code_is_highlighted_by_the_roles_the_page_colours(index):
    source = 'def f(xs):  # sum\n    return sum(x ** 2 for x in xs) + 1.5, "done"\n'
    out = build.highlighted_python(source)
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == source  # the code itself, unchanged
    def spans_of(html_out):
        return re.findall(r'<span class="tok-(\w+)">([^<]*)</span>', html_out)

    spans = spans_of(out)
    assert ("keyword", "def") in spans and ("keyword", "return") in spans and ("keyword", "for") in spans
    assert ("name", "f") in spans and ("name", "sum") in spans
    assert ("comment", "# sum") in spans and ("string", '"done"') in spans and ("number", "1.5") in spans
    assert ("op", "):") in spans  # adjacent tokens of one role share a span
    # a string's spaces stay in its span; True, False and None are coloured as the editor does
    assert {("string", '"a b"'), ("number", "None")} <= set(spans_of(build.highlighted_python('x = "a b" or None\n')))
    assert "xs" not in "".join(text for _, text in spans)  # a plain name is plain text
    # each role has its colour on the page, and no other class is made
    css = (ROOT / "static/css/site.css").read_text(encoding="utf-8")
    used = set(re.findall(r'<span class="tok-(\w+)">', index))
    assert used == set(build.TOKEN_ROLES.values())
    assert all(f".tok-{role} {{ color: var(--tok-{role})" in css for role in used)


COLOUR = re.compile(r"#[0-9a-f]{3,8}|(?:rgba?|hsla?|oklch|color-mix)\(.*\)", re.IGNORECASE)


def test_the_dark_scheme_changes_colours_only():
    """What lets the browser tests audit the dark scheme with axe-core's colour rules
    alone (tests/browser/helpers.py COLOUR_RULES): in it only custom properties change,
    each to a colour, and no other rule depends on the colour scheme."""
    css = re.sub(r"/\*.*?\*/", "", (ROOT / "static/css/site.css").read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(re.findall(r"prefers-color-scheme", css)) == 1
    block = re.search(r"@media \(prefers-color-scheme: dark\) \{\s*:root \{([^{}]*)\}\s*\}", css)
    assert block, "the dark scheme is one block that sets :root's custom properties"
    declarations = [d.split(":", 1) for d in block[1].split(";") if d.strip()]
    assert declarations
    for name, value in declarations:
        assert name.strip().startswith("--") and COLOUR.fullmatch(value.strip()), (name, value)


def test_the_stylesheet_is_written_into_each_page(built):
    """One request fewer before the first paint: site.css is in the page, not beside it,
    without its comments, its font's URL pointing at the font from the page."""
    css = (ROOT / "static/css/site.css").read_text(encoding="utf-8")
    for page in ("index.html", "404.html"):
        text = (built / page).read_text(encoding="utf-8")
        head = text.split("</head>", 1)[0]
        [style] = re.findall(r"<style>(.*?)</style>", head, re.S)
        assert "assets/css/site.css" not in text
        assert "/*" not in style and "@media (prefers-color-scheme: dark)" in style
        rules = [line.strip() for line in re.sub(r"/\*.*?\*/", "", css, flags=re.S).splitlines() if line.strip()]
        assert all(rule in style for rule in rules if "url(" not in rule), page
        urls = re.findall(r'url\("([^"]+)"\)', style)
        assert urls == ["assets/fonts/stix-two-math.woff2"]
        assert all((built / url).is_file() for url in urls)
    assert not (built / "assets/css/site.css").exists()


def test_a_stylesheet_that_cannot_be_written_into_the_page_stops_the_build():
    for css, reason in [(b'p { background: url("dot.png") }', "url(dot.png)"),
                        (b'p::after { content: "</style>" }', "</style"),
                        (b"p { background: URL(dot.png) }", "url(dot.png)"),
                        (b'@import "../more.css";', "@import")]:
        with pytest.raises(build.BuildError, match=re.escape(reason)):
            build.inline_style({build.INLINE_STYLE: css})
    files = {build.INLINE_STYLE: b'/* a note */\n@font-face { src: url("../fonts/f.woff2") }\n\n', "other": b""}
    assert build.inline_style(files) == '@font-face { src: url("assets/fonts/f.woff2") }'
    assert list(files) == ["other"]
    # a comment's marks inside a string are the string's
    files = {build.INLINE_STYLE: b'a::before { content: "/*" } /* gone */\nb::after { content: \'*/\' }'}
    assert build.inline_style(files) == 'a::before { content: "/*" }\nb::after { content: \'*/\' }'


def test_the_inline_script_is_the_one_the_content_security_policy_allows(index):
    [script] = re.findall(r"<script>(.*?)</script>", index, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    [policy] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', index)
    script_src = policy.split("script-src", 1)[1].split(";", 1)[0]
    assert f"'sha256-{digest}'" in script_src and "'unsafe-inline'" not in script_src
    assert "sections-pending" in script


def test_no_absolute_urls(built):
    """Our own files are linked relatively; only links out of the site are absolute."""
    for page in ("index.html", "404.html"):
        text = (built / page).read_text(encoding="utf-8")
        for attr, url in re.findall(r'(src|href|data-pyodide-url)="([^"]+)"', text):
            assert not url.startswith("/"), f"{page}: root-relative {url}"
            if re.match(r"^[a-z]+:", url):
                assert url.startswith("https://"), f"{page}: {url}"
                assert attr != "src", f"{page}: a resource from another origin: {url}"
        for stylesheet in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text):
            assert not re.match(r"^[a-z]+:", stylesheet)


def test_reading_time_is_computed(index, built):
    minutes = int(re.search(r"about (\d+) min", index).group(1))
    assert 10 <= minutes <= 40


def test_next_chapter_without_a_page_is_not_a_link(index):
    assert "(coming next)" in index
    assert not re.search(r'<a [^>]*>Chapter 12', index)


def test_third_party_assets_come_from_node_modules(built):
    assert (built / build.MATH_FONT).is_file() and (built / build.MATH_FONT_LICENSE).is_file()
    assert "Open Font License" in (built / build.MATH_FONT_LICENSE).read_text(encoding="utf-8")
    assert not (built / "assets/katex").exists()
    assert (built / "assets/vendor/plotly-basic.min.js").is_file()
    assert (built / "404.html").is_file()


def test_two_builds_are_byte_identical(tmp_path):
    # both with this process's cell cache (the session's site may come from another's)
    first, again = tmp_path / "first", tmp_path / "again"
    build.build(build.Options(out=first))
    build.build(build.Options(out=again))
    compared = filecmp.dircmp(first, again)

    def differences(cmp):
        found = cmp.diff_files + cmp.left_only + cmp.right_only
        for sub in cmp.subdirs.values():
            found += differences(sub)
        return found

    assert differences(compared) == []
    for rel in ("index.html", "chapter-11.ipynb", "assets/js/editor.js"):
        assert (first / rel).read_bytes() == (again / rel).read_bytes()


# The failure cases break a small chapter (tests/fixtures/small-chapter) built with the
# real build, templates, static files, instruments and cell runtime (`small_project`);
# the site already in place is a copy of the real chapter's, which they must leave alone.
BROKEN = [
    ("11-1-state.md", r"(::: quiz q-state-size truefalse) answer=true", r"\1", "has no answer"),
    ("11-1-state.md", r"\Z", "\n::: sidebar aside\n:::\n", "unknown block kind 'sidebar'"),
    ("11-2-cell.md", r"\Z", "\n::: quiz q-open truefalse answer=true\nQ?\n--- explain\nA.\n", "is not closed"),
    ("11-1-state.md", r"\$\$\n", r"$$\n\\frac{1}{\n", "invalid TeX"),
    ("11-1-state.md", r"\$\$\n", r"$$\n\\underbrace{x+y}_{n} ", "a stretched brace (\\underbrace, \\overbrace)"),
    ("11-2-cell.md", r"::: runnable state_size", "::: runnable state_sizes", "no file runnable/state_sizes.py"),
    ("11-2-cell.md", r"\Z", "\nAs argued before [@nobody2099none].\n", "unknown reference key 'nobody2099none'"),
    ("11-1-state.md", r"\[EQ 11\.1\]\(#eq-11-1\)", "[EQ 11.2](#eq-11-1)", "but that place is numbered 11.1"),
]


@pytest.mark.slow
@pytest.mark.parametrize("file,pattern,replacement,reason", BROKEN, ids=[b[3] for b in BROKEN])
def test_broken_chapter_stops_with_file_line_and_keeps_the_site(small_project, built, file, pattern, replacement, reason):
    out = small_project / "_site"
    shutil.copytree(built, out)  # a site already there, which the failed build must leave alone
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    path = small_project / "chapter" / file
    text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), count=1)
    assert count == 1, f"the test's pattern no longer matches {file}"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(small_project / "build.py"), "--out", str(out), "-q"],
        capture_output=True, text=True, cwd=small_project, env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    line = re.search(rf"chapter/{re.escape(file)}:(\d+): (.*)", done.stderr)
    assert line, done.stderr
    assert reason in done.stderr
    source_line = text.splitlines()[int(line.group(1)) - 1]
    assert source_line.strip(), f"line {line.group(1)} of {file} is blank"
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not list(small_project.glob(".build-*"))


@pytest.mark.slow
def test_failing_cell_stops_the_build_with_its_line_and_keeps_the_site(small_project, built):
    out = small_project / "_site"
    shutil.copytree(built, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (small_project / "runnable" / "state_size.py").write_text("x = 1\nraise ValueError('bad cell')\n")
    with pytest.raises(build.BuildError) as caught:
        build.build(build.Options(root=small_project, out=out))
    message = str(caught.value)
    assert message.startswith("runnable/state_size.py:2: the cell failed:"), message
    # the same traceback the page shows for the cell
    assert '<cell state_size>", line 2' in message and "ValueError: bad cell" in message
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.slow
def test_build_runs_cells_as_the_page_does(small_project):
    """Through session.run_cell: stderr kept and marked, plot_xy there unimported,
    chart data formatted by plot_xy's one rule."""
    (small_project / "runnable" / "state_size.py").write_text(
        "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n"
        "plot_xy([1, 2, 1048576], [1, 4, 0.000123456], title='plain lists')\n"
    )
    out = small_project / "_site"
    build.build(build.Options(root=small_project, out=out))
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<pre class="cell-stdout">to stdout\n<span class="cell-stderr">to stderr\n</span></pre>' in page
    assert "Data of the chart “plain lists”" in page
    assert "<td>1,048,576</td><td>0.0001235</td>" in page


@pytest.mark.slow
def test_an_exception_in_a_step_names_the_file_it_was_processing(small_project):
    quoted = small_project / "instruments" / "quoted.py"
    quoted.write_text(quoted.read_text() + "\n\ndef quoted_numbers():\n    return 1 / 0\n")
    done = subprocess.run(  # a process of its own: this one has imported the real module
        [sys.executable, str(small_project / "build.py"), "--out", str(small_project / "_site"), "-q"],
        capture_output=True, text=True, cwd=small_project,
    )
    line = len(quoted.read_text().splitlines())
    assert done.returncode == 1
    assert done.stderr.strip() == f"instruments/quoted.py:{line}: ZeroDivisionError: division by zero"


@pytest.mark.slow
def test_what_the_numbers_print_does_not_reach_the_build_s_answers(small_project):
    quoted = small_project / "instruments" / "quoted.py"
    quoted.write_text(quoted.read_text() + "\nprint('{}')  # JSON on the standard output\n")
    build.build(build.Options(root=small_project, out=small_project / "_site"))
    assert (small_project / "_site" / "index.html").is_file()


@pytest.mark.slow
def test_a_child_that_ends_early_stops_the_build_with_its_error_output(small_project):
    quoted = small_project / "instruments" / "quoted.py"
    quoted.write_text("import os, sys\nprint('quoted.py gave up', file=sys.stderr, flush=True)\nos._exit(3)\n")
    with pytest.raises(build.BuildError) as caught:
        build.build(build.Options(root=small_project, out=small_project / "_site"))
    assert str(caught.value).startswith("build.py: the build's Python child ended early:")
    assert "quoted.py gave up" in str(caught.value)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["footer.html.j2", "references.html.j2"])  # a part of the page, the reference list
def test_a_template_error_names_the_template_and_line(small_project, name):
    template = small_project / "templates" / name
    template.write_text(template.read_text() + "\n{{ no_such_thing.attribute }}\n")
    with pytest.raises(build.BuildError) as caught:
        build.build(build.Options(root=small_project, out=small_project / "_site"))
    line = len(template.read_text().splitlines())
    assert str(caught.value).startswith(f"templates/{name}:{line}: UndefinedError"), caught.value


@pytest.mark.slow
def test_a_script_that_does_not_parse_names_its_file_and_line(small_project):
    script = small_project / "static" / "js" / "toc.js"
    script.write_text(script.read_text() + "\nconst broken = ;\n")
    with pytest.raises(build.BuildError) as caught:
        build.build(build.Options(root=small_project, out=small_project / "_site"))
    line = len(script.read_text().splitlines())
    assert str(caught.value) == f'static/js/toc.js:{line}: esbuild: Unexpected ";"'


def numbered_link_check(source: str):
    """build.check_numbered_links on one section of ``source`` with one equation, eq-11-1."""
    md = build.make_markdown()
    section = build.Section(Path("chapter/11-1.md"), "chapter/11-1.md", source)
    section.tokens = md.parse(source)
    section.meta = {"id": "s11-1", "number": "11.1"}
    build.check_numbered_links([section], {}, build.number_blocks(11, [section]), 11)


EQUATION = '::: equation eq-11-1 "One"\n$$\nx\n$$\n:::\n\n'


@pytest.mark.parametrize("text", [
    "See [EQ 11.1](#eq-11-1) and [§11.1](#s11-1).",
    "The [17.5 GB or Llama 3.1 of §11.1](#s11-1), [v11.2.1 of the code](#s11-1).",
    "A [link elsewhere, EQ 11.9](https://example.org/#eq-11-1).",
])
def test_a_link_that_writes_its_target_s_number_or_none_of_the_chapter_s_passes(text):
    numbered_link_check(EQUATION + text + "\n")


@pytest.mark.parametrize("text,line", [
    ("See [EQ 11.2](#eq-11-1).", 7),
    ("First line,\nsecond line,\nand [EQ 11.2](#eq-11-1) on the third.", 9),
    ("A link cut by the line's end: [EQ\n11.2](#eq-11-1).", 7),
    ("- a list item with [§11.3](#s11-1)", 7),
])
def test_a_link_that_writes_another_number_stops_at_its_line(text, line):
    with pytest.raises(build.BuildError) as caught:
        numbered_link_check(EQUATION + text + "\n")
    assert str(caught.value).startswith(f"chapter/11-1.md:{line}: the link to #"), caught.value
    assert "numbered 11.1" in str(caught.value)


@pytest.mark.parametrize("path", ["repo", "/repo", "repo/", "//elsewhere.example/"])
def test_a_base_path_that_is_not_a_path_from_the_root_is_refused(path, capsys):
    with pytest.raises(SystemExit) as stopped:
        build.main(["--base-path", path, "--out", "/nonexistent/never-built"])
    assert stopped.value.code == 2
    assert "--base-path must be a path on the site's own host" in capsys.readouterr().err


@pytest.mark.slow
def test_missing_javascript_packages_ask_for_the_setup(small_project):
    (small_project / "node_modules").unlink()
    (small_project / "node_modules").mkdir()
    with pytest.raises(build.BuildError) as caught:
        build.build(build.Options(root=small_project, out=small_project / "_site"))
    assert str(caught.value).startswith("node_modules: ") and "npm ci" in str(caught.value)


@pytest.mark.slow
def test_a_reference_never_cited_stops_with_its_line_and_keeps_the_site(small_project, built):
    out = small_project / "_site"
    shutil.copytree(built, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    path = small_project / "chapter" / "references.toml"
    text = path.read_text(encoding="utf-8")
    text += ('\n[nobody2099none]\nauthors = "Nobody, N."\nyear = 2099\ntitle = "Never Cited"\n'
             'venue = "arXiv:2099.00001"\nurl = "https://arxiv.org/abs/2099.00001"\n')
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(small_project / "build.py"), "--out", str(out), "-q"],
        capture_output=True, text=True, cwd=small_project, env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    found = re.search(r"chapter/references\.toml:(\d+): reference 'nobody2099none' is never cited", done.stderr)
    assert found, done.stderr
    assert text.splitlines()[int(found.group(1)) - 1] == "[nobody2099none]"
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_citations_link_to_the_list_numbered_in_order_of_first_citation(index):
    body, listed = index.split('<ol class="references">', 1)
    listed = listed.split("</ol>", 1)[0]
    cited = re.findall(r'<a href="#ref-([\w:.-]+)" role="doc-biblioref" title="[^"]*">(\d+)</a>', body)
    assert cited, "the chapter cites nothing"
    first: dict[str, int] = {}
    for key, number in cited:
        assert first.setdefault(key, int(number)) == int(number), f"{key} has two numbers"
    assert list(first.values()) == list(range(1, len(first) + 1))
    entries = re.findall(r'<li id="ref-([\w:.-]+)">(.*?)</li>', listed, re.S)
    assert [key for key, _ in entries] == list(first)
    works = build.read_references(ROOT)
    assert sorted(first) == sorted(works), "every listed work is cited and every cited work listed"
    for key, entry in entries:
        assert f'href="{works[key].url}"' in entry and "<cite>" in entry and str(works[key].year) in entry



@pytest.mark.slow
def test_a_computed_number_never_quoted_stops_the_build(small_project):
    quoted = small_project / "instruments" / "quoted.py"
    hook = "def quoted_numbers() -> dict[str, str]:\n"
    text = quoted.read_text()
    assert hook in text
    quoted.write_text(text.replace(hook, hook + "    return {**_all(), 'orphan': '7'}\n\n\ndef _all():\n"))
    done = subprocess.run(
        [sys.executable, str(small_project / "build.py"), "--out", str(small_project / "_site"), "-q"],
        capture_output=True, text=True, cwd=small_project,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "instruments/quoted.py: computed but never quoted: orphan"


def test_only_what_the_cells_import_ships_to_the_page(built):
    shipped = set(json.loads((built / "assets/py/manifest.json").read_text())["files"])
    assert {"session.py", "plotting.py", "instruments/__init__.py", "instruments/mixers.py",
            "instruments/quantization.py", "instruments/rotation.py", "instruments/errors.py"} <= shipped
    # the build's own modules stay behind
    assert not shipped & {"instruments/widget_data.py", "instruments/quoted.py", "instruments/static_views.py",
                          "instruments/measured.py"}
    assert all((built / "assets/py" / rel).is_file() for rel in shipped)


IMPORT_RE = re.compile(r'^\s*import\s+(?:[^"\';]*?\s+from\s+)?["\'](\.{1,2}/[^"\']+)["\']', re.MULTILINE)


def test_the_instruments_browser_code_imports_only_its_own_folder():
    """instruments/**/*.js runs as it is in the source tree (Node's unit tests import it):
    its imports stay in instruments/, and the page passes in what it needs from static/."""
    folder = ROOT / "instruments"
    for path in sorted(folder.rglob("*.js")):
        for target in IMPORT_RE.findall(path.read_text(encoding="utf-8")):
            resolved = (path.parent / target).resolve()
            assert resolved.is_relative_to(folder) and resolved.is_file(), f"{path.name} imports {target}"


def test_each_instrument_has_its_widget_and_the_widgets_folder_nothing_else():
    """The build imports ``instruments/widgets/<module_name>.js`` for each instrument on
    the page (``page_widgets``) and bundles no other file of that folder: a helper kept
    there would not be found by the widgets that import it (theirs sit one level up,
    beside ``widget.js``)."""
    from instruments.catalog import INSTRUMENTS, module_name

    widgets = {path.stem for path in (ROOT / "instruments" / "widgets").glob("*.js")}
    assert widgets == {module_name(name) for name in INSTRUMENTS}


@pytest.mark.parametrize("instruments", [["bit-width"], []])
def test_the_page_bundles_the_widgets_of_its_instruments_only(instruments):
    # a page with one instrument, or none: page.js mounts those widgets, and nothing of
    # instruments/ ships but what they import (measured_view.js is the scaling explorer's)
    files, preloads = build.bundle_modules(ROOT, build.our_modules(ROOT), instruments)
    page = files["assets/js/page.js"].decode() + "".join(files[rel].decode() for rel in preloads)
    assert ('"bit-width":' in page and "Heavy tails + outliers" in page) == bool(instruments)
    assert "scaling-explorer" not in page and "Released models" not in page
    everything = "".join(f.decode() for f in files.values())
    assert "Per layer: attention and linear attention" not in everything and "Bytes held per layer" not in everything
    assert not any(rel.startswith("assets/js/instruments/") for rel in files), sorted(files)


def test_a_missing_widget_stops_the_build_with_its_file():
    modules = {rel: path for rel, path in build.our_modules(ROOT).items() if not rel.endswith("/bit_width.js")}
    with pytest.raises(build.BuildError, match=r"^instruments/widgets/bit_width.js: the widget of an instrument"):
        build.bundle_modules(ROOT, modules, ["bit-width"])


def test_a_module_named_as_the_one_the_build_writes_stops_the_build():
    modules = build.our_modules(ROOT) | {build.PAGE_WIDGETS: ROOT / "instruments" / "widget.js"}
    with pytest.raises(build.BuildError, match=r"^instruments/widget.js: the build writes a module of this name"):
        build.bundle_modules(ROOT, modules, ["bit-width"])


def test_the_page_restores_python_from_the_snapshot_the_site_ships(built, index):
    assert (built / build.PYODIDE_SNAPSHOT).stat().st_size > 2**20
    assert f'data-pyodide-snapshot="{build.PYODIDE_SNAPSHOT}"' in index
    sizes = json.loads(html.unescape(re.search(r'data-pyodide-sizes="([^"]*)"', index)[1]))
    assert sizes[build.PYODIDE_SNAPSHOT.rsplit("/", 1)[1]] == (built / build.PYODIDE_SNAPSHOT).stat().st_size


@pytest.mark.slow
def test_without_the_snapshot_the_page_starts_python_the_usual_way(small_project):
    out = small_project / "_site"
    done = subprocess.run(
        [sys.executable, str(small_project / "build.py"), "--out", str(out), "--no-python-snapshot", "-q"],
        capture_output=True, text=True, cwd=small_project,
    )
    assert done.returncode == 0, done.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert not (out / build.PYODIDE_SNAPSHOT).exists()
    assert "data-pyodide-snapshot" not in page and "memory-snapshot" not in page
    assert "data-pyodide-sizes" in page
    assert re.search(r'^const RUNTIME = .*"snapshot": null', (out / "sw.js").read_text(encoding="utf-8"), re.M)
