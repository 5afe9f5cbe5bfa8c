"""Library throughput: a folder of 20 five-minute MP3s, against the paper's way, on this machine.

Run:  .venv/bin/python benchmarks/bench_library.py [--songs 20] [--paper-repeats 3]

1. Makes ``--songs`` five-minute 44.1 kHz stereo MP3s once (under
   ``benchmarks/_work/library``; each a different arrangement of synthetic
   Ghazal, Qawwali, Hip-hop and Rock passages, so no two files are alike).
2. *Paper's way, one song*, as a whole process (exactly
   ``bench_classify.py``'s: import TensorFlow, ``librosa.load``, 11 random
   30 s windows, one Keras ``predict`` each, majority vote): the median of
   ``--paper-repeats`` runs after an untimed warm-up. Also the paper's stack
   kept warm in one process (TensorFlow and the model loaded once), per song:
   what a batch script in the paper's style would pay per song.
3. *Ours*: one process opens the folder as a :class:`~urdu_genre_app.library.library.Library`
   (empty results cache) and classifies every song on every core
   (:mod:`urdu_genre_app.library.batch`); then a second process re-opens the
   library, filling it from the results cache.

Prints songs per minute, our per-song time against the paper's (goal: the
paper's per-song time is at least 20x ours), the peak memory of our process
and its workers together (the sum of each process's peak resident set; goal
under 1 GB) and how much faster re-opening is than classifying (goal: at
least 50x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_classify import PAPER_VOTE, PAPER_WAY, encode_mp3, model_bundle  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
SONG_SECONDS = 300.0
PASSAGE_SECONDS = 60.0
GENRES = ["Ghazal", "Qawwali", "Hip-hop", "Rock"]

#: Our side, run as its own process: open the library, classify (or only re-open).
OURS = r"""
import json, sys, time
started = time.perf_counter()
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.library.library import Library

if __name__ == "__main__":
    folder, model, data, mode = sys.argv[1:5]
    bundle = load_bundle(model, with_keras=False)
    opened = time.perf_counter()
    library = Library(folder, bundle, data_dir=data)
    entries = library.refresh()
    refreshed = time.perf_counter()
    summary = library.classify_pending() if mode == "classify" else None
    done = time.perf_counter()
    print(json.dumps({
        "songs": len(entries), "from_cache": sum(e.from_cache for e in entries),
        "classified": len(summary.outcomes) if summary else 0,
        "failed": sum(o.result is None for o in summary.outcomes) if summary else 0,
        "startup_s": opened - started, "refresh_s": refreshed - opened, "classify_s": done - refreshed,
    }))
"""

#: The paper's stack warm in one process: seconds per song for each of the given songs.
PAPER_WARM = PAPER_VOTE + r"""
import sys, time, json
keras_path, mean_path, *songs = sys.argv[1:]
model = keras.models.load_model(keras_path, compile=False)
stats = np.load(mean_path)
times = []
for song in songs:
    start_time = time.perf_counter()
    paper_vote(song, model, stats)
    times.append(time.perf_counter() - start_time)
print(json.dumps(times))
"""


def passages() -> dict[str, np.ndarray]:
    """One synthetic passage per genre (the generator is slow: ~6 s per minute of audio here)."""
    from training.synth import generate_song

    return {genre: generate_song(genre, 7 + i, duration_seconds=PASSAGE_SECONDS) for i, genre in enumerate(GENRES)}


def arrangement(pieces: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """A five-minute song: passages in a seeded order, each shifted in time and gain."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(int(SONG_SECONDS / PASSAGE_SECONDS)):
        piece = pieces[GENRES[int(rng.integers(len(GENRES)))]]
        parts.append(np.roll(piece, int(rng.integers(piece.size))) * rng.uniform(0.5, 1.0))
    return np.concatenate(parts).astype(np.float32)


def make_songs(folder: Path, count: int) -> list[Path]:
    """``count`` five-minute MP3s in ``folder`` (made once, reused)."""
    folder.mkdir(parents=True, exist_ok=True)
    songs = [folder / f"song{i:02d}.mp3" for i in range(count)]
    missing = [song for song in songs if not song.exists()]
    if missing:
        print(f"(making {len(missing)} five-minute MP3s once; a few minutes)", flush=True)
        pieces = passages()
        for song in missing:
            partial = song.with_suffix(".part")
            encode_mp3(partial, [arrangement(pieces, seed=int(song.stem[4:]))])
            partial.replace(song)
    return songs


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            pass
    return found


