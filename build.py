"""Build Chapter 11 into ``_site/``.

    python build.py                  # write _site/ (Pyodide from its CDN)
    python build.py --pyodide local  # ship the Pyodide core from node_modules
    python build.py --serve          # build, serve on 127.0.0.1, rebuild on change

The pipeline is a row of verb-named steps (see ``build``): read the chapter, parse
it into tokens, execute the code cells, typeset the math, render the sections,
assemble the pages, write them. Everything is gathered and rendered in memory first;
the site is written to a sibling folder and swapped in only when all of it
succeeded, so a broken chapter leaves the previous ``_site/`` as it was.

The file is laid out in that order: errors, the render context (what the renderers
read, made once the steps before rendering are done), the Markdown block plugins,
then one section per step, then serving. The block syntax is in ``chapter/AUTHORING.md``.
"""

from __future__ import annotations

import argparse
import ast
import base64
import concurrent.futures
import contextlib
import dataclasses
import functools
import gzip
import hashlib
import importlib.util
import html
import io
import json
import logging
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

# markdown-it, Jinja, Pygments and fontTools are imported where they are used: the
# build's child processes (the cells, the numbers), which parse and render nothing,
# then start without them.
if TYPE_CHECKING:
    import jinja2
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.token import Token
    from markdown_it.tree import SyntaxTreeNode

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("build")

BLOCK_KINDS = ("equation", "quiz", "runnable", "instrument", "references")
WORDS_PER_MINUTE = 220
PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"


# ── errors ────────────────────────────────────────────────────────────────────


class BlockError(Exception):
    """A malformed block; ``line`` is 0-based, as in ``token.map``."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


class BuildError(Exception):
    """The one error a build stops with: ``FILE:LINE: reason``."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {reason}")


@contextlib.contextmanager
def processing(path: Path | str):
    """Any error raised while ``path`` is processed becomes a ``BuildError`` that names
    it: a ``BlockError`` with its line in that file, anything else with the innermost
    line of that file in the traceback (or a template's line)."""
    try:
        yield
    except BuildError:
        raise
    except BlockError as error:
        raise BuildError(str(path), error.line + 1, error.reason) from None
    except Exception as error:  # noqa: BLE001 - every failure is reported with its file
        rel, line = str(path), None
        jinja2 = sys.modules.get("jinja2")  # a template error comes from it only once it is imported
        template_error = jinja2 is not None and isinstance(error, jinja2.TemplateError)
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename.endswith(rel):
                line = frame.lineno
            elif template_error and "/templates/" in frame.filename:
                rel, line = "templates/" + frame.filename.rsplit("/templates/", 1)[1], frame.lineno
        if template_error and isinstance(error, jinja2.TemplateSyntaxError) and error.name:
            rel, line = f"templates/{error.name}", error.lineno
        raise BuildError(rel, line, f"{type(error).__name__}: {error}") from error


# ── the render context ────────────────────────────────────────────────────────


class RenderError(LookupError):
    """A renderer asked the context for something the build did not compute."""


@dataclasses.dataclass(frozen=True)
class RenderContext:
    """Everything the renderers read, made once the steps that compute it are done
    (numbering, the executed cells, KaTeX, the quoted numbers, the instruments' tables,
    the citations' numbers and the reference list), and passed to rendering as
    markdown-it's ``env``: ``md.renderer.render(tokens, md.options, context)``.

    Parsing never sees it. A renderer takes what it needs through the methods below,
    which fail with a ``RenderError`` that says what is missing."""

    numbering: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    katex: Mapping[tuple[str, bool], str] = dataclasses.field(default_factory=dict)
    quoted: Mapping[str, str] = dataclasses.field(default_factory=dict)
    executed: Mapping[str, ExecutedCell] = dataclasses.field(default_factory=dict)
    citations: Mapping[str, dict] = dataclasses.field(default_factory=dict)
    works: Mapping[str, Reference] = dataclasses.field(default_factory=dict)
    instrument_fallbacks: Mapping[str, str] = dataclasses.field(default_factory=dict)
    answers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    bibliography: str = ""

    def number(self, kind: str, ident: str) -> str:
        """The block's number in the chapter ("11.3")."""
        return _look_up(self.numbering.get(kind, {}), ident, f"the {kind} '{ident}' has no number")

    def math(self, tex: str, display: bool) -> str:
        """The KaTeX HTML for ``tex``, typeset in one batch before rendering."""
        return _look_up(self.katex, (tex, display), f"the TeX '{tex}' was not typeset")

    def quote(self, name: str) -> str:
        """The computed number ``{{ name }}``."""
        return _look_up(self.quoted, name, f"no computed number '{name}'")

    def answer(self, quiz: str) -> str:
        """The quiz's answer as the page writes it (``quiz_answers``)."""
        return _look_up(self.answers, quiz, f"the quiz '{quiz}' has no answer written")

    def cell(self, name: str) -> ExecutedCell:
        return _look_up(self.executed, name, f"the cell '{name}' was not run")

    def citation(self, key: str) -> dict:
        """``{"number", "label", "sections"}`` of a cited work."""
        return _look_up(self.citations, key, f"the work '{key}' has no citation number")


def _look_up(table: Mapping, key, missing: str):
    try:
        return table[key]
    except KeyError:
        raise RenderError(missing) from None


def context_of(env) -> RenderContext:
    """The ``RenderContext`` a render rule was given as markdown-it's ``env``."""
    if not isinstance(env, RenderContext):
        raise TypeError(f"render with a RenderContext as env, not {type(env).__name__}: "
                        "md.renderer.render(tokens, md.options, context)")
    return env


# ── Markdown block plugins ────────────────────────────────────────────────────
#
# Each block kind is one plugin, ``xxx_plugin(md, *, render=...)``. Its rule only
# makes tokens (data in ``token.meta``, source lines in ``token.map``): no rule reads
# a file or keeps state, and what a chapter holds (its cells, its citations) is found
# afterwards by walking the tokens. Rendering is a replaceable function that takes
# what it needs from the ``RenderContext`` passed as markdown-it's ``env``.

OPEN_RE = re.compile(r"^:::\s*([A-Za-z][\w-]*)?(.*)$")


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _find_close(state: StateBlock, start: int, end: int, kind: str) -> int:
    """Return the line of the ``:::`` closing the block opened at ``start``."""
    for line in range(start + 1, end):
        text = _line(state, line).rstrip()
        if text == ":::":
            return line
        if text.startswith(":::"):
            raise BlockError(
                line,
                f"a block opens here before the '{kind}' block of line {start + 1} "
                "is closed; blocks do not nest, close it with ':::' first",
            )
    raise BlockError(start, f"'{kind}' block is not closed: add a line ':::' after it")


def parse_args(text: str, line: int) -> tuple[list[str], dict[str, str]]:
    """Split ``a b key=value key="two words"`` into positional and keyword args."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise BlockError(line, f"cannot read the block's arguments: {error}") from None
    positional, named = [], {}
    for word in words:
        key, eq, value = word.partition("=")
        if eq and re.fullmatch(r"[a-z][a-z_]*", key):
            named[key] = value
        else:
            positional.append(word)
    return positional, named


def _block_rule(kind: str, make_tokens: Callable[..., None]):
    """A block rule for ``::: kind args`` … ``:::`` that calls ``make_tokens``."""

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if state.sCount[start] - state.blkIndent >= 4:
            return False
        match = OPEN_RE.match(_line(state, start))
        if not match or match.group(1) != kind:
            return False
        if silent:
            return True
        close = _find_close(state, start, end, kind)
        positional, named = parse_args(match.group(2), start)
        old_parent, old_max = state.parentType, state.lineMax
        state.parentType, state.lineMax = "container", close
        make_tokens(state, start, close, positional, named)
        state.parentType, state.lineMax = old_parent, old_max
        state.line = close + 1
        return True

    return rule


def _add_block(md: MarkdownIt, kind: str, make_tokens, render_rules: dict[str, Callable]):
    md.block.ruler.before(
        "fence", f"{kind}_block", _block_rule(kind, make_tokens), {"alt": ["paragraph"]}
    )
    for name, render in render_rules.items():
        md.add_render_rule(name, render)


def _nest(state: StateBlock, token_name: str, start: int, end: int, tag: str, **meta) -> Token:
    """Push ``NAME_open``, the Markdown of lines [start, end), and ``NAME_close``."""
    opening = state.push(f"{token_name}_open", tag, 1)
    opening.block, opening.map, opening.meta = True, [start, end], meta
    old_max, state.lineMax = state.lineMax, end
    state.md.block.tokenize(state, start, end)
    state.lineMax = old_max
    closing = state.push(f"{token_name}_close", tag, -1)
    closing.block = True
    return opening


def _require_id(positional: list[str], line: int, kind: str, example: str) -> str:
    if not positional:
        raise BlockError(line, f"{kind} block needs an id, e.g. '::: {kind} {example}'")
    ident = positional[0]
    if not re.fullmatch(r"[a-z][a-z0-9-]*", ident):
        raise BlockError(line, f"{kind} id '{ident}' must be lower-case letters, digits and '-'")
    return ident


def _reject_unknown(named: dict[str, str], allowed: set[str], line: int, kind: str):
    unknown = sorted(set(named) - allowed)
    if unknown:
        raise BlockError(
            line,
            f"{kind} block does not take {', '.join(unknown)} "
            f"(it takes {', '.join(sorted(allowed)) or 'no options'})",
        )


# equation ─────────────────────────────────────────────────────────────────────


def _equation_tokens(state, start, close, positional, named):
    ident = _require_id(positional, start, "equation", 'eq-11-1 "Title"')
    _reject_unknown(named, set(), start, "equation")
    if len(positional) != 2:
        raise BlockError(start, 'equation block needs a quoted title after its id: ::: equation ID "Title"')
    line = start + 1
    while line < close and not _line(state, line).strip():
        line += 1
    first = _line(state, line).strip() if line < close else ""
    if not first.startswith("$$"):
        raise BlockError(line if line < close else start, "equation block must start with a $$ … $$ formula")
    body, last = first[2:], line
    while not body.rstrip().endswith("$$") or (last == line and len(first) < 4):
        last += 1
        if last >= close:
            raise BlockError(line, "display math opened with $$ is not closed with $$ inside the block")
        body += "\n" + _line(state, last)
    tex = body.rstrip()[:-2].strip()
    if not tex:
        raise BlockError(line, "equation formula is empty")
    opening = state.push("equation_open", "figure", 1)
    opening.block, opening.map = True, [start, close + 1]
    opening.meta = {"id": ident, "title": positional[1]}
    math = state.push("equation_math", "div", 0)
    math.block, math.map, math.content = True, [line, last + 1], tex
    _nest(state, "equation_caption", last + 1, close, "figcaption")
    state.push("equation_close", "figure", -1).block = True


def render_equation_open(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    number = context_of(env).number("equation", meta["id"])
    label = f"EQ {number}"
    return (
        f'<figure class="equation" id="{meta["id"]}" aria-labelledby="{meta["id"]}-title">\n'
        f'<p class="equation-title" id="{meta["id"]}-title">'
        f'<a class="anchor" href="#{meta["id"]}">{label}</a> '
        f"<span>{html.escape(meta['title'])}</span></p>\n"
    )


def render_equation_math(self, tokens, idx, options, env):
    return f'<div class="math display">{context_of(env).math(tokens[idx].content, True)}</div>\n'


def equation_plugin(md: MarkdownIt, *, render_open=render_equation_open, render_math=render_equation_math):
    """``::: equation ID "Title"`` with a ``$$ … $$`` formula and a caption."""
    _add_block(
        md,
        "equation",
        _equation_tokens,
        {
            "equation_open": render_open,
            "equation_math": render_math,
            "equation_caption_open": lambda *a: '<figcaption class="equation-caption">\n',
            "equation_caption_close": lambda *a: "</figcaption>\n",
            "equation_close": lambda *a: "</figure>\n",
        },
    )


# quiz ──────────────────────────────────────────────────────────────────────────

QUIZ_SPLIT = re.compile(r"^---\s*(if|explain)\b\s*(.*)$")
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _quiz_tokens(state, start, close, positional, named):
    ident = _require_id(positional, start, "quiz", "q-doubling numeric answer=4")
    if len(positional) < 2 or positional[1] not in ("numeric", "truefalse"):
        raise BlockError(start, "quiz needs a kind after its id: 'numeric' or 'truefalse'")
    kind = positional[1]
    allowed = {"answer", "tolerance", "unit", "units"} if kind == "numeric" else {"answer"}
    _reject_unknown(named, allowed, start, f"{kind} quiz")
    if "answer" not in named:
        raise BlockError(start, f"quiz '{ident}' has no answer: add answer=… to its first line")
    answer = named["answer"]
    meta: dict[str, Any] = {"id": ident, "kind": kind}
    if kind == "numeric":
        if not NUMBER_RE.match(answer):
            raise BlockError(start, f"numeric quiz answer must be a number, got '{answer}'")
        tolerance = named.get("tolerance", "1e-9")
        if not NUMBER_RE.match(tolerance) or float(tolerance) < 0:
            raise BlockError(start, f"tolerance must be a number ≥ 0, got '{tolerance}'")
        meta |= {
            "answer": float(answer),
            "tolerance": float(tolerance),
            "unit": named.get("unit", ""),
            "units": [u for u in named.get("units", "").split(",") if u],
        }
    else:
        if answer.lower() not in ("true", "false"):
            raise BlockError(start, f"true/false quiz answer must be true or false, got '{answer}'")
        meta["answer"] = answer.lower() == "true"
    # split the body at '--- if VALUE' and '--- explain'
    parts: list[tuple[str, str, int]] = [("question", "", start + 1)]
    for line in range(start + 1, close):
        found = QUIZ_SPLIT.match(_line(state, line).strip())
        if found:
            parts.append((found.group(1), found.group(2).strip(), line))
    kinds = [p[0] for p in parts]
    if "explain" not in kinds:
        raise BlockError(start, f"quiz '{ident}' has no explanation: add a '--- explain' section")
    if kinds.count("explain") > 1 or kinds[-1] != "explain":
        raise BlockError(parts[-1][2], "'--- explain' must come once, after the '--- if' sections")
    bounds = [(p, parts[i + 1][2] if i + 1 < len(parts) else close) for i, p in enumerate(parts)]
    for (part, value, line), stop in bounds:
        first = line + 1 if part != "question" else line
        if not any(_line(state, n).strip() for n in range(first, stop)):
            what = {"question": "question", "if": f"feedback for '{value}'", "explain": "explanation"}[part]
            raise BlockError(line, f"quiz '{ident}' has an empty {what}")
        if part == "if":
            if not value:
                raise BlockError(line, "'--- if' needs the answer it responds to, e.g. '--- if 2'")
            if kind == "numeric" and not NUMBER_RE.match(value):
                raise BlockError(line, f"'--- if {value}': a numeric quiz reacts to numbers only")
    opening = state.push("quiz_open", "section", 1)
    opening.block, opening.map, opening.meta = True, [start, close + 1], meta
    for (part, value, line), stop in bounds:
        if part == "explain":
            state.push("quiz_form", "form", 0).meta = meta
        first = line if part == "question" else line + 1
        _nest(state, f"quiz_{part}", first, stop, "div", value=value)
    state.push("quiz_close", "section", -1).block = True


def unit_suffix(unit: str) -> str:
    """What follows a number of this unit: × and % join it, a word is spaced ("17.5 GB").
    The page writes every answer with this suffix (``suffix`` in the quiz data)."""
    return unit if unit in ("×", "%") or not unit else f" {unit}"


QUIZ_ANSWER_JS = "static/js/quiz-answer.js"


def quiz_answers(root: Path, sections: list[Section]) -> dict[str, str]:
    """Each quiz's answer as the page writes it ("True", "4,096 tokens"): a number by
    ``formatNumber`` of the page's own ``quiz-answer.js``, run under Node (one process
    for all), with its unit's suffix."""
    quizzes = [t.meta for s in sections for t, _ in walk(s.tokens) if t.type == "quiz_open"]
    numeric = [meta for meta in quizzes if meta["kind"] == "numeric"]
    with processing(QUIZ_ANSWER_JS):
        from instruments.static_views import call_js

        written = call_js(root / QUIZ_ANSWER_JS, [("formatNumber", meta["answer"]) for meta in numeric],
                          name=QUIZ_ANSWER_JS)
    answers = {meta["id"]: "True" if meta["answer"] else "False" for meta in quizzes if meta["kind"] == "truefalse"}
    answers.update({meta["id"]: text + unit_suffix(meta["unit"]) for meta, text in zip(numeric, written)})
    return answers


