"""``build.py --serve`` serves on 127.0.0.1 and rebuilds when a source changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request



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


def test_serve_rebuilds_on_change(project_copy):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(project_copy / "build.py"), "--serve", "--port", str(port), "-q"],
        cwd=project_copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        assert "State-space models" in fetch(url)
        chapter = project_copy / "chapter" / "11-5-race.md"
        chapter.write_text(chapter.read_text() + "\nA sentence added while serving.\n")
        deadline = time.monotonic() + 60
        while "A sentence added while serving." not in fetch(url):
            assert time.monotonic() < deadline, "the page was not rebuilt"
            time.sleep(0.5)
        chapter.write_text(chapter.read_text() + "\n::: nonsense\n:::\n")
        time.sleep(3)
        assert "A sentence added while serving." in fetch(url), "a broken rebuild must keep serving the last site"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert b"unknown block kind 'nonsense'" in err