def peak_memory_mb(pid: int) -> float | None:
    """A process's peak resident memory (its VmHWM) in MB, or None where /proc shows none."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def run_watched(command: list[str], *, interval: float, sample: Callable[[int], None]) -> tuple[float, str]:
    """Run ``command`` to its end, calling ``sample(pid)`` for each process of its tree every ``interval`` s.

    Returns wall seconds and stdout; a failed command ends the benchmark with the tail of its stderr.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while process.poll() is None:
        for pid in process_tree(process.pid):
            try:
                sample(pid)
            except (OSError, IndexError, ValueError):  # the process ended between the listing and the read
                pass
        time.sleep(interval)
    elapsed = time.perf_counter() - start
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(command[:3])} ...\n{err[-3000:]}")
    return elapsed, out


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak memory in MB (sum over the process tree of each one's VmHWM) and stdout."""
    peaks: dict[int, float] = {}

    def sample(pid: int) -> None:
        peak = peak_memory_mb(pid)
        if peak is not None:
            peaks[pid] = max(peaks.get(pid, 0.0), peak)

    elapsed, out = run_watched(command, interval=0.05, sample=sample)
    return elapsed, sum(peaks.values()), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=20, help="five-minute MP3s in the library")
    parser.add_argument("--paper-repeats", type=int, default=3, help="timed whole-process runs of the paper's way")
    args = parser.parse_args()
    songs = make_songs(WORK / "library", args.songs)
    bundle_path = model_bundle()

    from urdu_genre_app.core.bundle import load_bundle

    bundle = load_bundle(bundle_path)
    keras_path, stats_path = WORK / "model.keras", WORK / "stats.npy"
    keras_path.write_bytes(bundle.keras_model)
    np.save(stats_path, np.stack([bundle.feature_mean, bundle.feature_std]))
    ours_script = WORK / "bench_library_ours.py"
    ours_script.write_text(OURS)
    python = sys.executable
    env_note = f"{len(os.sched_getaffinity(0))} CPUs usable"
    print(f"machine: {os.cpu_count()} CPUs ({env_note}); model: {bundle_path.name}; "
          f"library: {len(songs)} x 5:00 MP3, 44.1 kHz stereo", flush=True)

    paper = [python, "-c", PAPER_WAY, str(songs[0]), str(keras_path), str(stats_path)]
    run_measured(paper)  # warm-up, untimed (disk cache, numba's on-disk cache)
    paper_runs = [run_measured([*paper[:3], str(songs[i % len(songs)]), *paper[4:]])[0]
                  for i in range(args.paper_repeats)]
    paper_song = statistics.median(paper_runs)
    warm_times = json.loads(run_measured([python, "-c", PAPER_WARM, str(keras_path), str(stats_path),
                                          *map(str, songs[:4])])[2])
    paper_warm_song = statistics.median(warm_times[1:])  # the first pays numba's and Keras' first calls

    for song in songs:  # the same warm disk cache for our run
        song.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bench_library_") as data:
        ours = [python, str(ours_script), str(songs[0].parent), str(bundle_path), data]
        wall, peak_mb, out = run_measured([*ours, "classify"])
        classified = json.loads(out)
        reopen_wall, reopen_peak_mb, out = run_measured([*ours, "reopen"])
        reopened = json.loads(out)
    if classified["failed"] or reopened["from_cache"] != len(songs):
        raise SystemExit(f"unexpected outcome: {classified} / {reopened}")

    per_song = wall / len(songs)
    print(f"paper's way, one song per process (TF, librosa, 11 windows): {paper_song:6.2f} s per song  "
          f"(runs: {', '.join(f'{t:.2f}' for t in paper_runs)})")
    print(f"paper's way, warm in one process (TF and model loaded once): {paper_warm_song:6.2f} s per song  "
          f"(songs: {', '.join(f'{t:.2f}' for t in warm_times)})")
    print(f"library, whole process ({classified['songs']} songs, every window, every core): {wall:6.2f} s  "
          f"= {per_song:.2f} s per song = {60 / per_song:.1f} songs per minute  "
          f"(start-up {classified['startup_s']:.2f} s, classify {classified['classify_s']:.2f} s)")
    ratio = paper_song / per_song
    print(f"per-song speed-up over the paper's way: {ratio:.1f}x  (goal >= 20x: {'met' if ratio >= 20 else 'NOT met'}); "
          f"over its warm per-song time: {paper_warm_song / per_song:.1f}x")
    print(f"peak memory, library process and its workers together: {peak_mb:.0f} MB  "
          f"(goal < 1024 MB: {'met' if peak_mb < 1024 else 'NOT met'})")
    reopen_ratio = classified["classify_s"] / reopened["refresh_s"]
    print(f"re-open from the results cache: {reopened['refresh_s'] * 1000:.1f} ms to fill {reopened['from_cache']} "
          f"songs against {classified['classify_s']:.2f} s to classify them: {reopen_ratio:.0f}x  "
          f"(goal >= 50x: {'met' if reopen_ratio >= 50 else 'NOT met'}); whole process {reopen_wall:.2f} s "
          f"against {wall:.2f} s ({wall / reopen_wall:.1f}x), peak {reopen_peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
