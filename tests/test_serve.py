"""``build.py --serve`` serves on 127.0.0.1 and rebuilds when a source changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_for(url: str, wanted: str, what: str, log: Path, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while wanted not in (page := fetch(url)):
        assert time.monotonic() < deadline, f"{what}; the server said:\n{log.read_text()}"
        time.sleep(0.5)
    return page


def wait_for_log(log: Path, wanted: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in log.read_text():
        assert time.monotonic() < deadline, f"the server never said {wanted!r}:\n{log.read_text()}"
        time.sleep(0.5)


def test_serve_rebuilds_on_change(small_project):
    port = free_port()
    log = small_project / "serve.log"
    server = subprocess.Popen(
        [sys.executable, str(small_project / "build.py"), "--serve", "--port", str(port), "-q"],
        cwd=small_project, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        assert "A Small Chapter" in fetch(url)
        chapter = small_project / "chapter" / "11-2-cell.md"
        chapter.write_text(chapter.read_text() + "\nA sentence added while serving.\n")
        wait_for(url, "A sentence added while serving.", "the page was not rebuilt", log)
        chapter.write_text(chapter.read_text() + "\n::: nonsense\n:::\n")
        wait_for_log(log, "unknown block kind 'nonsense'")
        assert "A sentence added while serving." in fetch(url), "a broken rebuild must keep serving the last site"

        # A quoted number follows an edit of the function that computes it (the
        # modules are not kept from an earlier build).
        chapter.write_text(chapter.read_text().replace("\n::: nonsense\n:::\n", "\nQuoted: {{ probe }}.\n"))
        quoted = small_project / "instruments" / "quoted.py"
        original = quoted.read_text()
        hook = "def quoted_numbers() -> dict[str, str]:\n"
        assert hook in original
        quoted.write_text(original.replace(hook, hook + "    return {**_all_numbers(), 'probe': '41'}\n\n\ndef _all_numbers():\n"))
        wait_for(url, "data-name=\"probe\">41<", "the quoted number was not computed", log)
        # An exception that is no block error does not stop the watching.
        quoted.write_text(original.replace(hook, hook + "    raise RuntimeError('probe failure')\n"))
        wait_for_log(log, "probe failure")
        assert "data-name=\"probe\">41<" in fetch(url)
        quoted.write_text(original.replace(hook, hook + "    return {**_all_numbers(), 'probe': '42'}\n\n\ndef _all_numbers():\n"))
        wait_for(url, "data-name=\"probe\">42<", "the edited function did not reach the page", log)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "instruments/quoted.py" in log.read_text()  # the failure names its file


def test_serve_serves_the_site_at_its_base_path_as_it_will_be_published(small_project):
    port = free_port()
    log = small_project / "serve.log"
    server = subprocess.Popen(
        [sys.executable, str(small_project / "build.py"), "--serve", "--port", str(port), "--base-path", "/repo/"],
        cwd=small_project, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )
    try:
        origin = f"http://127.0.0.1:{port}"
        assert "A Small Chapter" in fetch(origin + "/repo/")
        wait_for_log(log, f"at {origin}/repo/")
        with urllib.request.urlopen(origin + "/repo", timeout=5) as answered:  # redirected, as Pages does
            assert answered.url == origin + "/repo/" and "A Small Chapter" in answered.read().decode("utf-8")
        for missing in ("/", "/index.html", "/repo/no-such-page", "/repo/a/b/no-such-page"):
            with pytest.raises(urllib.error.HTTPError) as answered:
                urllib.request.urlopen(origin + missing, timeout=5)
            with answered.value as error:
                assert error.code == 404
                assert 'href="/repo/' in error.read().decode("utf-8"), f"{missing}: the site's 404 page, into /repo/"
        head = urllib.request.Request(origin + "/repo/no-such-page", method="HEAD")
        with pytest.raises(urllib.error.HTTPError) as answered:
            urllib.request.urlopen(head, timeout=5)
        with answered.value as error:
            assert error.code == 404 and error.read() == b""  # a HEAD answer has no body
    finally:
        server.terminate()
        server.wait(timeout=10)
