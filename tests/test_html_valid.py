"""Every built page passes the Nu HTML Checker (npm vnu-jar, on Java) with no errors."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

VNU = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"
# What the checker does not know yet and every current browser accepts, each filtered by
# its one message: CSP Level 3's 'wasm-unsafe-eval' keyword (reported as a bad source
# expression), and in the stylesheet written into each page, CSS Color 5's color-mix()
# (its "in srgb" read as a colour) and CSS Sizing 4's contain-intrinsic-size.
KNOWN_CHECKER_GAP = "|".join([
    r".*Expecting source-expression but found \"'wasm-unsafe-eval'\".*",
    r"CSS: .[\w-]+.: .in. is not a .color. value\.",
    r"CSS: .[\w-]+.: .color-mix\(in srgb,.*\). is not a .[\w-]+. value\.",
    r"CSS: .contain-intrinsic-size.: Property .contain-intrinsic-size. doesn.t exist\.",
])


def test_every_page_is_valid_html(built_site):
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is needed for the Nu HTML Checker: apt-get install default-jre-headless")
    pages = sorted(str(p) for p in built_site.rglob("*.html"))
    assert len(pages) >= 2
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json",
         "--filterpattern", KNOWN_CHECKER_GAP, *pages],
        capture_output=True, text=True, timeout=300,
    )
    messages = json.loads(done.stderr or done.stdout)["messages"]
    problems = [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert problems == [], "\n".join(problems)
