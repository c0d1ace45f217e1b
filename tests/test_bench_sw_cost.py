"""The service worker's memory bench (tests/bench/sw_cost.py): how it tells, from a
Chromium profile, whether the page registered its worker, and what it refuses."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from sw_cost import registered  # noqa: E402


def test_a_profile_with_a_registration_database_counts_as_registered(tmp_path):
    database = tmp_path / "Default" / "Service Worker" / "Database"
    database.mkdir(parents=True)
    assert not registered(tmp_path)  # Chromium makes the folder; an empty one holds nothing
    (database / "CURRENT").write_text("MANIFEST-000001\n")
    assert registered(tmp_path)


def test_a_profile_without_one_does_not(tmp_path):
    (tmp_path / "Default" / "Cache").mkdir(parents=True)
    assert not registered(tmp_path)


def test_a_wait_within_chromiums_idle_timeout_is_refused():
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "bench" / "sw_cost.py"), "--wait", "30"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "over 30 s" in done.stderr