def render_quiz_open(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    qid, number = meta["id"], context_of(env).number("quiz", meta["id"])
    data = {k: meta[k] for k in ("kind", "answer", "tolerance", "unit", "units") if k in meta}
    if meta["kind"] == "numeric":
        data["suffix"] = unit_suffix(meta["unit"])
    payload = html.escape(json.dumps(data, ensure_ascii=False), quote=True)
    return (
        f'<section class="quiz" id="{qid}" aria-labelledby="{qid}-title" data-quiz="{payload}">\n'
        f'<h3 class="quiz-title" id="{qid}-title"><a class="anchor" href="#{qid}">Quiz {number}</a></h3>\n'
    )


def render_quiz_part(part: str):
    def render(self, tokens, idx, options, env):
        if tokens[idx].nesting == -1:
            return "</div>\n"
        value = html.escape(tokens[idx].meta.get("value", ""))
        return {
            "question": '<div class="quiz-question">\n',
            "if": f'<div class="quiz-feedback" data-when="{value}" hidden>\n',
            "explain": '<div class="quiz-explanation">\n',
        }[part]

    return render


def render_quiz_form(self, tokens, idx, options, env):
    """The answer form (a text field, or two radio buttons for true/false), the live
    region where the verdict and the feedback for a likely mistake appear, and the
    opening of the closed answer and explanation. The form is a ``<template>``: without
    JavaScript nothing can check an answer, and with it quiz.js puts the form in the
    page as the reader nears the quiz."""
    meta = tokens[idx].meta
    qid = meta["id"]
    if meta["kind"] == "numeric":
        hint = "a number" + (f"; the unit {meta['unit']} is optional" if meta["unit"] else "")
        field = (
            f'<label for="{qid}-answer">Your answer</label>\n'
            f'<input id="{qid}-answer" name="answer" type="text" autocomplete="off" '
            f'spellcheck="false" aria-describedby="{qid}-hint">\n'
        )
        after = f'<span class="quiz-hint" id="{qid}-hint">Answer with {html.escape(hint)}.</span>\n'
    else:
        field = (
            '<fieldset class="quiz-choices">\n<legend>Your answer</legend>\n'
            + "".join(
                f'<label class="quiz-choice"><input type="radio" name="answer" value="{value}"> {value.title()}</label>\n'
                for value in ("true", "false")
            )
            + "</fieldset>\n"
        )
        after = ""
    return (
        f'<template class="quiz-form-template"><form class="quiz-form">\n{field}'
        f'<button type="submit">Check</button>\n'
        f'<button type="button" class="quiz-reveal">Show answer</button>\n'
        f"{after}</form></template>\n"
        f'<div class="quiz-verdict" role="status" aria-live="polite"></div>\n'
        f'<details class="quiz-solution">\n<summary>Answer and explanation</summary>\n'
        f'<p class="quiz-answer"><strong>Answer:</strong> {html.escape(context_of(env).answer(qid))}</p>\n'
    )


def quiz_plugin(md: MarkdownIt, *, render_open=render_quiz_open, render_form=render_quiz_form):
    """``::: quiz ID numeric|truefalse answer=…`` with ``--- if`` and ``--- explain``.

    Tokens come in reading order: the question, the hidden feedback for likely wrong
    answers, the form, then the explanation inside a closed ``<details>``.
    """
    rules = {
        "quiz_open": render_open,
        "quiz_form": render_form,
        "quiz_close": lambda *a: "</details>\n</section>\n",
    }
    for part in ("question", "if", "explain"):
        rules[f"quiz_{part}_open"] = rules[f"quiz_{part}_close"] = render_quiz_part(part)
    _add_block(md, "quiz", _quiz_tokens, rules)


# runnable ─────────────────────────────────────────────────────────────────────


def _runnable_tokens(state, start, close, positional, named):
    _reject_unknown(named, set(), start, "runnable")
    if len(positional) != 1 or not re.fullmatch(r"[a-z][a-z0-9_]*", positional[0]):
        raise BlockError(start, "runnable block needs one cell name, e.g. '::: runnable scaling_costs'")
    opening = _nest(state, "runnable", start + 1, close, "figure", name=positional[0])
    opening.map = [start, close + 1]


def runnable_cells(tokens: list[Token], cells_dir: Path) -> list[str]:
    """The cells that ``tokens`` show, in order; a ``BlockError`` for one whose file
    is missing. A step after parsing: the parse rule itself reads no file."""
    names = []
    for token, line in walk(tokens):
        if token.type == "runnable_open":
            name = token.meta["name"]
            if not (cells_dir / f"{name}.py").is_file():
                raise BlockError(line, f"runnable cell '{name}' has no file runnable/{name}.py")
            names.append(name)
    return names


def render_runnable_open(self, tokens, idx, options, env):
    from instruments.static_views import keyboard_box

    name = tokens[idx].meta["name"]
    context = context_of(env)
    cell, number = context.cell(name), context.number("runnable", name)
    code = highlighted_python(cell.source)
    return (
        f'<figure class="cell" id="cell-{name}" data-cell="{name}" aria-labelledby="cell-{name}-title">\n'
        f'<p class="cell-title" id="cell-{name}-title"><a class="anchor" href="#cell-{name}">'
        f"Code {number}</a> <span>Python · <code>{name}.py</code></span></p>\n"
        f'<div class="cell-source"><pre class="code" {keyboard_box(f"Python code of cell {number}", None)}>'
        f"<code>{code}</code></pre></div>\n"
        f'<div class="cell-output" aria-live="polite">\n{render_cell_output(cell)}</div>\n'
        f'<figcaption class="cell-caption">\n'
    )


# The roles that the page colours (site.css .tok-*, the editor's theme in editor.js), by
# the Pygments token types that have them; any other token is plain text.
TOKEN_ROLES = {
    "Keyword": "keyword", "Keyword.Constant": "number", "Operator.Word": "keyword",
    "Literal.String": "string", "Literal.Number": "number", "Comment": "comment",
    "Name.Function": "name", "Name.Class": "name", "Name.Builtin": "name",
    "Operator": "op", "Punctuation": "op",
}


def token_role(ttype) -> str | None:
    while ttype is not None:
        role = TOKEN_ROLES.get(str(ttype)[len("Token."):])
        if role:
            return role
        ttype = ttype.parent
    return None


@functools.lru_cache(maxsize=None)
def highlighted_python(source: str) -> str:
    """``source`` as HTML, a span only around a run of tokens that the page colours,
    remembered: the build highlights the cells' code while they run, and rendering finds
    it done."""
    from pygments.lexers import PythonLexer

    runs: list[list] = []  # [role, text]
    for ttype, text in PythonLexer().get_tokens(source):
        role = token_role(ttype)  # spaces between tokens are Text: plain; inside a string, its own
        if runs and runs[-1][0] == role:
            runs[-1][1] += text
        else:
            runs.append([role, text])
    return "".join(f'<span class="tok-{role}">{html.escape(text, quote=False)}</span>' if role
                   else html.escape(text, quote=False) for role, text in runs)


def render_cell_output(cell: "ExecutedCell") -> str:
    parts = []
    if cell.output:
        text = "".join(
            html.escape(chunk) if stream == "stdout" else f'<span class="cell-stderr">{html.escape(chunk)}</span>'
            for stream, chunk in cell.output
        )
        parts.append(f'<pre class="cell-stdout">{text}</pre>\n')
    for figure, image in zip(cell.figures, cell.images, strict=True):
        parts.append(render_figure(figure, image))
    return "".join(parts)


def render_figure(figure: dict, image: str) -> str:
    """A chart: its static ``image`` (shown without JavaScript, printed, and replaced
    by the live chart as it nears the view), its data for the live chart, and the same
    data as a table (the display strings ``plot_xy`` made, as the page shows them
    after a Run)."""
    title = figure.get("layout", {}).get("title", "") or "Chart"
    table = figure["table"]
    heads = "".join(f"<th scope=col>{html.escape(h)}</th>" for h in table["columns"])
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in table["rows"])
    more = (f'<p>First {len(table["rows"])} of {table["total"]} rows.</p>\n'
            if table["total"] > len(table["rows"]) else "")
    payload = html.escape(json.dumps(figure, separators=(",", ":")), quote=True)
    return (
        f'<div class="plot" data-figure="{payload}" role="group" aria-label="Chart: {html.escape(title)}">{image}</div>\n'
        f'<details class="plot-data"><summary>Data of the chart “{html.escape(title)}”</summary>\n'
        f'<table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>{more}</details>\n'
    )


def runnable_plugin(md: MarkdownIt, *, render_open=render_runnable_open):
    """``::: runnable NAME`` shows ``runnable/NAME.py`` with its build-time output."""
    _add_block(
        md,
        "runnable",
        _runnable_tokens,
        {"runnable_open": render_open, "runnable_close": lambda *a: "</figcaption>\n</figure>\n"},
    )


# instrument ───────────────────────────────────────────────────────────────────


def _instrument_tokens(state, start, close, positional, named):
    _reject_unknown(named, set(), start, "instrument")
    if len(positional) != 2:
        raise BlockError(start, 'instrument block needs a name and a quoted title: ::: instrument NAME "Title"')
    name, title = positional
    # (imported here, not with build.py: the build's child imports the project's own
    # instruments package, from the root it is given)
    from instruments.catalog import INSTRUMENTS

    if name not in INSTRUMENTS:
        raise BlockError(start, f"unknown instrument '{name}' (known: {', '.join(INSTRUMENTS)})")
    opening = _nest(state, "instrument", start + 1, close, "figure", name=name, title=title)
    opening.map = [start, close + 1]


