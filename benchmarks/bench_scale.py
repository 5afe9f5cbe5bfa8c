"""Archive scale: a catalogue into Parquet on Ray, against the library's process pool and the paper's way.

Run:  .venv/bin/python benchmarks/bench_scale.py [--songs 200] [--paper-songs 3] [--workers N]

1. Makes ``--songs`` MP3s of 1 to 5 minutes once (44.1 kHz stereo, under
   ``benchmarks/_work/scale``; ``--distinct`` seeded arrangements of synthetic
   Ghazal, Qawwali, Hip-hop and Rock passages, each of a seeded length,
   under ``--songs`` names: see :func:`make_songs`).
2. *Ray*: a process runs ``classify_to_parquet(folder, out, address="local")``:
   starts a local Ray cluster with one actor per worker, writes the Parquet.
3. *Process pool*: the same process with ``address=None`` (the library's pool).
4. *Paper's way*: ``bench_classify.py``'s whole-process script (import
   TensorFlow, ``librosa.load``, 11 random 30 s windows, one Keras
   ``predict`` each) on ``--paper-songs`` of the songs, one process a song,
   and warm in one process (TensorFlow and the model loaded once).

All three use the shipped BN-CNN bundle (the paper's model; the paper's way needs
its Keras model), so the figures compare engines, not models.

For each: songs per hour per core (songs / wall hours / cores used), the
CPU seconds a song costs (user + system of every process of the run, from
/proc; on a shared machine this, unlike wall time, does not grow with the
other users' load, so the projection uses it), the fixed start-up cost, and
peak memory per worker (each worker process's ``VmHWM``, polled from /proc:
Ray's actors, the pool's processes; the paper's way is one process). The fixed start-up cost of Ray and the pool is
the intercept of a straight line through the run: ``wall - songs /
steady rate``, the steady rate taken between the first and the last rows
after every worker had finished its first song; of the paper's way, its
whole-process time per song less its warm per-song time.

Then a *projection* (arithmetic on the figures above, not a measurement) of
core-hours and wall hours for 10^6 songs of the same length mix on 100,
1,000 and 10,000 cores, assuming throughput scales with cores (Ray's actor pool scales out
across machines; the process pool and the paper's script do not, so theirs
are what as many independent machines would give).

The machine's load (``os.getloadavg``) is printed before and after: figures
from a shared machine are slower than an idle one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_classify import PAPER_WAY, encode_mp3, model_bundle  # noqa: E402
from bench_library import PAPER_WARM, passages, peak_memory_mb, run_watched  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
GENRES = ["Ghazal", "Qawwali", "Hip-hop", "Rock"]
#: Song lengths, seconds: uniform in [60, 300] (the issue's 1-5 minutes), seeded per song.
SHORTEST_SECONDS, LONGEST_SECONDS = 60.0, 300.0
#: The catalogue size the projection is for, and the cluster sizes it is made for.
PROJECTED_SONGS = 1_000_000
PROJECTED_CORES = (100, 1_000, 10_000)

#: One engine, as its own process: classify the folder into a fresh Parquet folder; print a JSON summary
#: with each row's arrival time since the process started.
OURS = r"""
import json, sys, time
started = time.perf_counter()
from urdu_genre_app.scale import classify_to_parquet

if __name__ == "__main__":
    folder, model, out, engine, workers = sys.argv[1:6]
    arrivals, attempts = [], 0
    if engine == "ray":
        # Ray gives its node 30 s to register (fixed in ray/_private/node.py); on a shared machine, niced, that
        # was seen to run out: start it here, up to three times (the start-up cost counts every attempt).
        import ray
        while not ray.is_initialized():
            attempts += 1
            try:
                ray.init(address="local", num_cpus=int(workers), include_dashboard=False, log_to_driver=False)
            except Exception:
                ray.shutdown()
                if attempts == 3:
                    raise
    summary = classify_to_parquet([folder], out, model=model, address=None if engine == "pool" else "local",
                                  workers=int(workers), resume=False,
                                  on_progress=lambda p: arrivals.append(time.perf_counter() - started))
    print(json.dumps({"written": summary.written, "failed": summary.failed, "workers": summary.workers,
                      "startup_s": summary.startup_seconds, "classify_s": summary.classify_seconds,
                      "arrivals": arrivals, "ray_attempts": attempts, "wall_s": time.perf_counter() - started}))
