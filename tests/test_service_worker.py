"""build.py's service worker step: sw.js at the site's root, versioned by the site's files."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import build
from conftest import ROOT


def files() -> dict[str, str | bytes | Path]:
    """A site as the build holds it just before the worker is written."""
    return {
        "index.html": "<!doctype html><title>x</title>",
        "404.html": "<!doctype html><title>not found</title>",
        "chapter-11.ipynb": "{}",
        "assets/css/site.css": b"body{}",
        "assets/js/page.js": ROOT / "static/js/page.js",
        "assets/js/sw.js": ROOT / "static/js/sw.js",
        "assets/js/sw-off.js": ROOT / "static/js/sw-off.js",
        "assets/pyodide/pyodide.asm.wasm": b"\0asm",
        "assets/py/session.py": "print()",
    }


def constants(worker: str) -> dict:
    found = dict(re.findall(r"^const (VERSION|PRECACHE|RUNTIME) = (.*?);$", worker, re.M | re.S))
    return {name: json.loads(value) for name, value in found.items()}


def test_the_worker_lists_the_page_and_its_assets_but_not_the_runtime():
    site = files()
    worker = build.service_worker(build.Options(pyodide="local"), site)
    found = constants(worker)
    assert found["PRECACHE"] == [
        "assets/css/site.css", "assets/js/page.js", "assets/py/session.py", "chapter-11.ipynb", "index.html",
    ]
    assert found["RUNTIME"]["prefixes"] == ["assets/pyodide/"]
    assert found["RUNTIME"]["core"] == [f"assets/pyodide/{name}" for name in build.PYODIDE_CORE]
    assert found["RUNTIME"]["snapshot"] == build.PYODIDE_SNAPSHOT
    assert re.fullmatch(re.escape(f"python-{build.pyodide_version(ROOT)}-") + "[0-9a-f]{8}", found["RUNTIME"]["name"])
    body = worker.split("\n", 3)[3]  # the worker after its constants, minified
    assert 'addEventListener("fetch"' in body and "// " not in body
    # the sources are not shipped twice
    assert "assets/js/sw.js" not in site and "assets/js/sw-off.js" not in site


def test_python_s_cache_is_named_by_its_snapshot_s_recipe_so_another_recipe_s_is_never_answered_by_an_older_one(
        monkeypatch):
    def name(snapshot, **options):
        site = {**files(), build.PYODIDE_SNAPSHOT: snapshot}
        return constants(build.service_worker(build.Options(pyodide="local", **options), site))["RUNTIME"]["name"]

    plain = f"python-{build.pyodide_version(ROOT)}"
    first = name(b"a snapshot")
    assert re.fullmatch(re.escape(plain) + r"-[0-9a-f]{8}", first)
    # made again by the same recipe, a snapshot differs in a few bytes: the reader's cache stays
    assert name(b"the same snapshot made again") == first
    monkeypatch.setattr(build, "SNAPSHOT_JS", build.SNAPSHOT_JS + "// another recipe\n")
    other = name(b"a snapshot")
    assert other != first and other.startswith(plain + "-")
    assert name(b"a snapshot", python_snapshot=False) == plain  # no snapshot fetched: none kept


def test_from_the_cdn_the_runtime_is_cached_by_its_versioned_url():
    found = constants(build.service_worker(build.Options(pyodide="cdn"), files()))
    version = build.pyodide_version(ROOT)
    cdn = f"https://cdn.jsdelivr.net/pyodide/v{version}/full/"
    # the snapshot of Python's memory comes from the site itself, made for that release
    assert found["RUNTIME"]["prefixes"] == ["assets/pyodide/", cdn]
    assert found["RUNTIME"]["core"] == [cdn + name for name in build.PYODIDE_CORE]
    assert found["RUNTIME"]["snapshot"] == build.PYODIDE_SNAPSHOT


def test_the_version_follows_every_file_and_nothing_else():
    version = lambda site: constants(build.service_worker(build.Options(), site))["VERSION"]  # noqa: E731
    same = version(files())
    assert re.fullmatch(r"[0-9a-f]{16}", same)
    assert version(files()) == same
    for rel, content in [("index.html", "<!doctype html><title>y</title>"), ("assets/css/site.css", b"p{}"),
                         ("assets/pyodide/pyodide.asm.wasm", b"\0asm2"), ("assets/new.js", b"")]:
        changed = files()
        changed[rel] = content
        assert version(changed) != same, rel


def test_without_a_service_worker_sw_js_removes_one():
    site = files()
    worker = build.service_worker(build.Options(service_worker=False), site)
    assert worker == (ROOT / "static/js/sw-off.js").read_text(encoding="utf-8")
    assert "registration.unregister()" in worker and "caches.delete" in worker
    assert "assets/js/sw.js" not in site and "assets/js/sw-off.js" not in site


def test_serve_builds_without_the_worker_and_the_page_registers_none(tmp_path):
    out = tmp_path / "_site"
    build.build(build.Options(out=out, pyodide="local", service_worker=False))
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "data-service-worker" not in page and 'id="offline-fact"' not in page
    assert (out / "sw.js").read_text(encoding="utf-8") == (ROOT / "static/js/sw-off.js").read_text(encoding="utf-8")
    assert not (out / "assets/js/sw.js").exists()


def test_serve_rebuilds_without_the_worker(monkeypatch):
    asked = []
    monkeypatch.setattr(build.subprocess, "run", lambda args, **kw: asked.append(args) or
                        subprocess.CompletedProcess(args, 0, "", ""))
    assert build.rebuild_in_a_fresh_process(build.Options())
    assert "--no-service-worker" in asked[0]