def render_instrument_open(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    context = context_of(env)
    name, number = meta["name"], context.number("instrument", meta["name"])
    static = context.instrument_fallbacks.get(name, "")
    return (
        f'<figure class="instrument" id="instrument-{name}" data-instrument="{name}" '
        f'aria-labelledby="instrument-{name}-title">\n'
        f'<p class="instrument-title" id="instrument-{name}-title"><a class="anchor" '
        f'href="#instrument-{name}">Instrument {number}</a> <span>{html.escape(meta["title"])}</span></p>\n'
        f'<div class="instrument-body">{static}</div>\n'
        f'<figcaption class="instrument-caption">\n'
    )


def instrument_plugin(md: MarkdownIt, *, render_open=render_instrument_open):
    """``::: instrument NAME "Title"`` with a caption; the widget mounts on it."""
    _add_block(
        md,
        "instrument",
        _instrument_tokens,
        {"instrument_open": render_open, "instrument_close": lambda *a: "</figcaption>\n</figure>\n"},
    )


# citations and the reference list ─────────────────────────────────────────────
#
# Pandoc's and MyST's syntax: ``[@key]``, ``[@key1; @key2]``, and a locator after a
# comma, ``[@dao2024ssd, §6]``. The inline rule makes one ``citation`` token per
# bracket; a bracket that starts with ``@`` but does not parse keeps the reason in
# ``meta["error"]`` for the numbering step to report with its line. The keys are
# numbered in order of first citation by ``number_citations``; ``::: references``
# marks where the list goes.

CITE_KEY = r"[A-Za-z0-9_](?:[\w:.-]*\w)?"
CITATION_RE = re.compile(r"\[@([^\[\]]*)\](?![(\[])")
CITE_ITEM_RE = re.compile(rf"\s*@({CITE_KEY})\s*(?:,\s*(.*?))?\s*")


def parse_citation(inner: str) -> dict:
    """``key1; @key2, locator`` (the bracket without ``[@`` and ``]``) as token meta:
    ``{"keys": [...], "locators": [...]}``, or ``{"error": reason}``."""
    keys, locators = [], []
    for item in ("@" + inner).split(";"):
        found = CITE_ITEM_RE.fullmatch(item)
        if not found:
            return {"error": f"cannot read the citation '[@{inner}]': write [@key] or [@key1; @key2]"}
        if found.group(1) in keys:
            return {"error": f"the citation '[@{inner}]' names '{found.group(1)}' twice"}
        keys.append(found.group(1))
        locators.append(" ".join((found.group(2) or "").split()))
    return {"keys": keys, "locators": locators}


def _citation_rule(state, silent: bool) -> bool:
    if not state.src.startswith("[@", state.pos):
        return False
    found = CITATION_RE.match(state.src, state.pos)
    if not found:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = found.group(0)
        # the line inside the paragraph, so an error can name its own line
        token.meta = parse_citation(found.group(1)) | {"line": state.src.count("\n", 0, state.pos)}
    state.pos = found.end()
    return True


def _references_tokens(state, start, close, positional, named):
    _reject_unknown(named, set(), start, "references")
    if positional:
        raise BlockError(start, "references block takes no arguments: '::: references'")
    if any(_line(state, line).strip() for line in range(start + 1, close)):
        raise BlockError(start + 1, "references block takes no content: the list is made from chapter/references.toml")
    opening = state.push("references_open", "div", 1)
    opening.block, opening.map = True, [start, close + 1]
    state.push("references_close", "div", -1).block = True


def render_citation(self, tokens, idx, options, env):
    """``[3]`` or ``[3, 5]`` (``[3, §6]`` with a locator), each number a link to its
    entry in the list; the link's title names the work."""
    meta = tokens[idx].meta
    context = context_of(env)
    links = []
    for key, locator in zip(meta["keys"], meta["locators"]):
        entry = context.citation(key)
        link = (f'<a href="#ref-{key}" role="doc-biblioref" title="{html.escape(entry["label"])}">'
                f'{entry["number"]}</a>')
        links.append(f"{link}, {html.escape(locator)}" if locator else link)
    joiner = "; " if any(meta["locators"]) else ", "
    return f'<span class="citation">[{joiner.join(links)}]</span>'


def render_references(self, tokens, idx, options, env):
    """The list itself, rendered from ``templates/references.html.j2`` beforehand."""
    return context_of(env).bibliography if tokens[idx].nesting == 1 else ""


def citations_plugin(md: MarkdownIt, *, render_cite=render_citation, render_list=render_references):
    """``[@key]`` and ``[@key1; @key2]`` citations, and ``::: references`` for the list."""
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.add_render_rule("citation", render_cite)
    _add_block(md, "references", _references_tokens,
               {"references_open": render_list, "references_close": render_list})


# stray and unknown blocks ─────────────────────────────────────────────────────


def strict_blocks_plugin(md: MarkdownIt, *, known: tuple[str, ...] = BLOCK_KINDS):
    """Stop on a ``:::`` line that no block plugin took: unknown kind or stray close."""

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if state.sCount[start] - state.blkIndent >= 4:
            return False
        match = OPEN_RE.match(_line(state, start))
        if not match:
            return False
        if match.group(1) is None:
            raise BlockError(start, "':::' closes nothing: no block is open here")
        raise BlockError(
            start, f"unknown block kind '{match.group(1)}' (known: {', '.join(known)})"
        )

    md.block.ruler.before("fence", "strict_blocks", rule, {"alt": ["paragraph"]})


# math and computed numbers ────────────────────────────────────────────────────


def math_plugin(md: MarkdownIt):
    """``$…$`` and ``$$…$$`` through dollarmath, rendered from the KaTeX batch."""
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    dollarmath_plugin(md, allow_labels=False, allow_space=False, allow_digits=False)
    md.add_render_rule(
        "math_inline",
        lambda self, tokens, idx, options, env: (
            f'<span class="math inline">{context_of(env).math(tokens[idx].content, False)}</span>'
        ),
    )
    md.add_render_rule(
        "math_block",
        lambda self, tokens, idx, options, env: (
            f'<div class="math display">{context_of(env).math(tokens[idx].content.strip(), True)}</div>\n'
        ),
    )


def quoted_plugin(md: MarkdownIt):
    """``{{ name }}`` becomes a number computed by ``instruments.quoted``."""
    from mdit_py_plugins.substitution import substitution_plugin

    substitution_plugin(md)

    def render(self, tokens, idx, options, env):
        name = tokens[idx].content
        value = context_of(env).quote(name)
        return f'<span class="computed" data-name="{html.escape(name)}">{html.escape(value)}</span>'

    md.add_render_rule("substitution_inline", render)
    md.add_render_rule("substitution_block", lambda self, t, i, o, env: f"<p>{render(self, t, i, o, env)}</p>\n")


def heading_links_plugin(md: MarkdownIt):
    """Names each heading's "#" link after its heading ("Link to “Where Mamba-2 stands”"),
    so that a screen reader does not announce a bare "#". Use after ``anchors_plugin``."""

    def name_links(state):
        for heading, inline in zip(state.tokens, state.tokens[1:]):
            if heading.type != "heading_open" or not inline.children:
                continue
            words = []
            for child in inline.children:
                if child.type == "link_open" and child.attrGet("class") == "header-anchor":
                    child.attrSet("aria-label", f"Link to “{''.join(words).strip()}”")
                    break
                words.append(child.content)

    md.core.ruler.after("anchor", "heading_links", name_links)


def make_markdown() -> MarkdownIt:
    """The chapter's Markdown: CommonMark + tables + the chapter's blocks."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark", {"typographer": True}).enable(["table", "replacements", "smartquotes"])
    md.use(front_matter_plugin)
    md.use(math_plugin)
    md.use(quoted_plugin)
    md.use(equation_plugin)
    md.use(quiz_plugin)
    md.use(runnable_plugin)
    md.use(instrument_plugin)
    md.use(citations_plugin)
    md.use(strict_blocks_plugin)
    md.use(anchors_plugin, min_level=3, max_level=3, permalink=True, permalinkSymbol="#")
    md.use(heading_links_plugin)
    return md


# ── step 1: read ──────────────────────────────────────────────────────────────


@dataclasses.dataclass
class Options:
    root: Path = ROOT
    out: Path = ROOT / "_site"
    pyodide: str = "cdn"  # "cdn" or "local"
    service_worker: bool = True  # False (--serve): the page registers none; sw.js removes one
    python_snapshot: bool = True  # False: Python starts the usual way in the page (no snapshot shipped)
    base_path: str = ""  # the site's path on its host ("/repo/"): the 404 page's links resolve against it


@dataclasses.dataclass
class Section:
    path: Path
    rel: str
    source: str
    meta: dict = dataclasses.field(default_factory=dict)
    tokens: list = dataclasses.field(default_factory=list)
    html: str = ""
    words: int = 0  # of the rendered section, markup aside: what its height is estimated from


@dataclasses.dataclass
class ExecutedCell:
    """A cell as the build ran it: its output chunks ``[stream, text]`` in order, and
    its charts (figure dicts), exactly as ``session.run_cell`` hands them to the page."""

    name: str
    source: str
    output: list
    figures: list
    images: list = dataclasses.field(default_factory=list)  # each figure as SVG text (chart_images)

    @property
    def stdout(self) -> str:
        return "".join(text for stream, text in self.output if stream == "stdout")


CHAPTER_TOML = "chapter/chapter.toml"


def read_chapter(root: Path) -> tuple[dict, list[Section]]:
    """The chapter's metadata and its section files, in file-name order."""
    meta_path = root / CHAPTER_TOML
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BuildError(meta_path.relative_to(root), None, f"cannot read chapter metadata: {error}")
    for key in ("number", "kicker", "title", "lede", "level"):
        if key not in meta:
            raise BuildError(meta_path.relative_to(root), None, f"missing '{key}'")
    sections = [
        Section(path, str(path.relative_to(root)), path.read_text(encoding="utf-8"))
        for path in sorted((root / "chapter").glob("[0-9]*.md"))
    ]
    if not sections:
        raise BuildError("chapter", None, "no section files (chapter/NN-*.md)")
    return meta, sections


REFERENCES = "chapter/references.toml"
REFERENCE_FIELDS = {"authors": str, "year": int, "title": str, "venue": str, "url": str, "note": str}


@dataclasses.dataclass
class Reference:
    """One table of ``chapter/references.toml``; ``line`` is that of its ``[key]``."""

    key: str
    line: int
    authors: str
    year: int
    title: str
    venue: str
    url: str
    note: str = ""
    note_tokens: list = dataclasses.field(default_factory=list)


def read_references(root: Path) -> dict[str, Reference]:
    """The works the chapter may cite, by key, in the file's order."""
    path = root / REFERENCES
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"line (\d+)", str(error))
        raise BuildError(REFERENCES, int(at.group(1)) if at else None, f"cannot read the references: {error}")
    lines = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[\s*\"?([^\]\"]+?)\"?\s*\]\s*(#.*)?$", line)
        if header:
            lines.setdefault(header.group(1), number)
    references = {}
    for key, fields in tables.items():
        line = lines.get(key)
        if not isinstance(fields, dict):
            raise BuildError(REFERENCES, None, f"'{key}' must be a table: [{key}] followed by its fields")
        if not re.fullmatch(CITE_KEY, key):
            raise BuildError(REFERENCES, line, f"reference key '{key}' must be letters, digits and _ : . - inside")
        unknown = sorted(set(fields) - set(REFERENCE_FIELDS))
        if unknown:
            raise BuildError(REFERENCES, line, f"reference '{key}' has unknown fields {', '.join(unknown)} "
                             f"(known: {', '.join(REFERENCE_FIELDS)})")
        for name, kind in REFERENCE_FIELDS.items():
            if name == "note" and name not in fields:
                continue
            if not isinstance(fields.get(name), kind) or (kind is str and not fields[name].strip()):
                what = "a year" if kind is int else "text"
                raise BuildError(REFERENCES, line, f"reference '{key}' needs '{name}' ({what})")
        if not re.match(r"https://\S+$", fields["url"]):
            raise BuildError(REFERENCES, line, f"reference '{key}': url must be an https:// link, got '{fields['url']}'")
        references[key] = Reference(key=key, line=line, **fields)
    return references


# ── step 2: parse ─────────────────────────────────────────────────────────────

FRONT_MATTER_KEYS = ("number", "id", "title")


def parse_front_matter(section: Section) -> dict:
    """The ``key: value`` lines of the section's front matter: the ``front_matter``
    token that parsing made of the lines between the leading ``---`` fences."""
    first = section.tokens[0] if section.tokens else None
    if first is None or first.type != "front_matter":
        if section.source.split("\n", 1)[0].strip() == "---":
            raise BuildError(section.rel, 1, "front matter is not closed with ---")
        raise BuildError(section.rel, 1, "section must start with front matter (---, number, id, title, ---)")
    meta = {}
    for number, line in enumerate(first.content.split("\n") if first.content else [], start=2):
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise BuildError(section.rel, number, f"front matter line must be 'key: value', got '{line}'")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[key.strip()] = value
    for key in FRONT_MATTER_KEYS:
        if not meta.get(key):
            raise BuildError(section.rel, 1, f"front matter needs '{key}'")
    return meta


def parse_sections(md: MarkdownIt, sections: list[Section]) -> None:
    """Tokens and front matter for every section; a malformed block stops with its
    file and line."""
    for section in sections:
        with processing(section.rel):
            section.tokens = md.parse(section.source)
        section.meta = parse_front_matter(section)


def chapter_cells(root: Path, sections: list[Section]) -> list[str]:
    """The chapter's code cells in page order; stops on one with no ``runnable/`` file."""
    names = []
    for section in sections:
        with processing(section.rel):
            names += runnable_cells(section.tokens, root / "runnable")
    return names


def walk(tokens: list[Token], parent_line: int | None = None):
    """Every token with the 0-based source line it came from (children included)."""
    for token in tokens:
        line = token.map[0] if token.map else parent_line
        yield token, line
        if token.children:
            yield from walk(token.children, line)


def block_anchor(kind: str, ident: str) -> str:
    """The page's anchor of a numbered block: a cell's and an instrument's are prefixed,
    an equation's and a quiz's are their ids."""
    return {"runnable": f"cell-{ident}", "instrument": f"instrument-{ident}"}.get(kind, ident)


def number_blocks(chapter_number: int, sections: list[Section]) -> dict:
    """Number equations, quizzes, cells and instruments in page order; ids unique."""
    numbers: dict[str, dict[str, str]] = {k: {} for k in BLOCK_KINDS}
    seen: dict[str, str] = {}
    keys = {"equation_open": ("equation", "id"), "quiz_open": ("quiz", "id"),
            "runnable_open": ("runnable", "name"), "instrument_open": ("instrument", "name")}
    for section in sections:
        anchor = section.meta["id"]
        if anchor in seen:
            raise BuildError(section.rel, 1, f"id '{anchor}' is already used at {seen[anchor]}")
        seen[anchor] = f"{section.rel}:1"
        for token, line in walk(section.tokens):
            if token.type not in keys:
                continue
            kind, field = keys[token.type]
            ident = token.meta[field]
            anchor = block_anchor(kind, ident)
            if anchor in seen:
                raise BuildError(section.rel, line + 1, f"id '{anchor}' is already used at {seen[anchor]}")
            seen[anchor] = f"{section.rel}:{line + 1}"
            numbers[kind][ident] = f"{chapter_number}.{len(numbers[kind]) + 1}"
    return numbers


def prose_sources(sections: list[Section], references: dict[str, Reference]) -> list[tuple]:
    """The chapter's tokens, then each reference note's: ``(file, tokens, lines before
    them in that file, the section's front matter or None)``."""
    return ([(s.rel, s.tokens, 0, s.meta) for s in sections]
            + [(REFERENCES, r.note_tokens, r.line - 1, None) for r in references.values()])


def check_numbered_links(sections: list[Section], references: dict[str, Reference], numbering: dict,
                         chapter_number: int) -> None:
    """A link to a numbered place (a section, an equation, a quiz, a cell, an
    instrument) whose text writes a number of this chapter (``11.4``, as in an
    equation's link text) writes that place's number: the build numbers in page order,
    so moving a block renumbers it, and the link's text must follow. Stops with the
    link's file and line."""
    written_number = re.compile(rf"(?<![\w.]){chapter_number}\.\d+(?![\w.]|\.\d)")
    numbers = {s.meta["id"]: s.meta["number"] for s in sections}
    numbers.update({block_anchor(kind, ident): number
                    for kind, numbered in numbering.items() for ident, number in numbered.items()})
    for rel, tokens, base, _ in prose_sources(sections, references):
        for inline, line in walk(tokens):
            if inline.type != "inline" or not inline.children:
                continue
            below, target, text = 0, None, []  # lines below the paragraph's first; the open link
            for token in inline.children:
                if token.type in ("softbreak", "hardbreak"):
                    below += 1
                    if target is not None:
                        text.append(" ")
                elif token.type == "link_open" and (token.attrGet("href") or "").startswith("#"):
                    target, text, at = token.attrGet("href")[1:], [], below
                elif token.type == "link_close" and target is not None:
                    said = "".join(text)
                    if target in numbers and any(n != numbers[target] for n in written_number.findall(said)):
                        raise BuildError(rel, base + (line or 0) + at + 1,
                                         f"the link to #{target} reads '{said}', but that place is "
                                         f"numbered {numbers[target]}")
                    target = None
                elif target is not None and token.type in ("text", "code_inline"):
                    text.append(token.content)


def parse_notes(md: MarkdownIt, references: dict[str, Reference]) -> None:
    """Tokens for each reference's note (inline Markdown: links, math, citations)."""
    for reference in references.values():
        reference.note_tokens = md.parseInline(reference.note) if reference.note else []


def reference_label(reference: Reference) -> str:
    """A short name for the work: first author's surname, "et al.", year, title."""
    names = [n.split(",")[0].strip() for n in re.split(r"\s*&\s*|\.,\s*", reference.authors) if n.strip()]
    first = names[0] if names else reference.authors
    who = first if len(names) == 1 and "et al" not in reference.authors else f"{first} et al."
    if len(names) == 2 and "et al" not in reference.authors:
        who = f"{names[0]} & {names[1]}"
    return f"{who} ({reference.year}), {reference.title}"


