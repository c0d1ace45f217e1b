"""The page's one Python session: run a live cell's code as the reader edited it.

The worker (``static/js/webworker.js``) writes this file into Pyodide's file system
with ``plotting.py`` and ``instruments/``, imports it, calls ``install()``, takes
one warm-up run and calls ``settle()``, then ``run_cell(code, name, write=...,
emit_figure=...)`` for every Run. The code arrives as data (a string argument);
nothing is pasted into a wrapper. Everything here is plain Python, so the same
functions are tested under CPython.

What a run gives the page:

- stdout and stderr, in order, handed to ``write(stream, text)`` in batches (at most
  one call per ``FLUSH_SECONDS`` or ``FLUSH_CHARS``), capped at ``MAX_LINES`` lines or
  ``MAX_CHARS`` characters: a cell printing a million lines costs the page a few
  messages, not a million;
- every ``plot_xy`` figure, as JSON text, to ``emit_figure(text)`` (at most
  ``MAX_FIGURES``);
- a result dict: ``status`` ("ok", "error", "exit" or "interrupted"), the traceback
  trimmed to the reader's own frames (file ``<cell NAME>``, the cell's line numbers),
  the ``line`` of the cell where an error was raised (or None), a plain-words ``note``,
  ``truncated`` and the run time ``ms``.

Cells may call ``plot_xy`` without importing it (``PROVIDED``): the page, the build and
the notebook all run cells through ``run_cell``, so the name exists in all three.

The build runs the chapter's cells through this same ``run_cell`` (in its child
process, ``build.py --child``), so the pre-run output under each cell is what a Run
would show.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import gc
import importlib.util
import io
import json
import linecache
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

import plotting

MAX_LINES = 5_000
MAX_CHARS = 1_000_000
MAX_FIGURES = 20
MAX_TRACEBACK_CHARS = 20_000
FLUSH_SECONDS = 0.05
FLUSH_CHARS = 16_384

HERE = Path(__file__).resolve().parent
PROVIDED = {"plot_xy": plotting.plot_xy}  # names a cell may use without importing them
NAMESPACE: dict = {"__name__": "__main__", **PROVIDED}  # the namespace the page's cells share

INPUT_MESSAGE = (
    "input() is not available in the page: there is no keyboard prompt in a cell. "
    "Set the value in the code instead, e.g. n = 10"
)


class InputNotAvailableError(RuntimeError):
    """Raised by ``input()`` in a live cell."""


def no_input(prompt: object = "", /) -> str:
    raise InputNotAvailableError(INPUT_MESSAGE)


class _NoStdin(io.TextIOBase):
    """``sys.stdin`` in the page: reading it says why there is nothing to read."""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        raise InputNotAvailableError(INPUT_MESSAGE)

    readline = read


def install() -> None:
    """Make the worker's interpreter a page session: no stdin, ``input()`` explains."""
    builtins.input = no_input
    sys.stdin = _NoStdin()


def settle() -> None:
    """Once start-up is done: collect its garbage now and move what survives out of
    the collector's sight (``gc.freeze``), so the reader's first runs do not pay for
    a full collection of the interpreter's start-up objects."""
    gc.collect()
    gc.freeze()


WARM_UP_MOST_SECONDS = 1.0
_WARM_UP_SOURCE = "total = sum(i * i for i in range(4000))\nlabel = f'{total:,} = {total / 7:.3e}'\n"


def warm_up(most: float = WARM_UP_MOST_SECONDS) -> int:
    """Keep the interpreter busy with what cells do (compile source, loop, call a
    generator, format numbers, fill a dict) until the browser runs it optimised, or
    for ``most`` seconds. Browsers compile WebAssembly first for a fast start, then
    again, optimised, in the background, once a function has run a while. A Python
    restored from a memory snapshot has run none of its code yet: without this, the
    reader's first runs take the first, slower code (3 to 5 times slower, for about
    a second, in Chromium here). The optimised code has arrived when three rounds in a
    row take a third of the time the first rounds took. Returns the rounds done."""
    started = time.perf_counter()
    took: list[float] = []
    while time.perf_counter() - started < most:
        begun = time.perf_counter()
        scope: dict = {}
        exec(compile(_WARM_UP_SOURCE, "<warm-up>", "exec"), scope)
        {part: len(part) for part in scope["label"].replace(",", " ").split()}  # a cell's kind of work
        took.append(time.perf_counter() - begun)
        if len(took) >= 7 and all(3 * t <= sorted(took[1:4])[1] for t in took[-3:]):
            break
    return len(took)


