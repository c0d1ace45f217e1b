"""The service worker's memory bench (tests/bench/sw_cost.py): how it tells, from a
Chromium profile, whether the page registered its worker, what it makes of its
readings, and what it refuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from sw_cost import registered, summarise  # noqa: E402

PAGE = ["assets/js/page.js", "index.html", "sw.js"]


def test_a_profile_with_a_registration_database_counts_as_registered(tmp_path):
    database = tmp_path / "Default" / "Service Worker" / "Database"
    database.mkdir(parents=True)
    assert not registered(tmp_path)  # an empty folder holds no registration
    (database / "CURRENT").write_text("MANIFEST-000001\n")
    assert registered(tmp_path)


def test_a_profile_without_one_does_not(tmp_path):
    (tmp_path / "Default" / "Cache").mkdir(parents=True)
    assert not registered(tmp_path)


def reading(rss, registered, fetched=PAGE):
    return {"rss": rss, "registered": registered, "fetched": fetched}


def test_the_cost_is_the_difference_of_the_medians():
    out = summarise({"with": [reading(1009, True), reading(1006, True), reading(1030, True)],
                     "without": [reading(996, False), reading(990, False), reading(1000, False)]})
    assert out["medians"] == {"with": 1009, "without": 996}
    assert out["cost"] == 13


@pytest.mark.parametrize("readings, reason", [
    ({"with": [reading(1, False)], "without": [reading(1, False)]}, "the build with its service worker did not register it"),
    ({"with": [reading(1, True)], "without": [reading(1, True)]}, "the build without its service worker registered one"),
    ({"with": [reading(1, True)], "without": [reading(1, False, ["favicon.svg"])]},
     "a visit of the build without its service worker did not fetch index.html, assets/js/page.js"),
    ({"with": [], "without": [reading(1, False)]}, "no reading of the build with its service worker"),
])
def test_a_visit_that_did_not_load_or_register_as_it_should_is_refused(readings, reason):
    with pytest.raises(ValueError, match=reason):
        summarise(readings)


@pytest.mark.parametrize("args", [["--wait", "30"], ["--wait", "nan"], ["--rounds", "0"]])
def test_a_wait_within_chromiums_idle_timeout_or_no_rounds_is_refused(args):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "bench" / "sw_cost.py"), *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--wait a number of seconds over 30" in done.stderr
