"""The watching behind ``build.py --serve``: what a change is, and that nothing stops it."""

from __future__ import annotations

import logging
import os
import threading
import time

import build


def test_a_file_gone_before_it_is_read_is_skipped(tmp_path):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    (chapter / "11-1.md").write_text("text")
    (chapter / ".#11-1.md").symlink_to(tmp_path / "no-such-file")  # an editor's lock link
    assert list(build.snapshot(tmp_path)) == [str(chapter / "11-1.md")]


def test_watching_goes_on_after_a_failure(tmp_path, monkeypatch, caplog):
    source = tmp_path / "chapter" / "11-1.md"
    source.parent.mkdir()
    source.write_text("first")
    rebuilds = []

    def rebuild(options):
        rebuilds.append(source.read_text())
        if len(rebuilds) == 1:
            raise RuntimeError("the first rebuild broke")
        return True

    monkeypatch.setattr(build, "rebuild_in_a_fresh_process", rebuild)
    stop = threading.Event()
    seen = build.snapshot(tmp_path)
    watcher = threading.Thread(target=build.watch, args=(build.Options(root=tmp_path), seen, stop, 0.02))
    caplog.set_level(logging.ERROR, logger=build.log.name)
    watcher.start()
    try:
        for text, count in (("second", 1), ("third", 2)):
            source.write_text(text)
            os.utime(source, (time.time() + count, time.time() + count))  # a new time, however coarse the clock
            deadline = time.monotonic() + 10
            while len(rebuilds) < count and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        stop.set()
        watcher.join(5)
    assert rebuilds == ["second", "third"]
    assert "the first rebuild broke" in caplog.text and "still watching" in caplog.text
    assert not watcher.is_alive()
