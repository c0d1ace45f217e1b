"""The bench's peer: this chapter as it would be with PyScript running its cells.

The peer is made from our own built page, so that both pages carry the same chapter
(its prose, math, quizzes, instruments and their scripts) and differ only in what runs
the code cells:

* every code cell keeps its title and caption, and its code (``runnable/NAME.py``)
  becomes an editable PyScript ``py-editor`` whose interpreter is the chapter's own local
  Pyodide core, so that both pages run the very same Python files; the build's printed
  output of each cell, which PyScript has no way to show before a run, is left out;
* PyScript's ``core.css`` and ``core.js`` (``@pyscript/core``, copied next to the page)
  are added to the head;
* our page script stays for everything that is not a cell; its cell code finds no cell
  (a peer cell is not ``figure.cell``) and so starts no Python;
* our service worker is not registered (PyScript has none) and the page's Content
  Security Policy is left out (PyScript's own, not ours, would apply);
* the page's files are read from ``../site/`` on the bench's one server.
"""

from __future__ import annotations

import re
from pathlib import Path

INTERPRETER = "../site/assets/pyodide/pyodide.mjs"
PYSCRIPT_HEAD = '<link rel="stylesheet" href="pyscript/core.css">\n<script type="module" src="pyscript/core.js"></script>\n'

CELL = re.compile(
    r'<figure class="cell" id="cell-(?P<name>\w+)" data-cell="(?P=name)"(?P<attrs>[^>]*)>(?P<body>.*?)</figure>', re.S)
TITLE = re.compile(r'\A\s*<p class="cell-title".*?</p>', re.S)
CAPTION = re.compile(r'<figcaption class="cell-caption">.*\Z', re.S)
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')
SERVICE_WORKER = re.compile(r' data-service-worker="[^"]*"')
ASSET = re.compile(r'(="|url\(")assets/')
TITLE_TAG = re.compile(r"<title>(.*?)</title>", re.S)


class PeerError(ValueError):
    """The built page is not shaped as the peer's making expects."""


def editor(name: str, code: str) -> str:
    if "</script" in code.lower():
        raise PeerError(f"runnable/{name}.py: its code would end the peer's <script> early")
    config = '{"interpreter": "%s"}' % INTERPRETER
    return f"<script type=\"py-editor\" data-cell=\"{name}\" config='{config}'>\n{code.strip()}\n</script>\n"


def peer_cell(match: re.Match, runnable: Path) -> str:
    name, body = match["name"], match["body"]
    if "<figure" in body:
        raise PeerError(f"cell {name}: a figure inside a cell is not expected")
    title = TITLE.match(body)
    if not title:
        raise PeerError(f"cell {name}: no cell title at its start")
    caption = CAPTION.search(body)
    code = (runnable / f"{name}.py").read_text(encoding="utf-8")
    return (f'<figure class="peer-cell" id="cell-{name}"{match["attrs"]}>{title[0]}\n'
            f'{editor(name, code)}{caption[0] if caption else ""}</figure>')


def chapter_peer(page: str, runnable: Path) -> str:
    """The peer page's HTML, from our built ``index.html`` and the cells' code."""
    page, cells = CELL.subn(lambda m: peer_cell(m, runnable), page)
    if not cells:
        raise PeerError("the built page has no code cell")
    if re.search(r'<figure\b[^>]*\bdata-cell=', page):
        raise PeerError("a code cell of the built page was not turned into a PyScript editor")
    page, csp = CSP.subn("", page)
    page, worker = SERVICE_WORKER.subn("", page)
    if (csp, worker) != (1, 1):
        raise PeerError(f"expected one Content Security Policy and one service worker, found {csp} and {worker}")
    page = ASSET.sub(r"\1../site/assets/", page)
    page = TITLE_TAG.sub(lambda m: f"<title>PyScript peer · {m[1]}</title>", page, count=1)
    if "</head>" not in page:
        raise PeerError("the built page has no </head>")
    return page.replace("</head>", PYSCRIPT_HEAD + "</head>", 1)