def number_citations(sections: list[Section], references: dict[str, Reference]) -> dict[str, dict]:
    """Number the cited works in order of first citation (the chapter, then the notes).

    Returns ``{key: {"number", "label", "sections": [(id, number), ...]}}``. Stops on
    an unreadable citation or an unknown key, with the citation's file and line.
    """
    cited: dict[str, dict] = {}
    for rel, tokens, base, section_meta in prose_sources(sections, references):
        for token, line in walk(tokens):
            if token.type != "citation":
                continue
            where = base + (line or 0) + 1 + token.meta["line"]
            if "error" in token.meta:
                raise BuildError(rel, where, token.meta["error"])
            for key in token.meta["keys"]:
                if key not in references:
                    raise BuildError(rel, where, f"unknown reference key '{key}'")
                entry = cited.setdefault(key, {"number": len(cited) + 1, "label": reference_label(references[key]),
                                               "sections": []})
                place = (section_meta["id"], section_meta["number"]) if section_meta else None
                if place and place not in entry["sections"]:
                    entry["sections"].append(place)
    return cited


def check_references(sections: list[Section], references: dict[str, Reference], cited: dict[str, dict]) -> None:
    """Stop unless the cited works have exactly one ``::: references`` block to list
    them, and on a listed work that the chapter never cites (with its line)."""
    lists = [(s.rel, line + 1) for s in sections for token, line in walk(s.tokens) if token.type == "references_open"]
    if len(lists) > 1:
        raise BuildError(*lists[1], f"a second '::: references' block (the first is at {lists[0][0]}:{lists[0][1]})")
    if cited and not lists:
        raise BuildError("chapter", None, "the chapter cites works but has no '::: references' block to list them")
    for key, reference in references.items():
        if key not in cited:
            raise BuildError(REFERENCES, reference.line, f"reference '{key}' is never cited")


# ── step 3: execute ───────────────────────────────────────────────────────────


class Child:
    """The build's one Python process besides itself (``build.py --child ROOT``), started
    before the chapter is parsed. It imports the page's session and numpy, runs the
    cells it is sent (``execute_cells``), then computes the quoted numbers and the instruments' values
    (``compute_instruments``), and answers each with one line of JSON. Every build has a
    fresh one: nothing of another tree stays imported, and this process's
    ``sys.path`` stays as it was."""

    def __init__(self, root: Path):
        self.stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        # One BLAS thread, as in the page (Pyodide has none): idle BLAS threads spin and
        # would count in the CPU time that a cell measures with time.process_time.
        env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(
            child_command("--child", str(root)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True, encoding="utf-8", env=env, cwd=root,
        )
        self.answers: list[dict] = []
        self.reading = threading.Lock()

    def run_cells(self, names: list[str]) -> dict:
        """Send the cells to run (none where their outputs are cached); their outputs."""
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.write(json.dumps({"cells": names}) + "\n")
            self.process.stdin.close()
        return self.answer(0)

    def instruments(self) -> dict:
        return self.answer(1)

    def answer(self, index: int) -> dict:
        while True:
            with self.reading:  # one line at a time: the cells' answer is not held back by the numbers'
                if len(self.answers) > index:
                    return self.answers[index]
                line = self.process.stdout.readline()
                if not line:
                    self.process.wait()
                    self.stderr.seek(0)
                    raise BuildError("build.py", None, f"the build's Python child ended early:\n{self.stderr.read().strip()}")
                self.answers.append(json.loads(line))

    def close(self) -> None:
        """End the process if it still runs (a build that failed or needed no more of it)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.stderr):
            stream.close()


@contextlib.contextmanager
def child_process(root: Path, child: Child | None = None):
    """``child``, or a ``Child`` of ``root`` started now and closed on the way out."""
    if child is not None:
        yield child
        return
    child = Child(root)
    try:
        yield child
    finally:
        child.close()


def execute_cells(root: Path, names: list[str], child: Child | None = None) -> dict[str, ExecutedCell]:
    """Run the cells under CPython, in page order, in one namespace (as the page does),
    in ``child`` or in a child started now. Their outputs are cached under
    ``execution_key``: a cached run sends the child no cells."""
    cache = Path(os.environ.get("BUILD_CACHE", root / ".cache")) / "prerun" / f"{execution_key(root, names)}.json"
    cached = json.loads(cache.read_text(encoding="utf-8")) if names and cache.is_file() else None
    with child_process(root, child) as child:
        result = child.run_cells([] if cached else names)
    if cached:
        return {c["name"]: ExecutedCell(**c) for c in cached["cells"]}
    if result.get("error"):
        error = result["error"]
        raise BuildError(f"runnable/{error['cell']}.py", error["line"], f"the cell failed:\n{error['reason']}")
    if names:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(result), encoding="utf-8")
    return {c["name"]: ExecutedCell(**c) for c in result["cells"]}


def cells_as_written(root: Path, names: list[str]) -> dict[str, ExecutedCell]:
    """The cells' code before they run (no output yet): what the notebook needs of them."""
    return {name: ExecutedCell(name, (root / "runnable" / f"{name}.py").read_text(encoding="utf-8"), [], [])
            for name in names}


def chart_images(root: Path, executed: dict[str, ExecutedCell]) -> dict[str, ExecutedCell]:
    """Each cell with the static images of its charts, drawn by the page's own
    ``instruments/chart_image.js`` under Node (one process for all of them)."""
    with processing("instruments/chart_image.js"):
        from instruments.static_views import call_js

        figures = [figure for cell in executed.values() for figure in cell.figures]
        images = iter(call_js(root / "instruments" / "chart_image.js", [("chartImage", f) for f in figures]))
    return {name: dataclasses.replace(cell, images=[next(images) for _ in cell.figures])
            for name, cell in executed.items()}


def execution_key(root: Path, names: list[str]) -> str:
    """What a pre-run's output depends on: the cells in order, the modules they import,
    and the interpreter. Outputs are cached under this key (as jupyter-cache does), so
    a cell that prints timings gives the same page on every build of the same tree."""
    digest = hashlib.sha256()
    # numpy's version file rather than numpy.__version__: importing numpy here would
    # delay starting the cells by the time it takes
    numpy = importlib.util.find_spec("numpy")
    version = Path(numpy.origin).with_name("version.py") if numpy and numpy.origin else None
    digest.update(f"{sys.version}|{names}".encode())
    digest.update(version.read_bytes() if version and version.is_file() else b"-")
    for path in [root / "runnable" / f"{n}.py" for n in names] + sorted((root / "instruments").glob("*.py")) + [
        root / "runnable" / "plotting.py", root / "runnable" / "session.py", Path(__file__).resolve()
    ]:
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:24]


def child_command(*args: str) -> list[str]:
    """The command of the build's child process (``Child``): this file imported as the
    module ``build`` (so its bytecode is cached, where Python writes bytecode; a script
    is compiled afresh every time), with its folder first on ``sys.path``, as for a
    script."""
    here = Path(__file__).resolve()
    code = f"import sys; sys.path[0] = {str(here.parent)!r}; import build; sys.exit(build.main())"
    return [sys.executable, "-c", code, *args]


def cell_session(root: Path):
    """The child's first step (``Child``): the page's ``session`` module (``root``'s, else
    this file's), imported with numpy, which the chapter's cells import, before it is
    told which cells to run."""
    sys.path[:0] = [str(root / "runnable"), str(root), str(ROOT / "runnable"), str(ROOT)]
    import session

    with contextlib.suppress(ImportError):
        import numpy  # noqa: F401
    return session


def run_cells_here(root: Path, names: list[str], session) -> dict:
    """The child's side of ``execute_cells``: each cell through ``session.run_cell``,
    the page's own runner, in one namespace; output and charts captured as it sends
    them to the page."""
    session.install()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    cells = []
    for name in names:
        source = (root / "runnable" / f"{name}.py").read_text(encoding="utf-8")
        output: list[list[str]] = []
        figures: list[dict] = []
        result = session.run_cell(
            source, name, namespace=namespace,
            write=lambda stream, text, out=output: out.append([stream, text]),
            emit_figure=lambda text, found=figures: found.append(json.loads(text)),
        )
        if result["status"] != "ok" or result["truncated"]:
            reason = result["traceback"] or result["note"] or "its output exceeds the page's cap"
            return {"error": {"cell": name, "line": result["line"], "reason": reason}}
        cells.append({"name": name, "source": source, "output": output, "figures": figures})
    return {"cells": cells}


# ── step 4: typeset ───────────────────────────────────────────────────────────

KATEX_BATCH = r"""
const katex = require("katex");
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = items.map(([tex, display]) => {
  try {
    return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "ignore", output: "mathml" }) };
  } catch (error) {
    return { error: String(error.message || error) };
  }
});
process.stdout.write(JSON.stringify(out));
"""

MATH_TOKENS = {"math_inline": False, "math_block": True, "equation_math": True}


def typeset_math(
    root: Path, sections: list[Section], references: dict[str, Reference] | None = None
) -> dict[tuple[str, bool], str]:
    """All the chapter's math (the references' notes too) through KaTeX in one Node
    process, at build time."""
    found: dict[tuple[str, bool], tuple[str, int]] = {}
    sources = [(s.rel, s.tokens, 0) for s in sections]
    sources += [(REFERENCES, r.note_tokens, r.line - 1) for r in (references or {}).values()]
    for rel, tokens, base in sources:
        for token, line in walk(tokens):
            if token.type in MATH_TOKENS:
                key = (token.content.strip(), MATH_TOKENS[token.type])
                found.setdefault(key, (rel, base + (line or 0) + 1))
    items = sorted(found)
    if not (root / "node_modules" / "katex").is_dir():
        raise BuildError("node_modules", None, "KaTeX is not installed: run the setup ('make site' or 'npm ci') first")
    try:
        done = subprocess.run(
            ["node", "-e", KATEX_BATCH], input=json.dumps(items), capture_output=True,
            text=True, cwd=root, timeout=120,
        )
    except FileNotFoundError:
        raise BuildError("build.py", None, "Node.js is not installed: the math is typeset by KaTeX under Node") from None
    if done.returncode != 0:
        raise BuildError("build.py", None, f"KaTeX (node) failed:\n{done.stderr.strip()}")
    rendered = {}
    for key, result in zip(items, json.loads(done.stdout)):
        if "error" in result:
            path, line = found[key]
            raise BuildError(path, line, f"invalid TeX '{key[0]}': {result['error']}")
        try:
            rendered[key] = browser_mathml(result["html"])
        except (ValueError, SyntaxError) as error:  # xml.etree's ParseError is a SyntaxError
            raise BuildError(*found[key], f"TeX '{key[0]}': {error}") from None
    return rendered


# KaTeX's MathML is the page's math: browsers lay it out natively (a fifth of the
# markup of KaTeX's HTML, no positioned spans, one math font). ``browser_mathml``
# rewrites the few things MathML Core, and so Chromium, does not read: styled letters
# (``mathvariant``), table column alignment and spacing, accents drawn with spacing
# characters, and the operator spacing TeX drops in sub- and superscripts.

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
VARIANT_NAMES = {
    "bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC", "double-struck": "DOUBLE-STRUCK",
    "script": "SCRIPT", "bold-script": "BOLD SCRIPT", "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF", "bold-sans-serif": "SANS-SERIF BOLD", "sans-serif-italic": "SANS-SERIF ITALIC",
    "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC", "monospace": "MONOSPACE",
}
DIGIT_NAMES = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")
# accent characters as KaTeX writes them → the ones math fonts place over a letter
ACCENTS = {"^": "\u02c6", "~": "\u02dc", "\u02c9": "\u203e"}
WIDE_ACCENTS = {"^": "\u0302", "~": "\u0303"}
# spacing accents over text → the combining marks that make one character with it
TEXT_ACCENTS = {"ˊ": "\u0301", "ˋ": "\u0300", "^": "\u0302", "ˆ": "\u0302", "~": "\u0303", "˜": "\u0303",
                "¨": "\u0308", "ˉ": "\u0304", "˘": "\u0306", "ˇ": "\u030c", "˙": "\u0307", "˚": "\u030a"}
DELIMITERS = set("([{⟨⌊⌈)]}⟩⌋⌉")
CLOSING = set(")]}⟩⌋⌉!′″")
SIGNS = set("−+±∓")
BRACES = set("⏟⏞⎵⎴")
SCRIPTS = ("msub", "msup", "msubsup", "munder", "mover", "munderover")  # children after the first are scripts


def styled_letter(char: str, variant: str) -> str | None:
    """``char`` in Unicode's mathematical alphabet ``variant`` (𝔼 for double-struck E,
    𝑥 for italic x), or None where Unicode has none."""
    import unicodedata

    style = VARIANT_NAMES[variant]
    name = unicodedata.name(char, "")
    if char.isascii() and char.isdigit():
        names = [f"MATHEMATICAL {style} DIGIT {DIGIT_NAMES[int(char)]}"]
    elif char.isascii() and char.isalpha():
        case = "CAPITAL" if char.isupper() else "SMALL"
        # a few letters predate the block and keep their older names (ℝ, ℂ, ℋ, ℭ, ℎ …)
        older = style.replace("FRAKTUR", "BLACK-LETTER")
        names = [f"MATHEMATICAL {style} {case} {char.upper()}", f"{older} {case} {char.upper()}"]
        if (variant, char) == ("italic", "h"):
            names.append("PLANCK CONSTANT")
    elif name.startswith(("GREEK ", "LATIN ")) or char in "∇∂":
        # GREEK SMALL LETTER ALPHA → MATHEMATICAL BOLD SMALL ALPHA; NABLA → MATHEMATICAL BOLD NABLA
        rest = name.removeprefix("GREEK ").removeprefix("LATIN ").replace("LETTER ", "")
        names = [f"MATHEMATICAL {style} {rest}", f"MATHEMATICAL {style} PARTIAL DIFFERENTIAL" if char == "∂" else ""]
    else:
        return None
    for name in names:
        with contextlib.suppress(KeyError):
            return unicodedata.lookup(name)
    return None


