"""Frozen ``classify`` start-up against the venv's: medians of repeated runs.

    python scripts/startup_compare.py --frozen dist/urdu-genre/urdu-genre/urdu-genre \
        --venv .venv/bin/urdu-genre --sample resources/samples/selftest_qawwali.ogg [--runs 7]

Runs ``urdu-genre classify -q SAMPLE`` and ``urdu-genre --help`` with each,
alternating so both see the same machine load, after one warm-up run each
(the first launch reads everything from disk). Prints one line per command
and the frozen build's extra start-up; scripts/build-app.sh checks the
``classify`` line against its budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time


def time_once(command: list[str]) -> float:
    """Wall time of one run in s; a failing run is an error."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return time.perf_counter() - started


def compare(frozen: list[str], venv: list[str], runs: int) -> tuple[float, float]:
    """Medians (frozen, venv) of ``runs`` alternating runs after a warm-up of each."""
    time_once(frozen), time_once(venv)
    frozen_times, venv_times = [], []
    for _ in range(runs):
        frozen_times.append(time_once(frozen))
        venv_times.append(time_once(venv))
    return statistics.median(frozen_times), statistics.median(venv_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frozen", required=True)
    parser.add_argument("--venv", required=True)
    parser.add_argument("--sample", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for label, arguments in (("classify", ["classify", "-q", args.sample]), ("--help", ["--help"])):
        frozen, venv = compare([args.frozen, *arguments], [args.venv, *arguments], args.runs)
        print(f"start-up {label}: frozen median {frozen:.2f} s, venv median {venv:.2f} s, "
              f"extra {frozen - venv:.2f} s ({args.runs} runs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
