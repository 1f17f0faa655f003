"""Wall time of `chaoslab demo`, next to the experiment's own length, in the same run.

Runs the console script as a user would (`chaoslab demo`, then `chaoslab
demo --quick`), each in a fresh temporary output folder, and prints for
each: the wall time of the whole command (start-up of Redis, the proxy, the
upstream and the service, the run, the report, the shutdown), the
experiment's duration from its journal, and their ratio (the demo's own
overhead). The goal: the full demo under two minutes, about a minute.

Run:
    python tests/bench/bench_demo.py [--only quick|full]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHAOSLAB = Path(sys.executable).with_name("chaoslab")


def measure(quick: bool) -> tuple[float, float, str]:
    """(wall seconds, experiment seconds, status) of one `chaoslab demo` run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        command = [str(CHAOSLAB), "demo", "--out", str(out)] + (["--quick"] if quick else [])
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
        journal = json.loads((out / "journal.json").read_text(encoding="utf-8"))
    return wall, float(journal["duration"]), str(journal["status"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["quick", "full"], default=None)
    args = parser.parse_args()
    modes = [m for m in ("full", "quick") if args.only in (None, m)]
    print(f"{'mode':<6} {'wall s':>8} {'experiment s':>13} {'wall/experiment':>16}  status")
    for mode in modes:
        wall, length, status = measure(quick=mode == "quick")
        print(f"{mode:<6} {wall:>8.1f} {length:>13.1f} {wall / length:>16.3f}  {status}")


if __name__ == "__main__":
    main()