"""


def song_seconds(index: int) -> float:
    """The seeded length of distinct song ``index``, in [60, 300] s."""
    return float(np.random.default_rng(1000 + index).uniform(SHORTEST_SECONDS, LONGEST_SECONDS))


def arrangement(pieces: dict[str, np.ndarray], seed: int, seconds: float) -> np.ndarray:
    """A song of ``seconds``: passages in a seeded order, each shifted in time and gain, cut to length."""
    rng = np.random.default_rng(seed)
    parts, length, target = [], 0, int(seconds * 22_050)
    while length < target:
        piece = pieces[GENRES[int(rng.integers(len(GENRES)))]]
        parts.append(np.roll(piece, int(rng.integers(piece.size))) * rng.uniform(0.5, 1.0))
        length += piece.size
    return np.concatenate(parts)[:target].astype(np.float32)


def _encode_distinct(pieces: dict[str, np.ndarray], index: int, path: Path) -> None:
    partial = path.with_suffix(".part")
    encode_mp3(partial, [arrangement(pieces, seed=index, seconds=song_seconds(index))])
    partial.replace(path)


def make_songs(folder: Path, count: int, distinct: int) -> list[Path]:
    """``count`` MP3s of 1-5 minutes in ``folder`` (made once, reused).

    Encoding is the slow part here (~8 s of CPU for 3 minutes), so ``distinct``
    arrangements are encoded (on every core) and song ``i`` is a hard link to
    arrangement ``i % distinct`` under its own name: classifying a file costs
    the same whether or not another name holds the same bytes (no engine
    caches verdicts by content), and every file is read into the page cache
    before each run anyway.
    """
    import concurrent.futures

    folder.mkdir(parents=True, exist_ok=True)
    distinct = max(1, min(distinct, count))
    originals = [folder / f"distinct{i:03d}.mp3" for i in range(distinct)]
    missing = [i for i, path in enumerate(originals) if not path.exists()]
    if missing:
        print(f"(encoding {len(missing)} MP3s of 1-5 minutes once, on every core)", flush=True)
        pieces = passages()
        with concurrent.futures.ProcessPoolExecutor(len(os.sched_getaffinity(0))) as pool:
            for done in concurrent.futures.as_completed(
                    [pool.submit(_encode_distinct, pieces, i, originals[i]) for i in missing]):
                done.result()
    catalogue = folder / f"catalogue-{count}-of-{distinct}"
    catalogue.mkdir(exist_ok=True)
    songs = [catalogue / f"song{i:03d}.mp3" for i in range(count)]
    for i, song in enumerate(songs):
        if not song.exists():
            os.link(originals[i % distinct], song)
    return songs


def run_measured(command: list[str]) -> dict:
    """Run ``command``, polling its process tree in /proc.

    Returns
    -------
    dict
        ``wall`` seconds, ``peaks`` ``{pid: (command line, peak MB)}`` (each
        process's VmHWM), ``cpu`` seconds (user + system) summed over the tree
        (each process as last seen), and ``out`` (stdout).
    """
    peaks: dict[int, tuple[str, float]] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")

    def sample(pid: int) -> None:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        cpu[pid] = max(cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / ticks)  # utime, stime
        peak = peak_memory_mb(pid)
        if peak is not None:
            peaks[pid] = (cmdline or peaks.get(pid, ("", 0))[0], max(peak, peaks.get(pid, ("", 0))[1]))

    wall, out = run_watched(command, interval=0.1, sample=sample)
    return {"wall": wall, "peaks": peaks, "cpu": sum(cpu.values()), "out": out}


def fixed_cost(wall: float, arrivals: list[float], workers: int) -> tuple[float, float]:
    """``(steady songs per second, fixed start-up seconds)`` of a run, as the module docstring says."""
    songs = len(arrivals)
    first = min(workers, songs - 2)
    steady = (songs - 1 - first) / (arrivals[-1] - arrivals[first]) if songs > 2 else songs / wall
    return steady, max(0.0, wall - songs / steady)


def is_worker(engine: str, cmdline: str) -> bool:
    """A classification worker's process: a Ray actor, or one of the pool's spawned processes."""
    if engine == "ray":
        return cmdline.startswith("ray::") and "SongClassifier" in cmdline
    return "multiprocessing" in cmdline and "spawn_main" in cmdline


def _duration(hours: float) -> str:
    """``12.3 h``, or ``4.5 min`` under an hour (a projection on 10,000 cores is minutes)."""
    return f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.1f} min"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=200, help="MP3s of 1-5 minutes in the catalogue")
    parser.add_argument("--distinct", type=int, default=40,
                        help="different arrangements among them (the rest are hard links under other names)")
    parser.add_argument("--paper-songs", type=int, default=3, help="songs the paper's way classifies (one process each)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="Ray actors / pool processes")
    parser.add_argument("--engines", default="ray,pool", help="which of ray,pool to run")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    songs = make_songs(WORK / "scale", args.songs, args.distinct)
    load_before = os.getloadavg()  # after encoding, which loads every core itself
    distinct = max(1, min(args.distinct, args.songs))
    minutes = sum(song_seconds(i % distinct) for i in range(args.songs)) / 60
    bundle_path = model_bundle()
    python = sys.executable
    script = WORK / "bench_scale_ours.py"
    script.write_text(OURS)
    print(f"machine: {cores} CPUs usable, load average {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f} (1, 5, 15 min) before; catalogue: {len(songs)} MP3s, 44.1 kHz stereo, "
          f"{minutes:.0f} minutes in all ({minutes / len(songs):.2f} min a song; {distinct} distinct); model: {bundle_path.name}",
          flush=True)

    results = {}
    for song in songs:  # the same warm disk cache for every engine
        song.read_bytes()
    for engine in [e for e in args.engines.split(",") if e]:
        with tempfile.TemporaryDirectory(prefix="bench_scale_") as out:
            measured = run_measured([python, str(script), str(songs[0].parent), str(bundle_path),
                                     str(Path(out) / "catalogue"), engine, str(args.workers)])
        run = json.loads(measured["out"].strip().splitlines()[-1])
        if run["written"] != len(songs) or run["failed"]:
            raise SystemExit(f"{engine}: unexpected outcome {run['written']} rows, {run['failed']} failed")
        wall = measured["wall"]
        steady, fixed = fixed_cost(wall, run["arrivals"], run["workers"])
        worker_peaks = [mb for cmd, mb in measured["peaks"].values() if is_worker(engine, cmd)]
        results[engine] = {
            "fixed": fixed, "per_hour_core": len(songs) / (wall / 3600) / run["workers"],
            "cpu_per_song": measured["cpu"] / len(songs),
            "worker_peak": max(worker_peaks) if worker_peaks else float("nan"),
            "tree_peak": sum(mb for _cmd, mb in measured["peaks"].values()),
        }
        print(f"{engine}: {len(songs)} songs in {wall:.1f} s by {run['workers']} workers "
              f"(start-up before the first song {run['startup_s']:.1f} s, Ray started in {run['ray_attempts']} "
              f"attempts; {measured['cpu']:.0f} CPU s in all)",
              flush=True)

    from urdu_genre_app.core.bundle import load_bundle

    bundle = load_bundle(bundle_path)
    keras_path, stats_path = WORK / "model.keras", WORK / "stats.npy"
    keras_path.write_bytes(bundle.keras_model)
    np.save(stats_path, np.stack([bundle.feature_mean, bundle.feature_std]))
    paper = [python, "-c", PAPER_WAY, str(songs[0]), str(keras_path), str(stats_path)]
    run_measured(paper)  # warm-up, untimed (disk cache, numba's on-disk cache)
    paper_runs = [run_measured([*paper[:3], str(songs[i + 1]), *paper[4:]]) for i in range(args.paper_songs)]
    paper_song = statistics.median(run["wall"] for run in paper_runs)
    paper_peak = max(mb for run in paper_runs for _cmd, mb in run["peaks"].values())
    warm = json.loads(run_measured([python, "-c", PAPER_WARM, str(keras_path), str(stats_path),
                                    *map(str, songs[1 : 2 + args.paper_songs])])["out"])
    paper_warm = statistics.median(warm[1:])  # the first pays numba's and Keras' first calls
    # The paper's script runs one song at a time, and TensorFlow and librosa use every core while it does.
    results["paper"] = {
        "fixed": paper_song - paper_warm, "per_hour_core": 3600 / paper_song / cores,
        "cpu_per_song": statistics.median(run["cpu"] for run in paper_runs),
        "worker_peak": paper_peak, "tree_peak": paper_peak,
    }
    load_after = os.getloadavg()

    print()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"{'way':<36}{'songs/h/core':>13}{'CPU s/song':>11}{'songs/CPU-h':>12}{'start-up':>10}"
          f"{'peak/worker':>13}{'all procs':>11}")
    names = {"ray": "Ray Data, actor pool", "pool": "process pool (library)",
             "paper": f"paper's way ({args.paper_songs} songs, 1 process each)"}
    for engine, r in results.items():
        print(f"{names[engine]:<36}{r['per_hour_core']:>13.0f}{r['cpu_per_song']:>11.2f}"
              f"{3600 / r['cpu_per_song']:>12.0f}{r['fixed']:>9.1f}s{r['worker_peak']:>11.0f}MB{r['tree_peak']:>9.0f}MB")
    paper = results["paper"]
    for engine, r in results.items():
        if engine != "paper":
            print(f"{names[engine]}: {r['per_hour_core'] / paper['per_hour_core']:.1f}x the paper's way's songs per "
                  f"hour per core, {paper['cpu_per_song'] / r['cpu_per_song']:.1f}x its songs per CPU-hour")
    print("(songs/h/core: songs / wall hours / cores, start-up included: slower on a loaded machine; CPU s/song: "
          "user + system seconds of every process of the run, start-up and Ray's own services included, "
          "per song; songs/CPU-h: what one core given wholly to it does; start-up: wall, see the docstring; "
          "all procs: the sum of every process's peak memory)")
    print()
    print(f"PROJECTION, not measured: {PROJECTED_SONGS:,} songs of this length mix, at the songs per CPU-hour "
          "above, cores busy throughout, plus the start-up once:")
    for engine, r in results.items():
        core_hours = PROJECTED_SONGS * r["cpu_per_song"] / 3600
        cells = ", ".join(f"{_duration(core_hours / n + r['fixed'] / 3600)} on {n:,} cores" for n in PROJECTED_CORES)
        print(f"  {names[engine]}: {core_hours:,.0f} core-hours; {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
