"""Shared helpers for the test suite."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Builds made by the tests keep their cell cache outside the repository."""
    os.environ.setdefault("BUILD_CACHE", tempfile.mkdtemp(prefix="ch11-build-cache-"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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


COPIED = ("chapter", "runnable", "instruments", "templates", "static")


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of the sources to break, sharing node_modules by a link."""
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("package.json", "package-lock.json", "build.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The chapter built once per test session as it is deployed (Pyodide from its CDN),
    for the tests that only read it."""
    import build

    out = tmp_path_factory.mktemp("site-cdn") / "_site"
    build.build(build.Options(out=out))
    return out


@pytest.fixture(scope="session")
def built_site_local(tmp_path_factory) -> Path:
    """The chapter built once per test session with the npm Pyodide core shipped beside
    it, for the browser and notebook tests (nothing may leave the machine)."""
    import build

    out = tmp_path_factory.mktemp("site-local") / "_site"
    build.build(build.Options(out=out, pyodide="local"))
    return out

