"""The code names equations by their stable ids (``eq-11-6``), never by their numbers.

The build numbers equations in page order (the first is EQ 11.1), so a number written
into a docstring or a comment goes stale as soon as an equation is added or moved; the
id is the equation's anchor and stays. Every id the code names must be an equation of
the chapter, and no docstring or comment may name an equation by its number.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CODE = sorted(
    [ROOT / "build.py"]
    + [p for p in (ROOT / "instruments").glob("*.py")]
    + [p for p in (ROOT / "instruments").rglob("*.js")]
    + [p for p in (ROOT / "runnable").glob("*.py")]
    + [p for p in (ROOT / "static").rglob("*.js")]
    + [p for p in (ROOT / "templates").rglob("*.j2")]
    # the tests and the bench too, this checker aside (its own notes give examples)
    + [p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name]
    + [p for p in (ROOT / "tests").rglob("*.mjs")]
    + [p for p in (ROOT / "tests").rglob("*.js") if "peer" not in p.parts]
)

# an equation block opens with `::: equation eq-11-1 "Title"` (chapter/AUTHORING.md)
EQUATION_BLOCK = re.compile(r"^:{3,}\s*equation\s+(\S+)", re.MULTILINE)
# an equation id wherever it is written: eq-11-6, #eq-11-6, ``eq-11-6``
EQUATION_ID = re.compile(r"\beq-\d+(?:-[0-9a-z]+)+\b")
# an equation by its number: EQ 11.6, Eq. 11.6, equation 11.6, equations 11.4-11.6
EQUATION_NUMBER = re.compile(r"\b(?:eq|eqs|equations?)\.?\s*\(?\d+\.\d+", re.IGNORECASE)
# the comments of a JavaScript file; its strings are matched so that a // inside one
# is not taken for a comment
JS_TOKENS = re.compile(
    r"(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`",
    re.DOTALL,
)


def chapter_equation_ids() -> set[str]:
    ids = set()
    for path in sorted((ROOT / "chapter").glob("[0-9]*.md")):  # the chapter's files, as build.py reads them
        ids.update(EQUATION_BLOCK.findall(path.read_text(encoding="utf-8")))
    return ids


def python_notes(text: str) -> list[tuple[int, str]]:
    """(line, text) of every comment and docstring of a Python module."""
    notes = [
        (tok.start[0], tok.string)
        for tok in tokenize.generate_tokens(io.StringIO(text).readline)
        if tok.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                notes.append((node.body[0].lineno, doc))
    return notes


def js_notes(text: str) -> list[tuple[int, str]]:
    """(line, text) of every comment of a JavaScript file."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group("comment"))
        for m in JS_TOKENS.finditer(text)
        if m.group("comment")
    ]


def notes_of(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return python_notes(text)
    if path.suffix in (".js", ".mjs"):
        return js_notes(text)
    return [(text.count("\n", 0, m.start()) + 1, m.group(0)) for m in re.finditer(r"\{#.*?#\}", text, re.DOTALL)]


def test_the_chapter_has_equations_and_the_code_names_some():
    ids = chapter_equation_ids()
    assert {"eq-11-1", "eq-11-6"} <= ids, sorted(ids)
    named = {i for path in CODE for i in EQUATION_ID.findall(path.read_text(encoding="utf-8"))}
    assert {"eq-11-1", "eq-11-4", "eq-11-5", "eq-11-6"} <= named, sorted(named)


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_equation_id_in_the_code_is_an_equation_of_the_chapter(path):
    ids = chapter_equation_ids()
    unknown = [
        f"{path.relative_to(ROOT)}:{number}: {found}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for found in EQUATION_ID.findall(line)
        if found not in ids
    ]
    assert unknown == [], f"no equation of the chapter has these ids ({', '.join(sorted(ids))}): {unknown}"


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_docstring_or_comment_names_an_equation_by_its_number(path):
    numbered = [
        f"{path.relative_to(ROOT)}:{line + note[:m.start()].count(chr(10))}: {m.group(0)}"
        for line, note in notes_of(path)
        for m in EQUATION_NUMBER.finditer(note)
    ]
    assert numbered == [], f"name equations by their ids (eq-11-6), not their numbers: {numbered}"