def browser_mathml(markup: str) -> str:
    """KaTeX's ``<span class="katex"><math>…</math></span>`` as a bare ``<math>`` that
    renders alike in Chromium, Firefox and Safari."""
    import unicodedata
    import xml.etree.ElementTree as ET

    ET.register_namespace("", MATHML_NS)
    math = ET.fromstring(markup[markup.index("<math"):markup.rindex("</math>") + len("</math>")])
    unspace_scripts(math)
    for element in math.iter():
        tag = element.tag.rpartition("}")[2]
        if tag in ("mi", "mo", "mn") and len(element):
            # KaTeX wraps ``\underset`` and ``\overset`` in a token element, which
            # browsers draw as flat text: a row lays the same children out
            element.tag, tag = f"{{{MATHML_NS}}}mrow", "mrow"
            element.attrib.clear()
        variant = element.get("mathvariant")
        if tag in ("mi", "mn") and variant in VARIANT_NAMES and element.text:
            letters = [styled_letter(c, variant) for c in element.text]
            if not all(letters):
                raise ValueError(f"Unicode has no {variant} form of '{element.text}', and browsers draw "
                                 f"no other: write it without the style")
            element.text = "".join(letters)
            del element.attrib["mathvariant"]
        elif tag == "mi" and variant is None and len(element.text or "") == 1:
            # a one-letter identifier is italic: written as its italic letter, so the
            # font cut down to the page's characters holds the glyph drawn
            element.text = styled_letter(element.text, "italic") or element.text
        elif tag == "mover" and element.get("accent") == "true" and len(element) == 2 and element[0].tag.endswith("}mtext"):
            # an accent in \\text{…} (é): one character of the text again
            mark = TEXT_ACCENTS.get(element[1].text or "")
            if mark is None or not element[0].text:
                raise ValueError(f"the accent '{element[1].text}' over text has no combining form: type the accented letter")
            element.tag, element.text = f"{{{MATHML_NS}}}mtext", unicodedata.normalize("NFC", element[0].text + mark)
            element.attrib.clear()
            element[:] = []
        elif tag == "mover" and element.get("accent") == "true" and len(element) == 2 and element[1].text in ACCENTS:
            if element[1].get("stretchy") == "true":  # \\widehat, \\widetilde: the combining mark stretches
                element[1].text = WIDE_ACCENTS.get(element[1].text, element[1].text)
            else:
                element[1].text = ACCENTS[element[1].text]
                element[1].set("stretchy", "false")
        elif tag == "menclose" or tag == "mlabeledtr" or (tag == "mtable" and ("columnlines" in element.attrib
                                                                                 or "rowlines" in element.attrib)):
            raise ValueError("boxes, strike-outs and ruled arrays (\\boxed, \\cancel, array with | or \\hline) "
                             "are not drawn by Chromium's MathML: write the math without them")
        elif tag == "mtable" and element.get("width") == "100%":
            raise ValueError("\\tag: equations are numbered by their ::: equation block")
        elif tag in ("munder", "mover") and len(element) == 2 and element[1].text in BRACES:
            # Chromium assembles a wide brace from STIX Two Math's parts only at some
            # sizes; at the others it draws part of it
            raise ValueError("a stretched brace (\\underbrace, \\overbrace) is drawn cut short in Chromium: "
                             "label the term with \\underset{…}{…} or \\overset{…}{…} instead")
        elif tag == "mtable":
            spread_columns(element)
    return ET.tostring(math, encoding="unicode")


def unspace_scripts(element, in_script: bool = False) -> None:
    """Operator spacing as TeX sets it, where MathML Core's differs: none around
    operators in sub- and superscripts, none inside delimiters (``\\big(`` is not first
    in its row, so browsers would space it as an infix operator), and none after a
    sign that starts a term (``= −x``, ``(−x``, ``w, −x``)."""
    tag = element.tag.rpartition("}")[2]
    if tag == "mo" and (in_script or element.text in DELIMITERS):
        element.set("lspace", "0")
        element.set("rspace", "0")
    previous = None
    for i, child in enumerate(element):
        child_tag = child.tag.rpartition("}")[2]
        if (tag in ("mrow", "mtd", "mstyle") and child_tag == "mo" and child.text in SIGNS
                and (previous is None or (previous.tag.endswith("}mo") and previous.text not in CLOSING))):
            child.set("lspace", "0")
            child.set("rspace", "0")
        unspace_scripts(child, in_script or (tag in SCRIPTS and i > 0 and element.get("accent") != "true"))
        blank = child_tag == "mspace" or (child_tag == "mtext" and not (child.text or "").strip())
        if not (blank or (child_tag == "mrow" and len(child) == 0)):  # spaces and KaTeX's empty rows hold no atom
            previous = child


def spread_columns(table) -> None:
    """A table's ``columnalign``, ``columnspacing`` and ``rowspacing`` moved onto its
    cells (a class and a padding), which MathML Core browsers read."""
    def values(name: str, default: str, count: int) -> list[str]:
        given = table.attrib.pop(name, default).split() or [default]
        return [given[min(i, len(given) - 1)] for i in range(count)]

    def em(length: str) -> float:
        return float(length[:-2]) if length.endswith("em") else 0.0

    rows = [row for row in table if row.tag.endswith("}mtr")]
    columns = max((len(row) for row in rows), default=0)
    aligns = values("columnalign", "center", columns)
    gaps = [em(g) / 2 for g in values("columnspacing", "0.8em", max(columns - 1, 1))]
    half_row = em(values("rowspacing", "0.5em", 1)[0]) / 2
    for row in rows:
        for j, cell in enumerate(row):
            if aligns[j] in ("left", "right"):
                cell.set("class", f"math-{aligns[j]}")
            left, right = gaps[j - 1] if j else 0, gaps[j] if j < columns - 1 else 0
            cell.set("style", f"padding:{half_row:g}em {right:g}em {half_row:g}em {left:g}em")


# ── step 5: render ────────────────────────────────────────────────────────────


def check_quoted(sections: list[Section], numbers: dict[str, str]) -> dict[str, str]:
    """Every ``{{ name }}`` of the prose is computed, and every computed number is quoted."""
    used = set()
    for section in sections:
        for token, line in walk(section.tokens):
            if token.type.startswith("substitution"):
                used.add(token.content)
                if token.content not in numbers:
                    raise BuildError(
                        section.rel, (line or 0) + 1,
                        f"unknown computed number '{{{{ {token.content} }}}}' (known: {', '.join(sorted(numbers))})",
                    )
    unused = sorted(set(numbers) - used)
    if unused:
        raise BuildError("instruments/quoted.py", None, f"computed but never quoted: {', '.join(unused)}")
    return numbers


def render_bibliography(md: MarkdownIt, environment: jinja2.Environment, context: RenderContext) -> str:
    """The reference list, in order of first citation, from the template
    ``references.html.j2`` of ``environment``; notes are inline Markdown, rendered like
    the prose."""
    import markupsafe

    with processing(REFERENCES):
        entries = []
        for key, cited in sorted(context.citations.items(), key=lambda item: item[1]["number"]):
            reference = context.works[key]
            entries.append({
                "key": key,
                "number": cited["number"],
                "authors": reference.authors,
                "year": reference.year,
                "title": reference.title,
                "title_stop": "" if reference.title[-1] in ".?!" else ".",
                "venue": reference.venue,
                "url": reference.url,
                "url_text": re.sub(r"^https://(www\.)?", "", reference.url).rstrip("/"),
                "note_html": markupsafe.Markup(
                    md.renderer.render(reference.note_tokens, md.options, context)) if reference.note_tokens else "",
                "sections": [{"id": ident, "number": number} for ident, number in cited["sections"]],
            })
        return environment.get_template("references.html.j2").render(references=entries)


def render_sections(md: MarkdownIt, sections: list[Section], context: RenderContext) -> None:
    for section in sections:
        body = [t for t in section.tokens if t.type != "front_matter"]
        with processing(section.rel):
            section.html = md.renderer.render(body, md.options, context)
        section.words = len(re.sub(r"<[^>]*>", "", section.html).split())


def reading_minutes(sections: list[Section]) -> int:
    """Reading time from the prose: code, math and markup are not counted."""
    words = 0
    for section in sections:
        for token, _ in walk(section.tokens):
            if token.type == "text":
                words += len(token.content.split())
    return max(1, round(words / WORDS_PER_MINUTE))


def serve_as_child(root: Path) -> None:
    """The child's whole life (``Child``): the cells it is sent, then the numbers, each
    answered with a line of JSON on the standard output it was given. Anything else
    written to it (a stray ``print``) goes to the standard error instead."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    session = cell_session(root)
    names = json.loads(sys.stdin.readline())["cells"]
    for answer in (lambda: run_cells_here(root, names, session), lambda: compute_instruments_here(root)):
        answers.write(json.dumps(answer()) + "\n")
        answers.flush()


def compute_instruments(root: Path, child: Child | None = None) -> dict:
    """The quoted numbers, every value the instruments can show and their views without
    JavaScript (numbers written by ``instruments/format.js`` under Node), computed from
    ``root``'s own ``instruments`` by ``child`` (or a child started now, sent no cells)."""
    with child_process(root, child) as own:
        if child is None:
            own.run_cells([])
        result = own.instruments()
    if result.get("error"):
        error = result["error"]
        raise BuildError(error["path"], error["line"], error["reason"])
    return result


def compute_instruments_here(root: Path) -> dict:
    """The child's side of ``compute_instruments``, after the cells (``root`` is on
    ``sys.path``: ``cell_session``)."""
    try:
        with processing("instruments/quoted.py"):
            from instruments.quoted import quoted_numbers

            quoted = quoted_numbers()
        with processing("instruments/widget_data.py"):
            from instruments.widget_data import all_instrument_data

            data = all_instrument_data()
        with processing("instruments/static_views.py"):
            from instruments.static_views import fallback_html, render

            # the tables are laid out here and their numbers written by format.js, the
            # widgets' own formatters, in one Node process
            fallbacks = render({name: fallback_html(name, data[name]) for name in data})
    except BuildError as error:
        return {"error": {"path": error.path, "line": error.line, "reason": error.reason}}
    return {"quoted": quoted, "instrument_data": data, "instrument_fallbacks": fallbacks}


# ── step 6: assemble ──────────────────────────────────────────────────────────


def pyodide_version(root: Path) -> str:
    lock = json.loads((root / "package-lock.json").read_text())
    return lock["packages"]["node_modules/pyodide"]["version"]


def pyodide_sizes(root: Path, snapshot: Path | None = None) -> dict[str, int]:
    """Bytes of each file Pyodide downloads as it starts (the npm package is the same
    release as the CDN's) and of the memory snapshot, so the page can show a
    download's progress in bytes."""
    core = root / "node_modules" / "pyodide"
    sizes = {name: (core / name).stat().st_size for name in PYODIDE_CORE if (core / name).is_file()}
    if snapshot is not None:
        sizes[PYODIDE_SNAPSHOT.rsplit("/", 1)[1]] = snapshot.stat().st_size
    return sizes


# Python's memory snapshot. Starting Python in the page is mostly Python initialising
# itself (about three quarters of the time here); Pyodide can instead restore its
# WebAssembly memory as it was just after that. The build makes the snapshot under
# Node from the npm package (the same release, and build id, as the CDN's) and the
# page restores it, or starts Python the usual way if it cannot. It is made once per
# Pyodide release and kept with node_modules, where the release lives.
PYODIDE_SNAPSHOT = "assets/pyodide/memory-snapshot.gz"
SNAPSHOT_JS = r"""
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { loadPyodide } from "pyodide";
const [out, imageModule] = process.argv.slice(1);
const { PAGE, packSnapshot, undoingOnInstantiation, unpackSnapshot, watchInstantiation } = await import(pathToFileURL(imageModule));
// The environment Python reads once, as the page's: no path or locale of this machine,
// and a fixed seed for str hashing (a snapshot fixes it anyway)
const env = { _: "./this.program", LANG: "C.UTF-8", PYTHONHASHSEED: "0" };
let base = null; // the module's memory as instantiation leaves it
const unwatch = watchInstantiation((memory) => (base ??= new Uint8Array(memory.buffer).slice()));
const made = await loadPyodide({ _makeSnapshot: true, env });
unwatch();
made.runPython("import random; random.seed(0)"); // the page reseeds it
// the module's static data: all below the stack, in whole pages
const end = Math.floor(made._module._emscripten_stack_get_end() / PAGE) * PAGE;
const packed = packSnapshot(made.makeMemorySnapshot(), base, end);
// Restored once here as the page restores it (webworker.js), before it is kept.
const file = unpackSnapshot(packed.slice().buffer);
const undoing = undoingOnInstantiation(() => file);
const restored = await loadPyodide({ _loadSnapshot: file.snapshot, env }).catch((error) => {
  throw undoing.failed() ?? error;
});
undoing.stop();
if (restored.runPython("6 * 7") !== 42) throw new Error("the packed snapshot did not restore");
writeFileSync(out, packed);
"""
MEMORY_IMAGE_JS = "static/js/memory-image.js"  # the snapshot's file format, shared with the page's worker


def snapshot_recipe(root: Path) -> str:
    """What a memory snapshot is made of, as a hex digest: the recipe (``SNAPSHOT_JS``,
    with the file format of ``MEMORY_IMAGE_JS``) and the installed Pyodide's core files.
    Two snapshots made of the same recipe differ in a few hundred bytes, so this, not
    their bytes, names one. A build asks twice (the snapshot's file, Python's cache):
    the 13 MB are read once while they are unchanged."""
    core = root / "node_modules" / "pyodide"
    if not (core / "pyodide.asm.wasm").is_file():
        raise BuildError("package.json", None, "Pyodide is not installed: run 'npm ci'")
    paths = [root / MEMORY_IMAGE_JS, *(core / name for name in PYODIDE_CORE)]
    files = tuple((path, path.stat().st_size, path.stat().st_mtime_ns) for path in paths)
    return _recipe_digest(SNAPSHOT_JS, files)


@functools.cache
def _recipe_digest(recipe: str, files: tuple[tuple[Path, int, int], ...]) -> str:
    digest = hashlib.sha256(recipe.encode())
    for path, _size, _mtime in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def python_snapshot(root: Path) -> Path:
    """The gzipped memory snapshot for the installed Pyodide, made if it is not kept yet.
    Two snapshots made of the same release differ in a few hundred bytes (the
    interpreter's start is not deterministic), so one is kept and reused, and builds
    running side by side (the tests) wait for one another's: every build that
    keeps it in the same folder ships the same file. The folder is
    ``node_modules/.cache/pyodide-snapshot``, or the one ``SNAPSHOT_CACHE`` names (the
    tests' temporary one)."""
    folder = Path(os.environ.get("SNAPSHOT_CACHE", root / "node_modules" / ".cache" / "pyodide-snapshot"))
    kept = folder / f"{snapshot_recipe(root)[:16]}.gz"
    if kept.is_file():
        return kept
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        with contextlib.suppress(ImportError):
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        if kept.is_file():
            return kept
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            raw = Path(tmp) / "memory"
            try:
                done = subprocess.run(["node", "--input-type=module", "-e", SNAPSHOT_JS, str(raw), str(root / MEMORY_IMAGE_JS)],
                                      capture_output=True, text=True, cwd=root, timeout=300)
            except FileNotFoundError:
                raise BuildError("build.py", None, "Node.js is not installed: it makes Python's memory snapshot") from None
            except subprocess.TimeoutExpired:
                raise BuildError("build.py", None, "Python's memory snapshot (node) took over 5 minutes") from None
            if done.returncode != 0 or not raw.is_file():
                raise BuildError("build.py", None, f"Python's memory snapshot (node) failed:\n{done.stderr.strip()}")
            packed = Path(tmp) / "packed.gz"
            packed.write_bytes(gzip.compress(raw.read_bytes(), 6, mtime=0))
            os.replace(packed, kept)
        for older in folder.glob("*.gz"):  # an earlier release's, or an earlier recipe's
            if older != kept:
                older.unlink()
    return kept


