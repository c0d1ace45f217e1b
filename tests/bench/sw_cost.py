"""What the offline service worker costs in memory, in a Chromium with no DevTools attached.

    .venv/bin/python tests/bench/sw_cost.py [--rounds 3] [--wait 60] [--out sw-cost.json]

The bench's memory soak (run.py) drives Chromium through Playwright, which attaches
DevTools to every page and worker: it keeps a service worker running for as long as
the browser lives, and keeps copies of what the page fetched. Whether the service
worker's cost is the page's or the harness's is asked here without any of that:

* builds the site twice with ``--pyodide local``, as it ships and with
  ``--no-service-worker`` (the page then registers none and is otherwise the same);
* alternates the two (A B A B, ``--rounds`` times each), each visit a fresh headless
  Chromium with a fresh profile, started with the page's URL and nothing attached;
* reads, ``--wait`` seconds after starting Chromium, the resident memory of its
  processes (run.py's ``chromium_rss_bytes``). The page registers its worker at its first
  quiet moment and the worker installs; Chromium stops a worker 30 s after its last
  event, which nothing here can check, so the wait leaves room for all of that;
* checks that each visit fetched its page and script from the bench's server, and, in
  the profile, that the worker was registered in the one build and not in the other;
* prints the medians and their difference, the service worker's lasting cost.

No cell is run: driving the page would mean attaching DevTools.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import CHROMIUM, FLAGS, ROOT, Served, build_site, chromium_rss_bytes, log, serving  # noqa: E402

BUILDS = {"with": [], "without": ["--no-service-worker"]}
WINDOW = "--window-size=1280,800"  # the soak's viewport
PAGE_FILES = ("index.html", "assets/js/page.js")  # what a visit must have fetched to count


def registered(profile: Path) -> bool:
    """Whether the profile holds a service worker registration (Chromium's database of them)."""
    database = next(profile.rglob("Service Worker/Database"), None)
    return database is not None and any(database.iterdir())


def visit(url: str, wait: float) -> dict:
    """One fresh headless Chromium on `url`, read `wait` seconds after it started."""
    with tempfile.TemporaryDirectory(prefix="sw-cost-profile-") as folder:
        profile = Path(folder)
        browser = subprocess.Popen([CHROMIUM, "--headless=new", *FLAGS, WINDOW, f"--user-data-dir={profile}", url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ends = time.monotonic() + wait
            while time.monotonic() < ends:
                if browser.poll() is not None:
                    raise SystemExit(f"sw_cost: Chromium exited ({browser.returncode}) before the reading")
                time.sleep(min(1.0, max(0.0, ends - time.monotonic())))
            rss = chromium_rss_bytes()
        finally:
            browser.terminate()
            try:
                browser.wait(timeout=20)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
        return {"rss": rss, "registered": registered(profile)}


def summarise(readings: dict[str, list[dict]]) -> dict:
    """The medians of each build's readings and their difference. Raises ValueError if a
    visit fetched less than its page, or the worker did not register as each build should."""
    for name, rows in readings.items():
        if not rows:
            raise ValueError(f"no reading of the build {name} its service worker")
        for row in rows:
            missing = [f for f in PAGE_FILES if f not in row["fetched"]]
            if missing:
                raise ValueError(f"a visit of the build {name} its service worker did not fetch {', '.join(missing)}")
            if row["registered"] != (name == "with"):
                raise ValueError(f"the build {name} its service worker "
                                 f"{'did not register it' if name == 'with' else 'registered one'}")
    medians = {name: statistics.median(row["rss"] for row in rows) for name, rows in readings.items()}
    return {"medians": medians, "cost": medians["with"] - medians["without"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="visits of each build, alternated")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds from starting Chromium to the reading: well over 30 (Chromium stops an idle "
                             "service worker 30 s after its last event, and the page loads and installs it first)")
    parser.add_argument("--out", type=Path, default=ROOT / "sw-cost.json")
    args = parser.parse_args(argv)
    if args.rounds < 1 or not math.isfinite(args.wait) or args.wait <= 30:
        parser.error("--rounds must be at least 1 and --wait a number of seconds over 30")
    if not Path(CHROMIUM).exists():
        log(f"sw_cost: Chromium is not at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
        return 2
    readings: dict[str, list[dict]] = {name: [] for name in BUILDS}
    results = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "settings": {"rounds": args.rounds, "wait_s_from_start": args.wait, "chromium": CHROMIUM,
                            "flags": [*FLAGS, WINDOW]},
               "readings": readings}
    with tempfile.TemporaryDirectory(prefix="sw-cost-site-") as folder:
        for name, flags in BUILDS.items():
            build_site(Path(folder) / name, *flags)
        served = Served(Path(folder))
        with serving(Path(folder), served) as base:
            for round_ in range(args.rounds):
                for name in BUILDS:
                    first = len(served.requested)
                    reading = visit(f"{base}{name}/", args.wait)
                    asked = served.requested[first:]
                    reading["fetched"] = sorted({p.removeprefix(f"{name}/") or "index.html" for p in asked})
                    readings[name].append(reading)
                    log(f"sw_cost: {round_ + 1}/{args.rounds} {name:<7} {reading['rss'] / 1e6:7.1f} MB, "
                        f"service worker registered: {'yes' if reading['registered'] else 'no'}, "
                        f"{len(asked)} requests")
    try:
        results.update(summarise(readings))
    except ValueError as error:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        log(f"sw_cost: {error} (readings in {args.out})")
        return 1
    medians = results["medians"]
    print(f"Chromium memory {args.wait:.0f} s after it started, no DevTools attached (median of {args.rounds}):")
    print(f"  with the service worker     {medians['with'] / 1e6:7.1f} MB")
    print(f"  without it                  {medians['without'] / 1e6:7.1f} MB")
    print(f"  the service worker's cost   {results['cost'] / 1e6:7.1f} MB")
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
