"""runnable/session.py under CPython: the Python half of the live cells."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

import plotting
import session

ROOT = Path(__file__).resolve().parents[1]


def run(code, name="demo", namespace=None, **kwargs):
    chunks, figures = [], []
    namespace = {} if namespace is None else namespace
    result = session.run_cell(
        code, name, write=lambda stream, text: chunks.append((stream, text)),
        emit_figure=figures.append, namespace=namespace, **kwargs,
    )
    return result, chunks, figures


def text_of(chunks, stream=None):
    return "".join(t for s, t in chunks if stream in (None, s))


def test_a_cell_runs_prints_and_keeps_its_names():
    namespace = {}
    result, chunks, _ = run("x = 6 * 7\nprint('x is', x)", namespace=namespace)
    assert result["status"] == "ok" and result["traceback"] == "" and result["ms"] >= 0
    assert text_of(chunks) == "x is 42\n"
    result, chunks, _ = run("print(x + 1)", namespace=namespace)
    assert text_of(chunks) == "43\n"


def test_stdout_and_stderr_arrive_in_order_and_labelled():
    result, chunks, _ = run("import sys\nprint('a')\nprint('b', file=sys.stderr)\nprint('c')")
    assert [(s, t) for s, t in chunks if t.strip()] and text_of(chunks) == "a\nb\nc\n"
    assert text_of(chunks, "stderr") == "b\n"
    assert chunks.index(next(c for c in chunks if c[0] == "stderr")) > 0


def test_output_is_batched_not_one_call_per_print():
    result, chunks, _ = run("for i in range(20_000):\n    print(i)")
    assert len(chunks) < 200  # a few batches, not 40,000 writes
    assert text_of(chunks).count("\n") == session.MAX_LINES and result["truncated"] is True


def test_traceback_shows_the_cells_line_numbers_and_only_its_frames():
    code = "a = 1\n\ndef f(n):\n    return 1 / n\n\nf(0)\n"
    result, _, _ = run(code, name="scaling")
    assert result["status"] == "error"
    tb = result["traceback"]
    assert tb.startswith("Traceback (most recent call last):\n")
    assert 'File "<cell scaling>", line 6, in <module>' in tb
    assert 'File "<cell scaling>", line 4, in f' in tb
    assert "return 1 / n" in tb  # the source line is shown
    assert tb.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "session.py" not in tb and "exec(" not in tb


def test_a_traceback_into_a_module_keeps_the_modules_frames():
    result, _, _ = run("from plotting import plot_xy\n\nplot_xy([1, 2], [1, 2, 3])")
    tb = result["traceback"]
    assert 'File "<cell demo>", line 3, in <module>' in tb
    assert "plotting.py" in tb and "ValueError: plot_xy: x has 2 values but y has 3" in tb


def test_chained_exceptions_are_trimmed_too():
    code = "try:\n    {}['k']\nexcept KeyError as e:\n    raise ValueError('wrapped') from e"
    tb = run(code)[0]["traceback"]
    assert "KeyError: 'k'" in tb and "ValueError: wrapped" in tb
    assert "session.py" not in tb and tb.count('File "<cell demo>"') == 2


def test_a_syntax_error_names_the_cell_and_line():
    result, _, _ = run("x = 1\ny = (2,\nprint(x y)", name="broken")
    assert result["status"] == "error"
    assert 'File "<cell broken>", line' in result["traceback"]
    assert "SyntaxError" in result["traceback"] and "session.py" not in result["traceback"]


def test_output_is_capped_by_lines_with_a_flag():
    result, chunks, _ = run("for i in range(1_000_000):\n    print(i)")
    text = text_of(chunks)
    assert result["status"] == "ok" and result["truncated"] is True
    assert text.count("\n") == session.MAX_LINES
    assert text.splitlines()[-1] == str(session.MAX_LINES - 1)


def test_output_is_capped_by_characters():
    result, chunks, _ = run("print('x' * 3_000_000)")
    assert result["truncated"] is True
    assert len(text_of(chunks)) == session.MAX_CHARS


def test_output_under_the_cap_is_not_flagged():
    result, chunks, _ = run(f"for i in range({session.MAX_LINES}):\n    print(i)")
    assert result["truncated"] is False and text_of(chunks).count("\n") == session.MAX_LINES


def test_capped_output_flushes_by_time_and_size():
    now = [0.0]
    calls = []
    out = session.CappedOutput(lambda s, t: calls.append(t), clock=lambda: now[0])
    out.write("stdout", "first")  # first write goes straight out
    out.write("stdout", "\n")
    assert calls == ["first"]
    now[0] += session.FLUSH_SECONDS
    out.write("stdout", "later\n")
    assert calls == ["first", "\nlater\n"]
    out.write("stdout", "y" * session.FLUSH_CHARS)
    assert len(calls) == 3
    out.write("stderr", "tail")
    out.flush()
    assert calls[-1] == "tail"


def test_a_flush_sends_what_is_held_back():
    calls = []
    out = session.CappedOutput(lambda s, t: calls.append(t), clock=lambda: 0.0)
    stream = session.CellStream(out, "stdout")
    print("first", file=stream)  # the first write goes straight out, the rest waits
    print("held", file=stream)
    assert "".join(calls) == "first"
    print("asked for", file=stream, flush=True)
    assert "".join(calls) == "first\nheld\nasked for\n"


def test_input_says_it_is_not_available():
    result, _, _ = run("name = input('Your name? ')")
    assert result["status"] == "error"
    assert "InputNotAvailableError: input() is not available in the page" in result["traceback"]
    assert 'File "<cell demo>", line 1' in result["traceback"]


def test_install_replaces_input_and_stdin(monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "input", builtins.input)
    monkeypatch.setattr(sys, "stdin", sys.stdin)
    session.install()
    with pytest.raises(session.InputNotAvailableError, match="not available in the page"):
        input()
    with pytest.raises(session.InputNotAvailableError):
        sys.stdin.readline()


@pytest.mark.parametrize("code,said", [
    ("import sys\nprint('before')\nsys.exit()\nprint('after')", "sys.exit()"),
    ("import sys\nsys.exit(3)", "sys.exit(3)"),
    ("raise SystemExit('bye')", "sys.exit('bye')"),
])
def test_sys_exit_ends_the_cell_cleanly_with_a_note(code, said):
    result, chunks, _ = run(code)
    assert result["status"] == "exit" and result["traceback"] == ""
    assert said in result["note"] and "still running" in result["note"]
    assert "after" not in text_of(chunks)


def test_keyboard_interrupt_is_a_stop_not_an_error():
    result, _, _ = run("raise KeyboardInterrupt")
    assert result["status"] == "interrupted" and result["traceback"] == ""


def test_deep_recursion_is_an_ordinary_error():
    result, _, _ = run("def down(n):\n    return down(n + 1)\n\ndown(0)")
    assert result["status"] == "error" and "RecursionError" in result["traceback"]
    assert len(result["traceback"]) <= session.MAX_TRACEBACK_CHARS + 100
    assert text_of(run("print('fine')")[1]) == "fine\n"


def test_figures_go_to_emit_figure_as_json_and_plotting_is_restored():
    before = plotting.emit
    result, _, figures = run("from plotting import plot_xy\nplot_xy([1, 2, 3], [1, 4, 9], title='sq')")
    assert result["figures"] == 1 and plotting.emit is before
    figure = json.loads(figures[0])
    assert figure["traces"][0]["y"] == [1.0, 4.0, 9.0] and figure["layout"]["title"] == "sq"


def test_figures_are_capped():
    code = "from plotting import plot_xy\nfor i in range(30):\n    plot_xy([1], [i])"
    result, _, figures = run(code)
    assert len(figures) == session.MAX_FIGURES == result["figures"]
    assert "10 more were left out" in result["note"]


def test_stdout_is_restored_after_a_run():
    stdout, stderr = sys.stdout, sys.stderr
    run("print('x')")
    run("raise ValueError")
    assert sys.stdout is stdout and sys.stderr is stderr


def test_the_default_namespace_is_shared_between_calls():
    session.run_cell("shared_between_cells = 5", "one")
    out = []
    session.run_cell("print(shared_between_cells)", "two", write=lambda s, t: out.append(t))
    assert "".join(out) == "5\n"
    del session.NAMESPACE["shared_between_cells"]


def test_imports_to_load_follows_the_chapters_own_modules(monkeypatch):
    # numpy is importable here, so nothing is missing; a made-up module is.
    assert session.imports_to_load("import numpy as np") == []
    assert session.imports_to_load("import surely_not_a_module_xyz") == ["surely_not_a_module_xyz"]
    assert session.imports_to_load("import os, sys\nfrom math import pi") == []
    assert session.imports_to_load("this is not python") == []
    # instruments (ours) imports numpy: pretend numpy is missing and it is found
    real = session.importlib.util.find_spec
    monkeypatch.setattr(session.importlib.util, "find_spec", lambda n: None if n == "numpy" else real(n))
    monkeypatch.delitem(sys.modules, "numpy", raising=False)
    monkeypatch.delitem(sys.modules, "instruments", raising=False)
    ours = (ROOT,)
    assert session.imports_to_load("from instruments.cost import attention_flops", ours) == ["numpy"]
    assert session.imports_to_load("import instruments.cost", ours) == ["numpy"]
    assert session.imports_to_load("from instruments.cost import attention_flops", (ROOT / "runnable",)) == []


def test_text_printed_before_a_chart_arrives_before_it():
    events = []
    session.run_cell(
        "from plotting import plot_xy\nprint('a', 'b', [1, 2])\nplot_xy([1], [1])\nprint('after')", "order",
        write=lambda s, t: events.append(("text", t)), emit_figure=lambda f: events.append(("figure", "")),
        namespace={},
    )
    figure_at = events.index(("figure", ""))
    assert "".join(t for _, t in events[:figure_at]) == "a b [1, 2]\n"
    assert "".join(t for _, t in events[figure_at + 1:]) == "after\n"


def test_settle_collects_and_freezes_what_start_up_left():
    import gc
    import weakref

    class Cycle:
        pass

    loop = Cycle()
    loop.me = loop  # garbage only the cycle collector can free
    gone = weakref.ref(loop)
    del loop
    try:
        session.settle()
        assert gone() is None  # collected, not frozen
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_warm_up_keeps_python_busy_until_it_speeds_up_and_leaves_nothing_behind():
    before = set(vars(session))
    started = time.perf_counter()
    rounds = session.warm_up(0.05)
    # CPython runs at one speed, so the warm-up mostly runs its time out; on a loaded
    # machine a slow start can end it early, but only by its rule (seven rounds at least)
    assert time.perf_counter() - started >= 0.05 or rounds >= 7
    assert rounds >= 1
    assert set(vars(session)) == before
    assert session.warm_up(0) == 0


def test_the_warm_up_ends_once_its_rounds_run_three_times_faster(monkeypatch):
    # a clock whose rounds take 6 ms at first, then 1.5 ms (the optimised code arrives)
    now = [0.0]
    durations = iter([0.020, 0.006, 0.006, 0.006, 0.006, 0.0015, 0.0015, 0.0015] + [0.0015] * 50)

    def clock():
        return now[0]

    real_compile = compile

    def timed_compile(*args):
        now[0] += next(durations)
        return real_compile(*args)

    monkeypatch.setattr(session.time, "perf_counter", clock)
    monkeypatch.setattr(session, "compile", timed_compile, raising=False)
    assert session.warm_up(10.0) == 8
    assert now[0] < 1
