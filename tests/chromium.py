"""The Chromium that the browser tests and the bench drive, and how it is started."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    # headless in a container, run as root; no traffic of Chromium's own
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--no-first-run", "--no-default-browser-check",
    # Each new window (a browser context) starts a renderer of its own for the address
    # bar's popup, a WebUI page no test or reader's page sees: measured here, it cost
    # about 1.5 s of CPU per context, beside the page under test.
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup",
]
