"""The JavaScript unit tests (tests/js/*.test.mjs) under Node: among them the tests of
``instruments/format.js``, the one writer of the instruments' numbers, in the widgets
and in the tables shown without JavaScript alike."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def test_node_unit_tests_pass():
    result = subprocess.run(
        [NODE, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # every test written in tests/js ran and passed (a file Node did not find ran none)
    written = sum(len(re.findall(r"^test\(", p.read_text(encoding="utf-8"), re.MULTILINE))
                  for p in (ROOT / "tests" / "js").glob("*.test.mjs"))
    assert written > 0
    assert f"# pass {written}\n" in result.stdout and "# fail 0" in result.stdout, result.stdout[-600:]