# ── output ───────────────────────────────────────────────────────────────────


class CappedOutput:
    """Text a cell writes, capped, and handed to ``sink(stream, text)`` in batches."""

    def __init__(
        self,
        sink: Callable[[str, str], object],
        *,
        max_lines: int = MAX_LINES,
        max_chars: int = MAX_CHARS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.sink, self.clock = sink, clock
        self.max_lines, self.max_chars = max_lines, max_chars
        self.lines = self.chars = 0
        self.truncated = False
        self._pending: list[tuple[str, str]] = []
        self._pending_chars = 0
        self._last_flush = float("-inf")

    def write(self, stream: str, text: str) -> None:
        if self.truncated or not text:
            return
        text = self._take(text)
        if text:
            if self._pending and self._pending[-1][0] == stream:
                self._pending[-1] = (stream, self._pending[-1][1] + text)
            else:
                self._pending.append((stream, text))
            self._pending_chars += len(text)
        now = self.clock()
        if self.truncated or self._pending_chars >= FLUSH_CHARS or now - self._last_flush >= FLUSH_SECONDS:
            self.flush(now)

    def _take(self, text: str) -> str:
        """The part of ``text`` that fits under the caps; past them, nothing."""
        if self.lines >= self.max_lines:
            self.truncated = True
            return ""
        room = self.max_chars - self.chars
        if len(text) > room:
            text, self.truncated = text[:room], True
        newlines = text.count("\n")
        if self.lines + newlines >= self.max_lines:
            keep = self.max_lines - self.lines
            cut = -1
            for _ in range(keep):
                cut = text.index("\n", cut + 1)
            if cut + 1 < len(text):
                text, self.truncated = text[: cut + 1], True
            newlines = keep
        self.lines += newlines
        self.chars += len(text)
        return text

    def flush(self, now: float | None = None) -> None:
        pending, self._pending, self._pending_chars = self._pending, [], 0
        self._last_flush = self.clock() if now is None else now
        for stream, text in pending:
            self.sink(stream, text)


class CellStream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` while a cell runs."""

    def __init__(self, output: CappedOutput, name: str):
        self._output, self._name = output, name

    @property
    def name(self) -> str:
        return f"<{self._name}>"

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._output.write(self._name, text)
        return len(text)

    def flush(self) -> None:
        """``print(..., flush=True)`` and ``sys.stdout.flush()`` send what is held back now,
        so a line printed before a long computation shows while it runs."""
        self._output.flush()


class FigureSink:
    """``plotting.emit`` while a cell runs: figures as JSON text, at most ``MAX_FIGURES``."""

    def __init__(self, emit: Callable[[str], object] | None, output: CappedOutput | None = None,
                 limit: int = MAX_FIGURES):
        self.emit, self.output, self.limit = emit, output, limit
        self.count = self.dropped = 0

    def __call__(self, figure: dict) -> None:
        if self.count >= self.limit:
            self.dropped += 1
            return
        self.count += 1
        if self.output is not None:
            self.output.flush()  # text printed before the chart goes before it
        if self.emit is not None:
            self.emit(json.dumps(figure, allow_nan=False, default=float))


# ── tracebacks ────────────────────────────────────────────────────────────────


def cell_filename(name: str) -> str:
    return f"<cell {name}>"


def _trim(exc: traceback.TracebackException, filename: str, seen: set[int]) -> None:
    """Drop the frames above the reader's code (this module, the worker's glue)."""
    if id(exc) in seen:
        return
    seen.add(id(exc))
    frames = list(exc.stack)
    for index, frame in enumerate(frames):
        if frame.filename == filename:
            exc.stack = traceback.StackSummary.from_list(frames[index:])
            break
    else:
        exc.stack = traceback.StackSummary.from_list([f for f in frames if f.filename != __file__])
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            _trim(linked, filename, seen)


def error_line(error: BaseException, filename: str) -> int | None:
    """The line of the cell (``filename``) where ``error`` was raised, innermost first."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return error.lineno
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def format_traceback(error: BaseException, filename: str) -> str:
    """The traceback of ``error`` from the reader's first frame on, as text."""
    exc = traceback.TracebackException.from_exception(error)
    _trim(exc, filename, set())
    text = "".join(exc.format())
    if len(text) > MAX_TRACEBACK_CHARS:
        half = MAX_TRACEBACK_CHARS // 2
        text = f"{text[:half]}\n… (traceback shortened) …\n{text[-half:]}"
    return text


# ── running a cell ────────────────────────────────────────────────────────────


def _cell_builtins() -> dict:
    return dict(vars(builtins), input=no_input)


def exit_note(error: SystemExit) -> str:
    code = error.code
    said = "sys.exit()" if code is None else f"sys.exit({code!r})"
    return f"The cell called {said} and stopped there. The session is still running."


def run_cell(
    code: str,
    name: str,
    *,
    write: Callable[[str, str], object] | None = None,
    emit_figure: Callable[[str], object] | None = None,
    namespace: dict | None = None,
) -> dict:
    """Run ``code`` (cell ``name``) in the shared namespace; report as data, never raise
    (only a KeyboardInterrupt in flight or a dying interpreter get past this).

    >>> ns = {}
    >>> out = []
    >>> run_cell("x = 6 * 7\\nprint(x)", "demo", write=lambda s, t: out.append(t), namespace=ns)["status"]
    'ok'
    >>> "".join(out), ns["x"]
    ('42\\n', 42)
    """
    namespace = NAMESPACE if namespace is None else namespace
    namespace.setdefault("__name__", "__main__")
    for key, value in PROVIDED.items():
        namespace.setdefault(key, value)
    namespace["__builtins__"] = _cell_builtins()
    filename = cell_filename(name)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    output = CappedOutput(write or (lambda stream, text: None))
    figures = FigureSink(emit_figure, output)
    result = {"status": "ok", "traceback": "", "line": None, "note": "", "truncated": False, "figures": 0,
              "ms": 0.0}
    previous_emit = plotting.emit
    started = time.perf_counter()
    try:
        plotting.emit = figures
        with contextlib.redirect_stdout(CellStream(output, "stdout")), \
                contextlib.redirect_stderr(CellStream(output, "stderr")):
            try:
                exec(compile(code, filename, "exec", dont_inherit=True), namespace)
            except SystemExit as error:
                result.update(status="exit", note=exit_note(error))
            except KeyboardInterrupt:
                result.update(status="interrupted", note="Stopped. The session is still running.")
            except BaseException as error:  # noqa: BLE001 - every error is the reader's to see
                result.update(status="error", traceback=format_traceback(error, filename),
                              line=error_line(error, filename))
    finally:
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        plotting.emit = previous_emit
        output.flush()
    result["truncated"] = output.truncated
    result["figures"] = figures.count
    if figures.dropped:
        extra = f"Only the first {MAX_FIGURES} charts are drawn; {figures.dropped} more were left out."
        result["note"] = f"{result['note']} {extra}".strip()
    return result


# ── packages a cell needs ─────────────────────────────────────────────────────


def _top_imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    names.discard("__future__")
    return names


@functools.lru_cache(maxsize=None)
def _imports_of_file(path: str, mtime: float) -> frozenset[str]:
    try:
        return frozenset(_top_imports(ast.parse(Path(path).read_text(encoding="utf-8"))))
    except (OSError, SyntaxError, ValueError):
        return frozenset()


def _local_sources(spec, local_dirs: tuple[Path, ...]) -> list[Path]:
    """The chapter's own files behind ``spec``, if it is one of ours (in ``local_dirs``)."""
    places = list(spec.submodule_search_locations or []) or ([spec.origin] if spec.origin else [])
    found = []
    for place in places:
        path = Path(place).resolve()
        if not any(path.is_relative_to(d) for d in local_dirs):
            return []
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def imports_to_load(code: str, local_dirs: tuple[Path, ...] = (HERE,)) -> list[str]:
    """Top-level modules ``code`` needs that cannot be imported yet: the ones it imports
    and the ones the chapter's own modules it imports need (``instruments`` needs numpy).
    The chapter's modules are the ones in ``local_dirs`` (in the worker, all of them sit
    beside this file). The worker asks Pyodide to download the packages that provide them."""
    try:
        todo = _top_imports(ast.parse(code))
    except (SyntaxError, ValueError):
        return []
    seen, missing = set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            missing.add(name)
            continue
        for path in _local_sources(spec, local_dirs):
            todo |= _imports_of_file(str(path), path.stat().st_mtime) - seen
    return sorted(missing)