def template_environment(root: Path) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / "templates"),
        autoescape=jinja2.select_autoescape(["j2", "html"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def compiled_templates(root: Path) -> jinja2.Environment:
    """``root``'s templates, each compiled (Jinja keeps them), made while the cells run,
    so that rendering at the end only fills them in. A template that does not compile
    is left to fail where it is used, as it would anyway."""
    environment = template_environment(root)
    for name in environment.list_templates():
        with contextlib.suppress(Exception):
            environment.get_template(name)
    return environment


PAGES = ("index.html", "404.html")


def assemble_pages(environment: jinja2.Environment, context: dict) -> dict[str, str]:
    pages = {}
    for name in PAGES:
        with processing(f"templates/{name}.j2"):
            pages[name] = environment.get_template(f"{name}.j2").render(context)
    return pages


def export_notebook(chapter: dict, sections: list[Section], context: RenderContext,
                    runtime: dict[str, Path | bytes]) -> str:
    """The chapter's cells in order, with the prose around them, as a Jupyter notebook.

    The first code cell writes the small modules the cells import (``plotting`` and
    ``instruments``) next to the notebook, so it runs top to bottom anywhere numpy is.
    """
    cells = [notebook_cell(
        "markdown", f"# Chapter {chapter['number']}: {chapter['title']}\n\n{chapter['lede']}\n\n"
        "Run the first code cell once: it writes the helper modules the other cells import."
    )]
    sources = {
        rel.removeprefix("assets/py/"): path.read_text(encoding="utf-8")
        for rel, path in runtime.items() if isinstance(path, Path)
    }
    cells.append(notebook_cell("code", NOTEBOOK_SETUP.replace("HELPER_SOURCES", repr(sources))))
    markdown = NotebookMarkdown(context)
    for section in sections:
        with processing(section.rel):
            cells.extend(markdown.section_cells(section))
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number:03d}"  # stable ids keep builds reproducible
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def notebook_cell(kind: str, source: str) -> dict:
    """One cell of an nbformat 4.5 notebook (its id is set once all cells are made),
    its source split into lines as Jupyter writes it."""
    cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


NOTEBOOK_SETUP = """\
# Setup: write the chapter's helper modules beside this notebook and import them.
import pathlib, sys

SOURCES_BY_PATH = HELPER_SOURCES
here = pathlib.Path("ch11_helpers")
for rel, text in SOURCES_BY_PATH.items():
    target = here / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
sys.path.insert(0, str(here.resolve()))

import plotting
import session

globals().update(session.PROVIDED)  # what the page's cells may use without importing


def show(figure):
    try:
        import plotly.graph_objects as go
    except ImportError:
        names = ", ".join(t.get("name", "y") for t in figure["traces"])
        print(f"[chart: {figure['layout']['title'] or names}; install plotly to draw it]")
        return
    fig = go.Figure(layout={"title": figure["layout"]["title"],
                            "xaxis": figure["layout"]["xaxis"], "yaxis": figure["layout"]["yaxis"]})
    for trace in figure["traces"]:
        fig.add_scatter(**trace)
    fig.show()


plotting.emit = show
print("helpers ready:", ", ".join(sorted(SOURCES_BY_PATH)))
"""


# The notebook's Markdown: a second set of render rules over the same tokens as the
# page. Each rule turns one node of markdown-it's syntax tree back into Markdown;
# the chapter's blocks become plain forms a notebook shows.

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<$])")


