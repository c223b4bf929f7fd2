#!/usr/bin/env python
"""``make bench``: run every ``bench/bench_*.py`` and print its ``BENCH <name> <value> <unit>``
lines. Each benchmark measures its baseline in the same run (ratios hold on noisy machines,
absolute times do not). ``--quick`` (or BENCH_QUICK=1) asks each for a small size."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    args = sys.argv[1:]
    quick = "--quick" in args or os.environ.get("BENCH_QUICK") == "1"
    only = [a for a in args if not a.startswith("--")]
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"# {name}", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, str(script), *(["--quick"] if quick else [])]
        result = subprocess.run(cmd, cwd=HERE.parent, check=False)
        print(
            f"# {name} finished in {time.perf_counter() - started:.1f} s (exit {result.returncode})",
            flush=True,
        )
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
