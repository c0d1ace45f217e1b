"""The Chromium that the browser tests and the bench drive, and how it is started."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    # headless in a container, run as root; no traffic of Chromium's own
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--no-first-run", "--no-default-browser-check",
]
# Each new window (a browser context) starts a renderer of its own for the address bar's
# popup, a WebUI page that no test or reader's page sees: measured here, about 1 s of
# CPU per context, beside the page under test.
UNSEEN_UI = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup")


def launch_options(browser_type, args: list[str]) -> dict:
    """Options for ``browser_type.launch`` (or ``launch_persistent_context``) with ``args``
    and ``UNSEEN_UI`` switched off on top of Playwright's own ``--disable-features``.
    Chromium keeps only the last of that switch, so a second one would quietly switch
    Playwright's list back on: a first browser says what Playwright passes, and the
    options replace it with one switch that holds both lists (asked once per ``args``)."""
    if tuple(args) in _launch_options:
        return _launch_options[tuple(args)]
    marker = f"--window-name=launch-options-{os.getpid()}"  # finds the probe among processes
    probe = browser_type.launch(executable_path=CHROMIUM, args=[*args, marker])
    try:
        line = next(line for line in _command_lines() if marker in line)
    finally:
        probe.close()
    own = [arg for arg in line if arg.startswith("--disable-features=")]
    names = [name for arg in own for name in arg.split("=", 1)[1].split(",") if name]
    merged = "--disable-features=" + ",".join(dict.fromkeys([*names, *UNSEEN_UI]))
    options = {"executable_path": CHROMIUM, "args": [*args, merged], "ignore_default_args": own}
    _launch_options[tuple(args)] = options
    return options


_launch_options: dict[tuple[str, ...], dict] = {}


def _command_lines():
    for entry in Path("/proc").iterdir():
        try:
            yield (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