def markdown_text(text: str) -> str:
    """``text`` as Markdown that reads back as the same text (and no math in Jupyter)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


class NotebookMarkdown:
    """Markdown for the notebook's cells, rendered from the chapter's tokens with the
    page's ``RenderContext``: ``{{ }}`` numbers filled in, citations numbered as on the
    page with each number linking to the work (a notebook has no list to jump to),
    equations as ``$$ … $$`` under their number and title, quizzes as the question
    with the answer and explanation in a closed ``<details>``, an instrument as its
    number, title and caption, the reference list as a numbered list, and each code
    cell as a code cell. A token type without a rule stops with a ``RenderError``."""

    def __init__(self, context: RenderContext):
        self.context = context

    # cells

    def section_cells(self, section: Section) -> list:
        """Markdown and code cells for one section, in order."""
        from markdown_it.tree import SyntaxTreeNode

        tree = SyntaxTreeNode([t for t in section.tokens if t.type != "front_matter"])
        cells, prose = [], [markdown_text(f"## {section.meta['number']} {section.meta['title']}")]
        for node in tree.children:
            if node.type == "runnable":
                cells.append(notebook_cell("markdown", "\n\n".join(p for p in prose if p)))
                cells.append(notebook_cell("code", self.context.cell(node.meta["name"]).source.rstrip()))
                prose = [self.blocks(node.children)]  # its caption leads the next prose
            else:
                prose.append(self.block(node))
        cells.append(notebook_cell("markdown", "\n\n".join(p for p in prose if p)))
        return [c for c in cells if "".join(c["source"]).strip()]

    # blocks

    def markdown(self, tokens: list[Token]) -> str:
        """Block tokens (a section's, without its front matter) as Markdown."""
        from markdown_it.tree import SyntaxTreeNode

        return self.blocks(SyntaxTreeNode(tokens).children)

    def block(self, node: SyntaxTreeNode) -> str:
        rule = getattr(self, f"block_{node.type}", None)
        if rule is None:
            raise RenderError(f"the notebook has no rule for a '{node.type}' block")
        return rule(node)

    def blocks(self, nodes: list[SyntaxTreeNode], tight: bool = False) -> str:
        return ("\n" if tight else "\n\n").join(text for text in map(self.block, nodes) if text)

    def block_paragraph(self, node):
        return self.inline(node.children[0])

    def block_heading(self, node):
        return f"{'#' * int(node.tag[1:])} {self.inline(node.children[0]).strip()}"

    def _list(self, node, markers):
        tight = any(child.hidden for item in node.children for child in item.children)
        items = []
        for item, marker in zip(node.children, markers):
            body = self.blocks(item.children, tight).split("\n")
            pad = " " * (len(marker) + 1)
            items.append("\n".join([f"{marker} {body[0]}"] + [pad + line if line else "" for line in body[1:]]))
        return ("\n" if tight else "\n\n").join(items)

    def block_bullet_list(self, node):
        return self._list(node, [node.markup] * len(node.children))

    def block_ordered_list(self, node):
        start = int(node.attrs.get("start", 1))
        return self._list(node, [f"{start + n}{node.markup}" for n in range(len(node.children))])

    def block_blockquote(self, node):
        return "\n".join(f"> {line}".rstrip() for line in self.blocks(node.children).split("\n"))

    def block_table(self, node):
        rows = [row for part in node.children for row in part.children]
        align = {"text-align:left": ":--", "text-align:right": "--:", "text-align:center": ":-:"}
        lines = []
        for number, row in enumerate(rows):
            cells = [self.inline(cell.children[0]).replace("|", "\\|") if cell.children else "" for cell in row.children]
            lines.append("| " + " | ".join(cells) + " |")
            if number == 0:
                lines.append("|" + "|".join(align.get(str(c.attrs.get("style", "")), "---") for c in row.children) + "|")
        return "\n".join(lines)

    def block_fence(self, node):
        return f"{node.markup}{node.info}\n{node.content}{node.markup}"

    def block_code_block(self, node):
        return "\n".join("    " + line for line in node.content.rstrip("\n").split("\n"))

    def block_hr(self, node):
        return "---"

    def block_html_block(self, node):
        return node.content.rstrip("\n")

    def block_math_block(self, node):
        return f"$$\n{node.content.strip()}\n$$"

    def block_equation(self, node):
        number = self.context.number("equation", node.meta["id"])
        math, caption = node.children
        return (f"**EQ {number}: {markdown_text(node.meta['title'])}**\n\n$$\n{math.content}\n$$\n\n"
                + self.blocks(caption.children))

    def block_quiz(self, node):
        parts = {child.type: child for child in node.children}
        number = self.context.number("quiz", node.meta["id"])
        return (
            f"**Quiz {number}.** {self.blocks(parts['quiz_question'].children)}\n\n"
            f"<details><summary>Answer</summary>\n\n"
            f"**{markdown_text(self.context.answer(node.meta['id']))}.** {self.blocks(parts['quiz_explain'].children)}"
            "\n\n</details>"
        )

    def block_instrument(self, node):
        number = self.context.number("instrument", node.meta["name"])
        title = markdown_text(node.meta["title"])
        return f"*Instrument {number}: {title} (interactive on the web page).* {self.blocks(node.children)}".rstrip()

    def block_runnable(self, node):
        """A code cell inside another block (a list item) stays in the prose."""
        source = self.context.cell(node.meta["name"]).source.rstrip()
        return f"```python\n{source}\n```\n\n{self.blocks(node.children)}".rstrip()

    def block_references(self, node):
        """The reference list as a numbered Markdown list, in order of first citation."""
        lines = []
        for key, cited in sorted(self.context.citations.items(), key=lambda item: item[1]["number"]):
            ref = self.context.works[key]
            stop = "" if ref.title[-1] in ".?!" else "."
            note = f". {self.inline_tokens(ref.note_tokens)}" if ref.note_tokens else ""
            lines.append(f"{cited['number']}. {markdown_text(ref.authors)} ({ref.year}). *{markdown_text(ref.title)}*"
                         f"{stop} {markdown_text(ref.venue)}. <{ref.url}>{note}")
        return "\n".join(lines)

    # inline

    def inline_tokens(self, tokens: list[Token]) -> str:
        from markdown_it.tree import SyntaxTreeNode

        return "".join(self.inline(node) for node in SyntaxTreeNode(tokens).children)

    def inline(self, node: SyntaxTreeNode) -> str:
        rule = getattr(self, f"inline_{node.type}", None)
        if rule is None:
            raise RenderError(f"the notebook has no rule for '{node.type}'")
        return rule(node)

    def _inner(self, node):
        return "".join(map(self.inline, node.children))

    inline_inline = _inner

    def inline_text(self, node):
        return markdown_text(node.content)

    def inline_softbreak(self, node):
        return "\n"

    def inline_hardbreak(self, node):
        return "\\\n"

    def inline_code_inline(self, node):
        fence = "`" * (max(map(len, re.findall("`+", node.content)), default=0) + 1)
        pad = " " if node.content.startswith("`") or node.content.endswith("`") else ""
        return f"{fence}{pad}{node.content}{pad}{fence}"

    def inline_em(self, node):
        return f"{node.markup}{self._inner(node)}{node.markup}"

    inline_strong = inline_em

    def inline_link(self, node):
        href = node.attrs.get("href", "")
        if node.attrs.get("class") == "header-anchor":
            return ""  # the heading's "#" permalink: the page's, not the notebook's
        if node.markup == "autolink":
            return f"<{href}>"
        title = node.attrs.get("title")
        return f"[{self._inner(node)}]({href}" + (f' "{title}"' if title else "") + ")"

    def inline_image(self, node):
        return f"![{self._inner(node)}]({node.attrs.get('src', '')})"

    def inline_html_inline(self, node):
        return node.content

    def inline_math_inline(self, node):
        return f"${node.content}$"

    def inline_substitution_inline(self, node):
        return markdown_text(self.context.quote(node.content))

    def inline_citation(self, node):
        """``[[3](url), [5](url)]``, or ``[[3](url), §6]`` with a locator."""
        items = [f"[{self.context.citation(key)['number']}]({self.context.works[key].url})"
                 + (f", {markdown_text(locator)}" if locator else "")
                 for key, locator in zip(node.meta["keys"], node.meta["locators"])]
        return "[" + ("; " if any(node.meta["locators"]) else ", ").join(items) + "]"


# ── step 7: write ─────────────────────────────────────────────────────────────


def collect_assets(options: Options, runtime: dict[str, Path | bytes],
                   instruments: list[str]) -> tuple[dict[str, Path | bytes], list[str]]:
    """Files to copy into the site: ours from static/ and instruments/ (with the widgets
    of ``instruments``, those on the page), the Python the cells import (``runtime``,
    from ``python_runtime_files``), third-party from node_modules (installed from the
    lock file); and what page.js imports as it loads (``bundle_modules``)."""
    root = options.root
    modules = root / "node_modules"
    if not (modules / "katex").is_dir():
        raise BuildError("node_modules", None, "JavaScript packages are missing: run 'npm ci'")
    assets: dict[str, Path | bytes] = {}
    for path in sorted((root / "static").rglob("*")):
        if path.is_file():
            assets[f"assets/{path.relative_to(root / 'static')}"] = path
    ours = our_modules(root)
    for rel in ours:
        assets.pop(rel, None)
    bundled, preloads = bundle_modules(root, ours, instruments)
    assets.update(bundled)
    assets[MATH_FONT_LICENSE] = modules / MATH_FONT_PACKAGE / "LICENSE"
    assets["assets/vendor/plotly-basic.min.js"] = modules / "plotly.js-basic-dist-min/plotly-basic.min.js"
    assets["assets/js/editor.js"] = bundle_editor(root)
    assets.update(runtime)
    if options.pyodide == "local":
        for name in PYODIDE_CORE:
            assets[f"assets/pyodide/{name}"] = modules / "pyodide" / name
    return assets, preloads


def our_modules(root: Path) -> dict[str, Path]:
    """Our ES modules that esbuild bundles (``bundle_modules``), by their place in the
    site: those of static/ and of instruments/ (widgets/: one per instrument, by name),
    but the service workers, the editor (a bundle of its own) and what only the build
    runs."""
    modules = {f"assets/{path.relative_to(root / 'static').as_posix()}": path
               for path in sorted((root / "static").rglob("*.js"))}
    modules |= {f"assets/js/instruments/{path.relative_to(root / 'instruments').as_posix()}": path
                for path in sorted((root / "instruments").rglob("*.js")) if path.name not in BUILD_ONLY_JS}
    return {rel: path for rel, path in modules.items() if rel not in (*SERVICE_WORKERS.values(), "assets/js/editor.js")}


MATH_FONT_PACKAGE = "@fontsource/stix-two-math"
MATH_FONT = "assets/fonts/stix-two-math.woff2"  # the name site.css loads
MATH_FONT_LICENSE = "assets/fonts/stix-two-math-LICENSE.txt"


def math_font(root: Path, typeset: Mapping[tuple[str, bool], str]) -> bytes:
    """STIX Two Math (an OpenType math font, SIL Open Font License) cut down to the
    characters the page's math uses, with the size variants and stretchy parts of each
    (its MATH table): about a twentieth of the whole font."""
    try:
        from fontTools import subset
    except ImportError:
        raise BuildError("pyproject.toml", None, "fontTools is not installed: run the setup ('make site')") from None
    # Cut from the package's WOFF, not its WOFF2: the same outlines and MATH table
    # without TrueType hinting (which browsers at screen sizes hardly use), so the cut
    # font is smaller, and opening it skips the WOFF2 glyph decoding that took a
    # second of the build.
    source = root / "node_modules" / MATH_FONT_PACKAGE / "files/stix-two-math-latin-400-normal.woff"
    if not source.is_file():
        raise BuildError("package.json", None, f"{MATH_FONT_PACKAGE} is not installed: run 'npm ci'")
    characters = set()
    for markup in typeset.values():
        characters.update(math_characters(markup))
    with processing(source.relative_to(root)):
        options = subset.Options(flavor="woff2", layout_features=["*"], name_IDs=["*"], notdef_outline=True)
        font = subset.load_font(source, options)
        cutter = subset.Subsetter(options)
        cutter.populate(text="".join(sorted(characters - set(" \n"))))
        cutter.subset(font)
        out = io.BytesIO()
        subset.save_font(font, out, options)
        return out.getvalue()


def math_characters(markup: str) -> set[str]:
    """Every character the browser draws for ``markup``: its text, and the radical sign
    it draws for ``<msqrt>`` and ``<mroot>``."""
    shown = set(html.unescape(re.sub(r"<annotation\b.*?</annotation>|<[^>]*>", "", markup, flags=re.S)))
    if re.search(r"<m(sqrt|root)\b", markup):
        shown.add("\u221a")
    return shown


BUILD_ONLY_JS = ("chart_image.js",)  # instruments/ modules that only the build runs (under Node)
RUNTIME_MODULES = ("plotting.py", "session.py")  # runnable/ modules the live cells need
PYODIDE_CORE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


def bundle_editor(root: Path) -> bytes:
    """CodeMirror 6 and its Python mode, bundled by esbuild into one ES module."""
    esbuild = root / "node_modules" / ".bin" / "esbuild"
    done = subprocess.run(
        [str(esbuild), str(root / "static/js/editor.js"), "--bundle", "--format=esm",
         "--minify", "--legal-comments=none", "--target=es2020", "--log-level=error"],
        capture_output=True, cwd=root, timeout=120,
    )
    if done.returncode != 0:
        raise BuildError("static/js/editor.js", None, f"esbuild failed:\n{done.stderr.decode()}")
    return done.stdout


def instruments_imported_by(root: Path, files: list[Path]) -> list[Path]:
    """The modules of ``instruments/`` that ``files`` import, directly or through one
    another (the package's ``__init__`` included): what the cells need in the page and in
    the notebook, and nothing that only the build uses."""
    package = root / "instruments"
    needed: set[Path] = set()
    todo = [p for p in files if p.is_file()]
    if todo:
        todo.append(package / "__init__.py")
    while todo:
        path = todo.pop()
        inside = path.parent == package
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    base = node.module or ""
                elif node.level == 1 and inside:  # from . import x, from .x import y
                    base = "instruments" + (f".{node.module}" if node.module else "")
                else:
                    continue
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "instruments" and len(parts) > 1 and (package / f"{parts[1]}.py").is_file():
                    found = package / f"{parts[1]}.py"
                    if found not in needed:
                        needed.add(found)
                        todo.append(found)
        if inside:
            needed.add(path)
    return sorted(needed)


def python_runtime_files(root: Path) -> dict[str, Path | bytes]:
    """The Python the live cells import (``instruments``, ``plotting``), with a manifest
    the worker reads to write them into Pyodide's file system."""
    files: dict[str, Path | bytes] = {}
    runtime = [root / "runnable" / name for name in RUNTIME_MODULES]
    cells = [p for p in sorted((root / "runnable").glob("*.py")) if p.name not in RUNTIME_MODULES]
    sources = instruments_imported_by(root, cells + runtime) + [p for p in runtime if p.is_file()]
    names = []
    for path in sources:
        rel = f"instruments/{path.name}" if path.parent.name == "instruments" else path.name
        files[f"assets/py/{rel}"] = path
        names.append(rel)
    files["assets/py/manifest.json"] = json.dumps({"files": names}, indent=1).encode()
    return files


def write_site(out: Path, files: dict[str, str | bytes | Path]) -> None:
    """Write everything to a sibling folder, then swap it in for ``out``."""
    with processing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
        try:
            for rel, content in sorted(files.items()):
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    shutil.copyfile(content, target)
                elif isinstance(content, str):
                    target.write_text(content, encoding="utf-8", newline="\n")
                else:
                    target.write_bytes(content)
            staging.chmod(0o755)
            retired = out.with_name(f".build-old-{os.getpid()}")
            if out.exists():
                out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


SERVICE_WORKERS = {True: "assets/js/sw.js", False: "assets/js/sw-off.js"}  # copied from static/
NOT_PRECACHED = ("sw.js", "404.html", "assets/pyodide/")  # Python is kept once the page has used it


def runtime_cache_name(options: Options) -> str:
    """The name of Python's cache: kept across builds of the same runtime, so named by
    Pyodide's version and, where the page uses a memory snapshot, by its recipe
    (``snapshot_recipe``). A snapshot made by another recipe for the same Pyodide is then
    never answered by an older one kept under the same URL: the new cache replaces the
    old at activation. A rebuild by the same recipe keeps the reader's cache."""
    name = f"python-{pyodide_version(options.root)}"
    return f"{name}-{snapshot_recipe(options.root)[:8]}" if options.python_snapshot else name


def service_worker(options: Options, files: dict[str, str | bytes | Path], worker: bytes | None = None) -> str:
    """``sw.js`` for the site's root, from ``static/js/sw.js``: constants first, then
    the worker. ``VERSION`` is a hash of every file of the site (and of the worker),
    so a rebuild of the same tree gives the same worker and any change a new one;
    ``PRECACHE`` lists what it caches at install; ``RUNTIME`` names the Python
    runtime's cache (``runtime_cache_name``), where the runtime is fetched from, the
    files every start fetches (relative to the worker, or absolute) and the memory
    snapshot.
    Without a service worker (``--serve``) it is ``static/js/sw-off.js``, which
    removes a worker an earlier build left at that address. Both sources are taken
    out of ``assets/``. ``worker`` is that of ``assets/js/sw.js`` minified, if it was
    made already (``minified_worker``)."""
    sources = {on: Path(files.pop(rel)) for on, rel in SERVICE_WORKERS.items()}
    source = sources[options.service_worker].read_text(encoding="utf-8")
    if not options.service_worker:
        return source
    digest = hashlib.sha256(source.encode())
    for rel, content in sorted(files.items()):
        data = content.read_bytes() if isinstance(content, Path) else content
        digest.update(f"\0{rel}\0{len(data)}\0".encode())
        digest.update(data.encode() if isinstance(data, str) else data)
    core = pyodide_url(options)
    runtime = {
        "name": runtime_cache_name(options),
        "prefixes": sorted({core, "assets/pyodide/"}),  # the snapshot is always the site's
        "core": [core + name for name in PYODIDE_CORE],
        "snapshot": PYODIDE_SNAPSHOT if options.python_snapshot else None,  # fetched by the page only where it is worth it
    }
    precache = sorted(rel for rel in files if not rel.startswith(NOT_PRECACHED))
    constants = (
        f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
        f"const PRECACHE = {json.dumps(precache, indent=0)};\n"
        f"const RUNTIME = {json.dumps(runtime)};\n"
    )
    if worker is None:
        worker = minified_worker(options.root, sources[True])
    return constants + worker.decode()


# esbuild's first error, and the place it names if it names one
ESBUILD_MESSAGE = re.compile(r"\[ERROR\] (?P<reason>.*)\n(?:\s*\n\s*(?P<file>\S+?):(?P<line>\d+):\d+:)?")


def esbuild_error(stderr: str, root: Path, cwd: Path | None = None) -> BuildError:
    """esbuild's first error as ``file:line: reason``, the file named from the project's
    root (esbuild names it from its working directory, ``cwd``, where a link may stand
    for it); without a place, its whole output."""
    found = ESBUILD_MESSAGE.search(stderr)
    if not found or not found["file"]:
        return BuildError("static/js", None, f"esbuild failed:\n{stderr.strip()}")
    root = root.resolve()
    where = ((cwd or root) / found["file"]).resolve()
    rel = where.relative_to(root) if where.is_relative_to(root) else where
    return BuildError(str(rel), int(found["line"]), f"esbuild: {found['reason']}")


def esbuild(root: Path, args: list[str], cwd: Path | None = None) -> None:
    """Run the project's esbuild, minifying for the page's browsers, from ``cwd`` (the
    project's root by default); its first error stops the build (``esbuild_error``)."""
    done = subprocess.run(
        [str(root / "node_modules" / ".bin" / "esbuild"), "--minify", "--target=es2020", "--log-level=error", *args],
        capture_output=True, text=True, cwd=cwd or root, timeout=120,
    )
    if done.returncode != 0:
        raise esbuild_error(done.stderr, root, cwd)


def minified_worker(root: Path, source: Path) -> bytes:
    """The service worker ``source``, minified: it counts in our JS budget."""
    with tempfile.TemporaryDirectory() as out:
        esbuild(root, [str(source), f"--outfile={out}/sw.js"])
        return (Path(out) / "sw.js").read_bytes()


# The modules the page loads by their address; each is bundled with what it imports.
# page.js imports the rest, the widgets of the instruments on the page among them
# (PAGE_WIDGETS), and chart.js is loaded when a code cell's chart nears the view. What
# the two bundles share goes into a chunk beside them (assets/js/, so that an address
# made from import.meta.url is the same as in the source tree).
ENTRY_MODULES = ("assets/js/page.js", "assets/js/chart.js")

# The module that page.js imports its widgets from, written by the build (page_widgets).
PAGE_WIDGETS = "assets/js/instruments/page_widgets.js"


def widget_module(name: str) -> str:
    """Where the widget of the instrument `name` lies, from instruments/ (and from the
    folder of PAGE_WIDGETS): widgets/<catalog.module_name>.js."""
    from instruments.catalog import module_name

    return f"widgets/{module_name(name)}.js"


def page_widgets(instruments: list[str]) -> str:
    """The module PAGE_WIDGETS: the widget of each instrument on the page
    (``widget_module``), by the instrument's name. Imported, not loaded by name as the
    page runs: each widget is in page.js's bundle and mounts as page.js runs, before the
    first frame after the parse, instead of a task or a frame later."""
    lines = ["// Written by build.py (page_widgets): the widgets of the instruments on the page.",
             "// A widget module only defines: one that ran code as it loads could stop page.js."]
    lines += [f'import * as w{i} from "./{widget_module(name)}";' for i, name in enumerate(instruments)]
    lines.append("export default {")
    lines += [f"  {json.dumps(name)}: w{i}," for i, name in enumerate(instruments)]
    lines.append("};")
    return "\n".join(lines) + "\n"


def bundle_modules(root: Path, modules: dict[str, Path], instruments: list[str]) -> tuple[dict[str, bytes], list[str]]:
    """Our ES modules as the site serves them, made by esbuild: the entry modules
    bundled, each with its imports (the page makes a few requests, not one per source
    file), page.js with the widgets of ``instruments`` (PAGE_WIDGETS) and no other
    widget; a module no bundle takes in (the Python worker, the script written into the
    page) bundled on its own, and what only such a module imports (the worker's
    memory-image.js) left in its bundle, not served beside it (esbuild's metafile does
    not see a module loaded by its address, ``new URL(…, import.meta.url)``: none that
    a lone module imports is). Also the chunks page.js imports as it loads, for
    ``<link rel=modulepreload>`` (``module_preloads``)."""
    if PAGE_WIDGETS in modules:
        raise BuildError(modules[PAGE_WIDGETS].relative_to(root), None, "the build writes a module of this name: rename the file")
    folder = PAGE_WIDGETS.rsplit("/", 1)[0] + "/"
    wanted = {folder + widget_module(name) for name in instruments}
    missing = sorted(wanted - modules.keys())
    if missing:
        raise BuildError(f"instruments/{missing[0].removeprefix(folder)}", None, "the widget of an instrument on the page is missing")
    modules = {rel: path for rel, path in modules.items() if not rel.startswith(f"{folder}widgets/") or rel in wanted}
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "src"
        for rel, path in modules.items():  # the site's layout, linked to the sources
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged / rel).symlink_to(path.resolve())
        (staged / PAGE_WIDGETS).parent.mkdir(parents=True, exist_ok=True)
        (staged / PAGE_WIDGETS).write_text(page_widgets(instruments), encoding="utf-8")
        layout = ["--preserve-symlinks", "--outdir=out", "--outbase=src/assets/js"]  # out/ as assets/js/
        esbuild(root, ["--bundle", "--splitting", "--format=esm", "--chunk-names=[name]-[hash]", *layout,
                       "--metafile=meta.json", *(f"src/{rel}" for rel in ENTRY_MODULES)], cwd=Path(tmp))
        meta = json.loads((Path(tmp) / "meta.json").read_text(encoding="utf-8"))
        bundled = {rel for output in meta["outputs"].values() for rel in output["inputs"]}
        # (what instruments/ holds is only ever imported: one that no widget on the page imports is left out)
        alone = [f"src/{rel}" for rel in modules if f"src/{rel}" not in bundled and not rel.startswith(folder)]
        if alone:
            esbuild(root, ["--bundle", "--format=esm", *layout, "--metafile=alone.json", *alone], cwd=Path(tmp))
            # a module that only a lone module imports (the worker's) is in that bundle
            outputs = json.loads((Path(tmp) / "alone.json").read_text(encoding="utf-8"))["outputs"]
            imported = {rel for output in outputs.values() for rel in output["inputs"] if rel != output.get("entryPoint")}
            for name, output in outputs.items():
                if output.get("entryPoint") in imported:
                    (Path(tmp) / name).unlink()
        out = Path(tmp) / "out"
        files = {f"assets/js/{path.relative_to(out).as_posix()}": path.read_bytes() for path in out.rglob("*.js")}
        return files, module_preloads(meta)


