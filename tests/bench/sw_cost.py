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
* waits ``--wait`` seconds (the worker registers at the page's first quiet moment,
  installs, and Chromium stops it 30 s after its last event), then sums the resident
  memory of the Chromium processes (run.py's ``chromium_rss_bytes``) and checks, in the
  profile, that the worker was registered in the one build and not in the other;
* prints the medians and their difference, the service worker's lasting cost.

Nothing runs Python here: driving the page would mean attaching DevTools.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import CHROMIUM, FLAGS, ROOT, chromium_rss_bytes, log, serving  # noqa: E402

BUILDS = {"with": [], "without": ["--no-service-worker"]}


def build(into: Path) -> None:
    for name, flags in BUILDS.items():
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--pyodide", "local", *flags,
                               "--out", str(into / name), "-q"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise SystemExit(f"sw_cost: the site ({name} its service worker) did not build:\n{done.stdout}{done.stderr}")


def registered(profile: Path) -> bool:
    """Whether the profile holds a service worker registration (Chromium's database of them)."""
    database = next(profile.rglob("Service Worker/Database"), None)
    return database is not None and any(database.iterdir())


def visit(url: str, wait: float) -> dict:
    """One fresh headless Chromium on `url`, read after `wait` seconds."""
    profile = Path(tempfile.mkdtemp(prefix="sw-cost-"))
    browser = subprocess.Popen([CHROMIUM, "--headless=new", *FLAGS, "--window-size=1280,900",
                                f"--user-data-dir={profile}", url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(wait)
        if browser.poll() is not None:
            raise SystemExit(f"sw_cost: Chromium exited ({browser.returncode}) before the reading")
        rss = chromium_rss_bytes()
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=20)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
    out = {"rss": rss, "registered": registered(profile)}
    shutil.rmtree(profile, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="visits of each build, alternated")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds from the start to the reading (over 30)")
    parser.add_argument("--out", type=Path, default=Path("sw-cost.json"))
    args = parser.parse_args()
    if args.rounds < 1 or args.wait <= 30:
        parser.error("--rounds must be at least 1 and --wait over 30 s (Chromium's idle timeout)")
    readings: dict[str, list[dict]] = {name: [] for name in BUILDS}
    with tempfile.TemporaryDirectory(prefix="sw-cost-site-") as folder:
        build(Path(folder))
        with serving(Path(folder)) as base:
            for round_ in range(args.rounds):
                for name in BUILDS:
                    reading = visit(f"{base}{name}/", args.wait)
                    readings[name].append(reading)
                    log(f"sw_cost: {round_ + 1}/{args.rounds} {name:<7} {reading['rss'] / 1e6:6.0f} MB, "
                        f"service worker registered: {'yes' if reading['registered'] else 'no'}")
    wrong = [name for name, want in (("with", True), ("without", False))
             if any(r["registered"] != want for r in readings[name])]
    if wrong:
        raise SystemExit(f"sw_cost: the build {' and '.join(wrong)} its service worker did not register as it should")
    medians = {name: statistics.median(r["rss"] for r in rows) for name, rows in readings.items()}
    cost = medians["with"] - medians["without"]
    print(f"Chromium memory {args.wait:.0f} s after the load, no DevTools attached (median of {args.rounds}):")
    print(f"  with the service worker     {medians['with'] / 1e6:7.1f} MB")
    print(f"  without it                  {medians['without'] / 1e6:7.1f} MB")
    print(f"  the service worker's cost   {cost / 1e6:7.1f} MB")
    args.out.write_text(json.dumps({"wait_s": args.wait, "rounds": args.rounds, "readings": readings,
                                    "medians": medians, "cost": cost}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
