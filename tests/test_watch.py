"""The watching behind ``build.py --serve``: what a change is, and that nothing stops it."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import build


def test_a_file_gone_while_it_is_read_or_a_link_to_nowhere_is_skipped(tmp_path, monkeypatch):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    (chapter / "11-1.md").write_text("text")
    (chapter / ".#11-1.md").symlink_to(tmp_path / "no-such-file")  # an editor's lock link
    (chapter / "loop").symlink_to(chapter / "loop")  # a link to itself
    vanishing = chapter / "11-1.md~"
    vanishing.write_text("an editor's backup, about to go")
    real_stat = Path.stat
    seen = []

    def stat(path, *args, **kwargs):  # the backup is listed, then gone at its second reading
        if path == vanishing:
            seen.append(path)
            if len(seen) > 1:
                raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    assert sorted(build.snapshot(tmp_path)) == [str(chapter / "11-1.md"), str(vanishing)]
    assert sorted(build.snapshot(tmp_path)) == [str(chapter / "11-1.md")]


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

    def edit(text: str, seconds_later: int) -> None:
        """The new text and a new time at once (however coarse the clock), as an editor saves."""
        draft = source.with_name(".draft")
        draft.write_text(text)
        later = time.time() + seconds_later
        os.utime(draft, (later, later))
        os.replace(draft, source)

    monkeypatch.setattr(build, "rebuild_in_a_fresh_process", rebuild)
    stop = threading.Event()
    seen = build.snapshot(tmp_path)
    watcher = threading.Thread(target=build.watch, args=(build.Options(root=tmp_path), seen, stop, 0.02))
    caplog.set_level(logging.ERROR, logger=build.log.name)
    watcher.start()
    try:
        for text, count in (("second", 1), ("third", 2)):
            edit(text, count)
            deadline = time.monotonic() + 10
            while len(rebuilds) < count and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        stop.set()
        watcher.join(5)
    assert rebuilds == ["second", "third"]
    assert "the first rebuild broke" in caplog.text and "still watching" in caplog.text
    assert not watcher.is_alive()