def module_preloads(meta: dict) -> list[str]:
    """From esbuild's metafile (its outputs named from out/): the chunks that
    ``page.js`` imports (not itself: it has its own ``<script>``), so that the browser
    fetches them at once instead of one import level at a time. The editor, the chart
    module and the Python worker load on demand and are not among them."""
    site = {name: "assets/js/" + name.removeprefix("out/") for name in meta["outputs"]}

    def imported(name: str) -> list[str]:
        found, todo = [], [name]
        while todo:
            for item in meta["outputs"][todo.pop(0)].get("imports", []):
                if item["kind"] == "import-statement" and item["path"] not in found:
                    found.append(item["path"])
                    todo.append(item["path"])
        return found

    page = next(name for name, output in meta["outputs"].items() if output.get("entryPoint") == "src/assets/js/page.js")
    return [site[n] for n in imported(page)]


# ── the pipeline ─────────────────────────────────────────────────────────────


def build(options: Options) -> dict[str, str | bytes | Path]:
    """Build the site into ``options.out``; return what was written."""
    started = time.perf_counter()
    # The cells and the numbers take longest: their process starts first, and gets
    # ready while the chapter is parsed.
    with child_process(options.root) as child:
        files = build_site(options, child)
    log.info("built %s (%d files) in %.2f s", options.out, len(files), time.perf_counter() - started)
    return files


def build_site(options: Options, child: Child) -> dict[str, str | bytes | Path]:
    """The steps of ``build``, the cells run and the numbers computed by ``child``."""
    root = options.root
    chapter, sections = read_chapter(root)
    references = read_references(root)
    md = make_markdown()
    parse_sections(md, sections)
    parse_notes(md, references)
    cells = chapter_cells(root, sections)
    numbering = number_blocks(chapter["number"], sections)
    citations = number_citations(sections, references)
    check_references(sections, references, citations)
    check_numbered_links(sections, references, numbering, chapter["number"])
    # The cells and the numbers (the child), KaTeX (Node) and esbuild run
    # side by side. What needs no cell output is made while the cells still run: the
    # notebook (the cells' code, no output) once the numbers are known, the cells' code
    # highlighted, the compiled templates and the minified service worker.
    with concurrent.futures.ThreadPoolExecutor(max_workers=9) as pool:
        executed = pool.submit(lambda: chart_images(root, execute_cells(root, cells, child)))
        computed = pool.submit(compute_instruments, root, child)
        katex = pool.submit(typeset_math, root, sections, references)
        font = pool.submit(lambda: math_font(root, katex.result()))
        runtime = pool.submit(python_runtime_files, root)  # for the page and the notebook
        snapshot = pool.submit(python_snapshot, root) if options.python_snapshot else None
        collected = pool.submit(lambda: collect_assets(options, runtime.result(), list(numbering["instrument"])))
        written = pool.submit(cells_as_written, root, cells)
        answers = pool.submit(quiz_answers, root, sections)
        notebook = pool.submit(lambda: export_notebook(chapter, sections, RenderContext(
            numbering=numbering, quoted=check_quoted(sections, computed.result()["quoted"]),
            executed=written.result(), citations=citations, works=references, answers=answers.result(),
        ), runtime.result()))
        pool.submit(lambda: [highlighted_python(cell.source) for cell in written.result().values()])
        templates = pool.submit(compiled_templates, root)
        worker = pool.submit(minified_worker, root, root / "static" / "js" / "sw.js") if options.service_worker else None
        numbers = computed.result()
        context = RenderContext(
            numbering=numbering, katex=katex.result(), quoted=check_quoted(sections, numbers["quoted"]),
            executed=executed.result(), citations=citations, works=references,
            instrument_fallbacks=numbers["instrument_fallbacks"], answers=answers.result(),
        )
        assets, preloads = collected.result()
        files: dict[str, str | bytes | Path] = dict(assets)
        files[MATH_FONT] = font.result()
        if snapshot:
            files[PYODIDE_SNAPSHOT] = snapshot.result()
    context = dataclasses.replace(context, bibliography=render_bibliography(md, templates.result(), context))
    render_sections(md, sections, context)
    page = page_context(options, chapter, sections, numbering, numbers["instrument_data"],
                        files.get(PYODIDE_SNAPSHOT), inline_script(files), inline_style(files),
                        preloads)
    files.update(assemble_pages(templates.result(), page))
    files["chapter-11.ipynb"] = notebook.result()
    files["sw.js"] = service_worker(options, files, worker and worker.result())
    write_site(options.out, files)
    return files


def pyodide_url(options: Options) -> str:
    """Where the page loads Pyodide's core from: the site's copy, or its CDN."""
    return "assets/pyodide/" if options.pyodide == "local" else PYODIDE_CDN.format(version=pyodide_version(options.root))


# Runs before the chapter is parsed, so it is written into the page rather than fetched:
# a request would hold the parser (and the first paint) for a round trip.
INLINE_SCRIPT = "assets/js/head.js"


def take_inline(files: dict[str, str | bytes | Path], rel: str, tag: str) -> str:
    """The file ``rel`` taken out of the site's files (a source, or minified already) as
    the text of a ``<tag>`` written into the page, which must not close that element."""
    source = files.pop(rel)
    text = (source.read_text(encoding="utf-8") if isinstance(source, Path) else source.decode("utf-8")).strip()
    if f"</{tag}" in text.lower():
        raise BuildError(rel, None, f"an inline {tag} cannot contain '</{tag}'")
    return text


def inline_script(files: dict[str, str | bytes | Path]) -> dict:
    """``INLINE_SCRIPT`` (minified already, like our other scripts: ``collect_assets``)
    taken out of the site's files, with the hash that the page's Content-Security-Policy
    allows it by."""
    text = take_inline(files, INLINE_SCRIPT, "script")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return {"text": text, "hash": f"sha256-{digest}"}


# The stylesheet is written into the page too: a render-blocking request held the first
# paint for a round trip and more (README, "How it is made": Lighthouse, measured).
INLINE_STYLE = "assets/css/site.css"
CSS_COMMENT = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|/\*.*?\*/""", re.DOTALL)  # a string is kept
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.IGNORECASE)


def inline_style(files: dict[str, str | bytes | Path]) -> str:
    """``INLINE_STYLE`` taken out of the site's files, without its comments, its URLs
    made relative to the page (a ``../`` from ``assets/css/`` becomes ``assets/``)."""
    text = CSS_COMMENT.sub(lambda m: m[1] or "", take_inline(files, INLINE_STYLE, "style"))
    text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
    if "@import" in text.lower():
        raise BuildError(INLINE_STYLE, None, "@import: the stylesheet written into the page imports nothing")

    def from_page(match: re.Match) -> str:
        url = match[1]
        if not url.startswith("../"):
            raise BuildError(INLINE_STYLE, None, f"url({url}): only a url into another assets/ folder "
                             "('../fonts/…') can be made relative to the page")
        return match[0].replace(url, "assets/" + url.removeprefix("../"))

    return CSS_URL.sub(from_page, text)


def page_context(options: Options, chapter: dict, sections: list[Section], numbering: dict,
                 instrument_data: dict, snapshot: Path | None, script: dict, style: str, preloads: list[str]) -> dict:
    with processing("package-lock.json"):
        version = pyodide_version(options.root)
    with processing("node_modules/pyodide"):
        sizes = pyodide_sizes(options.root, snapshot)
    return {
        "inline_script": script,
        "inline_style": style,
        "base_path": options.base_path,
        "chapter": chapter,
        "sections": sections,
        "reading_minutes": reading_minutes(sections),
        "pyodide_url": pyodide_url(options),
        "pyodide_version": version,
        "pyodide_snapshot": PYODIDE_SNAPSHOT if snapshot else "",
        "pyodide_sizes": json.dumps(sizes, separators=(",", ":")),
        "cdn_origin": "" if options.pyodide == "local" else "https://cdn.jsdelivr.net",
        "service_worker": "sw.js" if options.service_worker else "",
        "numbering": numbering,
        "module_preloads": preloads,
        "instrument_json": json.dumps(instrument_data, separators=(",", ":"), sort_keys=True).replace("</", "<\\/"),
        "instrument_links": [
            {"href": f"#instrument-{name}", "label": label}
            for name, label in zip(numbering["instrument"], chapter.get("instruments", []))
        ],
    }


# ── serving ───────────────────────────────────────────────────────────────────

WATCHED = ("chapter", "runnable", "instruments", "templates", "static")
MIME_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".json": "application/json", ".wasm": "application/wasm", ".zip": "application/zip",
    ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".svg": "image/svg+xml",
    ".py": "text/x-python; charset=utf-8", ".ipynb": "application/x-ipynb+json",
    ".txt": "text/plain; charset=utf-8", ".map": "application/json",
}
"""How the site's files are served, as a static host (GitHub Pages) serves them: the
one map of the local servers (``--serve``, the browser tests, the benchmark)."""


def snapshot(root: Path) -> dict[str, float]:
    """The modification time of every file of the watched folders. A file that is gone
    by the time it is read (an editor's temporary file) or cannot be read (a link that
    leads nowhere) is skipped."""
    times = {}
    for folder in WATCHED:
        for path in (root / folder).rglob("*"):
            if "__pycache__" in path.parts:
                continue
            try:
                status = path.stat()
            except OSError:  # gone already, or a link that leads nowhere (or in a loop)
                continue
            if stat.S_ISREG(status.st_mode):
                times[str(path)] = status.st_mtime
    return times


def watch(options: Options, seen: dict[str, float], stop: threading.Event, interval: float = 0.5) -> None:
    """Rebuild (in a fresh process) whenever a watched file changes from ``seen`` (a
    ``snapshot``), until ``stop`` is set. Nothing ends the watching: a failure is
    printed and the next change watched for."""
    while not stop.wait(interval):
        try:
            now = snapshot(options.root)
            if now != seen:
                seen = now
                rebuild_in_a_fresh_process(options)
        except Exception:  # noqa: BLE001 - an author's server must not stop rebuilding
            log.exception("watching %s for changes failed; still watching", options.root)


def rebuild_in_a_fresh_process(options: Options) -> bool:
    """One build in a new Python process: every module (``instruments``, the quoted
    numbers, the cells) is imported afresh, so what is served is what the files say."""
    done = subprocess.run(
        [sys.executable, str(options.root / "build.py"), "--out", str(options.out),
         "--pyodide", options.pyodide, "--no-service-worker", "-q",
         *(["--base-path", options.base_path] if options.base_path else []),
         *([] if options.python_snapshot else ["--no-python-snapshot"])],
        cwd=options.root, capture_output=True, text=True,
    )
    if done.returncode != 0:
        log.error("%s", (done.stderr or done.stdout).strip() or f"the build failed (exit code {done.returncode})")
        return False
    log.info("rebuilt %s", options.out)
    return True


def local_server(port: int, handler):
    """The HTTP server on 127.0.0.1 of ``--serve``, of the tests and of the bench (``port``
    0: any free one); ``start()`` serves from a thread of its own until ``stop()``."""
    import http.server  # (only for serving: the build itself starts faster without it)

    class LocalServer(http.server.ThreadingHTTPServer):
        @property
        def origin(self) -> str:
            return f"http://127.0.0.1:{self.server_address[1]}"

        def start(self):
            threading.Thread(target=self.serve_forever, daemon=True).start()
            return self

        def stop(self):
            self.shutdown()
            self.server_close()

        def handle_error(self, request, client_address):
            # a browser that drops a request it no longer needs (a page left, Lighthouse
            # on exit) is no error of the server
            if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                super().handle_error(request, client_address)

    return LocalServer(("127.0.0.1", port), handler)


def site_handler(directory: Path, base_path: str = "/"):
    """The request handler of ``local_server`` for a built site, as GitHub Pages serves
    it: ``directory`` at ``base_path`` (a project site's "/repo/"), and the site's own
    404 page for any address it does not have, within ``base_path`` or outside it."""
    import http.server
    from urllib.parse import urlsplit

    assert base_path.startswith("/") and base_path.endswith("/"), base_path

    class SiteHandler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("directory", str(directory))  # a subclass may name another per request
            super().__init__(*args, **kwargs)

        def translate_path(self, path):
            asked = urlsplit(path).path  # compared before percent-decoding: Pages' paths need none
            if asked == base_path[:-1]:  # "/repo": the folder, which the server redirects to "/repo/"
                return self.directory
            if not asked.startswith(base_path):
                return str(Path(self.directory) / "__outside_the_base_path__")
            return super().translate_path("/" + asked[len(base_path):])

        def send_error(self, code, message=None, explain=None):
            page = Path(self.directory) / "404.html"
            if code != 404 or not page.is_file():
                return super().send_error(code, message, explain)
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format, *args):
            log.debug(format, *args)

    return SiteHandler


def serve(options: Options, port: int) -> None:
    """Serve the site on 127.0.0.1, at its ``--base-path`` as it will be published, and
    rebuild when a source folder changes. Every build runs in a fresh process; a failed
    one is printed, the last good site stays served, and watching goes on."""
    seen = snapshot(options.root)  # before the first build: an edit made during it is built next
    rebuild_in_a_fresh_process(options)
    threading.Thread(target=watch, args=(options, seen, threading.Event()), daemon=True).start()
    base_path = options.base_path or "/"
    server = local_server(port, site_handler(options.out, base_path))
    log.info("serving %s at %s%s (Ctrl+C stops)", options.out, server.origin, base_path)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# ── command line ─────────────────────────────────────────────────────────────


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Chapter 11 into _site/.")
    parser.add_argument("--out", type=Path, default=ROOT / "_site", help="output folder")
    parser.add_argument("--pyodide", choices=("cdn", "local"), default="cdn",
                        help="load Pyodide from its CDN (default) or ship the npm core")
    parser.add_argument("--serve", action="store_true",
                        help="serve on 127.0.0.1 (at --base-path, if given) and rebuild on change")
    parser.add_argument("--no-service-worker", dest="service_worker", action="store_false",
                        help="no offline worker: the page registers none, and sw.js removes one left "
                             "by an earlier build at the same address (what --serve builds)")
    parser.add_argument("--no-python-snapshot", dest="python_snapshot", action="store_false",
                        help="ship no memory snapshot of Python: the page starts it the usual way")
    parser.add_argument("--base-path", default="", metavar="PATH",
                        help="the site's path on its host, such as /repo/ for a GitHub Pages project site: "
                             "the 404 page, shown at any depth of a missing address, links to the chapter from it")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--child", type=Path, metavar="ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        serve_as_child(args.child)
        return 0
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # the font subsetter reports each table
    if args.base_path and not (args.base_path.startswith("/") and args.base_path.endswith("/")
                               and not args.base_path.startswith("//")):
        parser.error(f"--base-path must be a path on the site's own host, starting and ending with '/' "
                     f"(such as /repo/), not {args.base_path!r}")
    options = Options(root=ROOT, out=args.out.resolve(), pyodide=args.pyodide,
                      service_worker=args.service_worker and not args.serve, python_snapshot=args.python_snapshot,
                      base_path=args.base_path)
    if args.serve:
        serve(options, args.port)
        return 0
    try:
        build(options)
    except BuildError as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
