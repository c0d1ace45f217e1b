"""Shared helpers for the test suite."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


_SCRATCH: list[str] = []


def pytest_configure(config):
    """Tests write nothing into the repository: the builds' cell cache, Python's memory
    snapshot and Hypothesis's example database go to a temporary folder, removed when
    the run ends (the snapshot's is one for all of a parallel run's processes)."""
    scratch = tempfile.mkdtemp(prefix="ch11-tests-")
    _SCRATCH.append(scratch)
    # Each process of a parallel run (pytest-xdist) keeps a cell cache of its own: a
    # cell that times itself gives other figures each run, and a cache another process
    # rewrote in between would make two builds of one process differ.
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        os.environ["BUILD_CACHE"] = os.path.join(os.environ.get("BUILD_CACHE", scratch), worker)
    os.environ.setdefault("BUILD_CACHE", os.path.join(scratch, "build-cache"))
    os.environ.setdefault("SNAPSHOT_CACHE", os.path.join(scratch, "pyodide-snapshot"))
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(scratch, "hypothesis"))


def pytest_unconfigure(config):
    for scratch in _SCRATCH:
        shutil.rmtree(scratch, ignore_errors=True)


FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUBPATH = "/ch11/"  # where the browser tests serve the site, as GitHub Pages serves a project site


def read_fixtures(path: Path) -> list[tuple[str, int, str, str]]:
    """Cases in markdown-it's fixture format: title / . / input / . / expected / .

    Returns (title, line of the title, input, expected)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        title, start = lines[i], i + 1
        assert lines[i + 1] == ".", f"{path}:{i + 2}: expected '.'"
        j = i + 2
        while lines[j] != ".":
            j += 1
        source = "\n".join(lines[i + 2 : j]) + "\n"
        k = j + 1
        while lines[k] != ".":
            k += 1
        expected = "\n".join(lines[j + 1 : k])
        cases.append((title, start, source, expected))
        i = k + 1
    return cases


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


SMALL_CHAPTER = FIXTURES / "small-chapter"


def copy_project(into: Path, chapter: Path = ROOT / "chapter", runnable: Path = ROOT / "runnable") -> Path:
    """A copy of the sources to break, with the chapter and the cells of ``chapter`` and
    ``runnable``, and the real build, instruments, templates and static files;
    node_modules is shared by a link."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(chapter, into / "chapter")
    shutil.copytree(runnable, into / "runnable", ignore=ignore)
    for name in ("instruments", "templates", "static"):
        shutil.copytree(ROOT / name, into / name, ignore=ignore)
    for name in ("package.json", "package-lock.json", "build.py"):
        shutil.copy(ROOT / name, into / name)
    (into / "node_modules").symlink_to(ROOT / "node_modules")
    return into


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of the whole project to break (see ``copy_project``)."""
    return copy_project(tmp_path)


@pytest.fixture
def small_project(tmp_path) -> Path:
    """A project to break whose chapter is small (``fixtures/small-chapter``: two short
    sections with an equation, a quiz, a computed number, a citation and one code cell)
    and whose build, templates, static files, instruments and cell runtime are the real
    ones. ``instruments/quoted.py`` is the small chapter's own, since the build stops on
    a computed number the prose never quotes."""
    from build import RUNTIME_MODULES  # what runnable/ holds besides the cells

    copy_project(tmp_path, SMALL_CHAPTER / "chapter", SMALL_CHAPTER / "runnable")
    shutil.copy(SMALL_CHAPTER / "instruments" / "quoted.py", tmp_path / "instruments" / "quoted.py")
    for name in RUNTIME_MODULES:
        shutil.copy(ROOT / "runnable" / name, tmp_path / "runnable" / name)
    return tmp_path


def shared_build(tmp_path_factory, name: str, **options) -> Path:
    """The chapter built once per test run, shared by all of pytest-xdist's processes:
    the first to ask builds it, under a lock, while the others wait; then all read it."""
    import fcntl

    import build

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each process's own
    out, done = root / name / "_site", root / name / "built"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            build.build(build.Options(out=out, **options))
            done.touch()
    return out


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The chapter as it is deployed (Pyodide from its CDN), for the tests that only
    read it."""
    return shared_build(tmp_path_factory, "site-cdn")


@pytest.fixture(scope="session")
def built_site_local(tmp_path_factory) -> Path:
    """The chapter with the npm Pyodide core shipped beside it, for the browser and
    notebook tests (nothing may leave the machine)."""
    return shared_build(tmp_path_factory, "site-local", pyodide="local", base_path=SUBPATH)
