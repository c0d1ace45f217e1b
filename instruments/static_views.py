"""The instruments' views without JavaScript: a table of the default state."""

from __future__ import annotations

import html


def fallback_html(name: str, data: dict) -> str:
    """Static HTML for instrument ``name`` from its embedded data (placeholder view)."""
    return f'<p class="instrument-static">{html.escape(name)}</p>'
